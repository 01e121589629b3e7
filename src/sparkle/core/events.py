"""Domain events and jobs buffered per transaction and released only after commit.

A domain event is a typed payload (`DomainEvent` subclass, `extra="forbid"`) under its seed
name; every class registers itself in `CATALOG`. `publish(session, event)` is the one way to
raise one. Its consumers are declared in the route table, by the consuming domain's own
`jobs.py` or `sockets.py`:

- `route(EventType, job=...)`: durable. `publish()` enqueues the job in the producer's
  transaction, so with a broker it is an outbox row: commit ⇒ the job runs, at least once,
  even if the process dies before hand-over or the broker refuses (the sweeper relays it).
- `after_commit(EventType, handler)`: in-process and best effort, run once the transaction
  committed — the realtime layer's socket routes (`sparkle.realtime.route`), which live
  connections make ephemeral anyway.

`enqueue()` queues a job directly (same outbox guarantee). The boundary that commits calls
`flush()`, a rollback calls `discard()`: nothing reaches a worker or a socket for a row that was
never committed. Ephemeral signals (typing, upload progress) are not domain events; they are
emitted directly.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

BUFFER_KEY = "sparkle.after_commit"


class DomainEvent(BaseModel):
    """A domain event. Subclasses set `name` (the seed's `domain:verb`); their docstring is
    the catalogue's description. On the wire (jobs, logs, other processes) the payload is the
    camelCase JSON of the fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )
    name: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None:  # a shared base of several events
            return
        if name in CATALOG and CATALOG[name] is not cls:
            raise ValueError(f"Event {name!r} is already {CATALOG[name].__qualname__}")
        CATALOG[name] = cls

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


T = TypeVar("T")
E = TypeVar("E", bound=DomainEvent)
AfterCommit = Callable[[Any], Awaitable[None]]

CATALOG: dict[str, type[DomainEvent]] = {}


@dataclass(frozen=True)
class JobRoute:
    job: str
    payload: Callable[[Any], dict[str, Any]] | None  # event → job payload; None: the event's


@dataclass(frozen=True)
class AfterCommitRoute:
    handler: AfterCommit
    owner: str
    kind: str  # what the handler feeds, for the catalogue ("socket", ...)


JOB_ROUTES: dict[str, list[JobRoute]] = defaultdict(list)
AFTER_COMMIT: dict[str, list[AfterCommitRoute]] = defaultdict(list)


def route(
    event: type[E], *, job: str, payload: Callable[[E], dict[str, Any]] | None = None
) -> None:
    """Run job `job` for every `event`, durably (an outbox row in the producer's transaction).

    The job's payload is the event's wire payload, or `payload(event)` when given."""
    entry = JobRoute(job, payload)
    if entry not in JOB_ROUTES[event.name]:
        JOB_ROUTES[event.name].append(entry)


def after_commit(
    event: type[E], handler: Callable[[E], Awaitable[None]], *, kind: str, owner: str
) -> None:
    """Call `handler(event)` in this process after the publishing transaction committed (best
    effort: a failure is logged, a crash loses it — use `route(..., job=)` for work that must
    happen). `kind` and `owner` (the consuming module) are for the catalogue."""
    entry = AfterCommitRoute(handler, owner, kind)
    if entry not in AFTER_COMMIT[event.name]:
        AFTER_COMMIT[event.name].append(entry)


@dataclass
class Event:
    """A published event as buffered and released: its name, wire payload and typed model."""

    name: str
    payload: dict[str, Any]
    event: DomainEvent


@dataclass
class JobRequest:
    name: str
    payload: dict[str, Any]
    delay: float = 0
    key: str | None = None
    outbox_id: uuid.UUID | None = None  # set when the job is persisted through the outbox


_captures: list[list[Event | JobRequest]] = []


def _buffer(session: AsyncSession) -> list[Event | JobRequest]:
    buffer: list[Event | JobRequest] = session.info.setdefault(BUFFER_KEY, [])
    return buffer


def publish(session: AsyncSession, event: DomainEvent) -> None:
    """Publish `event` when the session's transaction commits; its job routes are enqueued in
    this transaction now."""
    if not isinstance(event, DomainEvent):
        raise TypeError(f"publish() takes a DomainEvent, not {type(event).__name__}")
    payload = event.wire()
    for entry in JOB_ROUTES.get(event.name, ()):
        data = payload if entry.payload is None else entry.payload(event)
        enqueue(session, entry.job, data)
    _buffer(session).append(Event(event.name, payload, event))


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


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """A nested transaction whose events and jobs go with it: when the block raises, its rows,
    the events it published and the jobs it enqueued are undone, and the caller (a page that
    answers a refused change with a form) can go on in the same transaction."""
    mark = len(_buffer(session))
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        del _buffer(session)[mark:]
        raise


async def attempt(session: AsyncSession, call: Awaitable[T]) -> T:
    """Await `call` (a service call) inside `savepoint(session)`: a refused change leaves no
    rows, events or jobs behind, and the caller may still answer in the same transaction."""
    async with savepoint(session):
        return await call


async def flush(session: AsyncSession) -> None:
    """Release what the committed transaction buffered."""
    from sparkle.core import jobs

    items = session.info.pop(BUFFER_KEY, [])
    persisted: list[JobRequest] = []
    for item in items:
        for capture in _captures:
            capture.append(item)
        if isinstance(item, Event):
            await _after_commit(item)
        elif item.outbox_id is not None:
            persisted.append(item)
        else:
            await jobs.dispatch(item.name, item.payload, delay=item.delay, key=item.key)
    if persisted and jobs.broker is not None:
        from sparkle.core import runtime
        from sparkle.core.queue import outbox

        rows = [(j.outbox_id, j.name, j.payload, j.delay, j.key) for j in persisted]
        await outbox.relay(runtime.get().sessions, jobs.broker, rows)  # type: ignore[arg-type]


async def _after_commit(item: Event) -> None:
    for entry in AFTER_COMMIT.get(item.name, ()):
        try:
            await entry.handler(item.event)
        except Exception:  # a consumer's failure must not break the producer
            log.exception("event_consumer_failed", event_name=item.name, consumer=entry.owner)


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    # Jobs cross process boundaries in the distributed mode; round-trip them through JSON now
    # so both modes see the same values.
    roundtripped: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return roundtripped


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
