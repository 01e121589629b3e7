"""Domain events and jobs buffered per transaction and released only after commit.

`publish()` and `enqueue()` record side effects on the session; the boundary that commits
calls `flush()`, a rollback calls `discard()`. Nothing reaches a subscriber or a worker for a
row that was never committed.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

BUFFER_KEY = "sparkle.after_commit"

Subscriber = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class Event:
    name: str
    payload: dict[str, Any]


@dataclass
class JobRequest:
    name: str
    payload: dict[str, Any]
    delay: float = 0
    key: str | None = None
    outbox_id: uuid.UUID | None = None  # set when the job is persisted through the outbox


@dataclass
class Bus:
    """In-process pub/sub for domain events (the embedded mode's bus)."""

    subscribers: dict[str, list[Subscriber]] = field(default_factory=lambda: defaultdict(list))

    def subscribe(self, name: str, handler: Subscriber) -> None:
        self.subscribers[name].append(handler)

    async def publish(self, name: str, payload: dict[str, Any]) -> None:
        for handler in [*self.subscribers.get(name, []), *self.subscribers.get("*", [])]:
            try:
                await handler(name, payload)
            except Exception:  # a consumer's failure must not break the producer
                log.exception("event_subscriber_failed", event_name=name)


bus = Bus()
_captures: list[list[Event | JobRequest]] = []


def _buffer(session: AsyncSession) -> list[Event | JobRequest]:
    return session.info.setdefault(BUFFER_KEY, [])


def publish(session: AsyncSession, name: str, payload: dict[str, Any]) -> None:
    """Publish `name` after the session's transaction commits."""
    _buffer(session).append(Event(name, _jsonable(payload)))


def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    delay: float = 0,
    key: str | None = None,
) -> None:
    """Run job `name` after the session's transaction commits.

    `delay` postpones it by that many seconds; `key` de-duplicates: while a job with the same
    key is waiting, enqueueing another is a no-op (batching windows, hot counters).

    With persisted jobs, the job is also an outbox row of this transaction: a crash after
    commit cannot lose it, a rollback drops it.
    """
    from sparkle.core import jobs

    jobs.validate(name, payload)
    data = _jsonable(payload)
    outbox_id = None
    if jobs.persisted():
        from sparkle.core.queue import outbox

        outbox_id = outbox.add(session, name, data, delay=delay, key=key)
    _buffer(session).append(JobRequest(name, data, delay, key, outbox_id))


def discard(session: AsyncSession) -> None:
    session.info.pop(BUFFER_KEY, None)


async def flush(session: AsyncSession) -> None:
    """Release what the committed transaction buffered."""
    from sparkle.core import jobs

    items = session.info.pop(BUFFER_KEY, [])
    persisted: list[JobRequest] = []
    for item in items:
        for capture in _captures:
            capture.append(item)
        if isinstance(item, Event):
            await bus.publish(item.name, item.payload)
        elif item.outbox_id is not None:
            persisted.append(item)
        else:
            await jobs.dispatch(item.name, item.payload, delay=item.delay, key=item.key)
    if persisted and jobs.broker is not None:
        from sparkle.core import runtime
        from sparkle.core.queue import outbox

        rows = [(j.outbox_id, j.name, j.payload, j.delay, j.key) for j in persisted]
        await outbox.relay(runtime.get().sessions, jobs.broker, rows)  # type: ignore[arg-type]


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    # Jobs and events cross process boundaries in the distributed mode; round-trip them
    # through JSON now so both modes see the same values.
    return json.loads(json.dumps(payload, default=str))


def _stop_capture(seen: list[Event | JobRequest]) -> None:
    # By identity: `list.remove` compares by equality, and two captures holding the same
    # items (say, both still empty) are equal, so nested captures would remove each other.
    for i, capture in enumerate(_captures):
        if capture is seen:
            del _captures[i]
            return


@contextmanager
def capture_events() -> Iterator[list[Event]]:
    """Collect the events released while the block runs (tests)."""
    seen: list[Event | JobRequest] = []
    events: list[Event] = []
    _captures.append(seen)
    try:
        yield events
    finally:
        _stop_capture(seen)
        events.extend(e for e in seen if isinstance(e, Event))


@contextmanager
def capture_jobs() -> Iterator[list[JobRequest]]:
    """Collect the jobs released while the block runs (tests)."""
    seen: list[Event | JobRequest] = []
    out: list[JobRequest] = []
    _captures.append(seen)
    try:
        yield out
    finally:
        _stop_capture(seen)
        out.extend(e for e in seen if isinstance(e, JobRequest))
