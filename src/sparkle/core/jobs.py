"""The job registry and how jobs are run.

Handlers register as `domain.verb` with a typed payload (`@job`), cron schedules with `cron()`.
Jobs are released after commit (`events.enqueue`). With a broker installed (`install()`: the
web process, `sparkle worker`) they are persisted: the enqueue writes an outbox row in the
caller's transaction and the row is handed to the broker's queue after commit, where workers
run it with retries (`sparkle.core.queue`). Without one, the in-process `runner` runs them:
inline (tests, CLI commands: awaited before the commit returns) or as background tasks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

log = structlog.get_logger(__name__)

Handler = Callable[[Any], Awaitable[None]]


@dataclass
class JobType:
    name: str
    queue: str
    payload: type[BaseModel]
    handler: Handler
    attempts: int = 3
    timeout: float | None = None
    heartbeat: float | None = None


@dataclass
class Schedule:
    """A cron schedule: run job `name` with `payload` at every `cron` time (UTC)."""

    name: str
    cron: str
    payload: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass
class Delayed:
    due: float
    name: str
    payload: dict[str, Any]
    key: str | None


REGISTRY: dict[str, JobType] = {}
SCHEDULES: list[Schedule] = []


class Runner:
    """Runs jobs in this process. `inline=True` awaits them before returning.

    Inline, a delayed job waits in `delayed` until `run_due()` is called with a clock that has
    reached it, so tests can step through batching windows without sleeping. A key names a job
    that must not be queued twice: while a job with the same key waits, another is dropped.
    """

    def __init__(self, inline: bool = False) -> None:
        self.inline = inline
        self.tasks: set[asyncio.Task[None]] = set()
        self.delayed: list[Delayed] = []
        self.clock: float = 0.0  # seconds added to time.time() by run_due(advance=...)

    def now(self) -> float:
        return time.time() + self.clock

    async def submit(
        self, job: JobType, payload: dict[str, Any], *, delay: float = 0, key: str | None = None
    ) -> None:
        if key is not None and any(d.key == key for d in self.delayed):
            return
        if self.inline:
            if delay > 0:
                self.delayed.append(Delayed(self.now() + delay, job.name, payload, key))
                return
            await _run(job, payload)
            return
        task = asyncio.get_running_loop().create_task(_later(job, payload, delay, key, self))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run_due(self, advance: float = 0) -> int:
        """Move the clock forward by `advance` seconds and run the delayed jobs now due."""
        self.clock += advance
        ran = 0
        while due := [d for d in self.delayed if d.due <= self.now()]:
            for item in due:
                self.delayed.remove(item)
                await _run(REGISTRY[item.name], item.payload)
                ran += 1
        return ran

    def reset(self) -> None:
        self.delayed.clear()
        self.clock = 0.0

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


runner = Runner(inline=True)
broker: Any = None  # a `sparkle.core.queue.broker.Broker` once installed


def job(
    name: str,
    *,
    queue: str,
    payload: type[BaseModel],
    timeout: float | None = None,
    heartbeat: float | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler` as job `name` taking `payload`.

    Delivery is at least once: a handler may run again after a crash, so it must be idempotent.
    `timeout` bounds one attempt; long jobs (video, sync) set `heartbeat` so a live worker's
    job is not taken for a dead one.
    """

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = JobType(
            name, queue, payload, handler, timeout=timeout, heartbeat=heartbeat
        )
        return handler

    return register


def cron(
    name: str, expression: str, payload: dict[str, Any] | None = None, *, description: str = ""
) -> None:
    """Run job `name` on the cron `expression` (UTC), e.g. `"0 2 * * *"` for 02:00 daily."""
    SCHEDULES.append(Schedule(name, expression, payload or {}, description))


def validate(name: str, payload: dict[str, Any]) -> None:
    if name not in REGISTRY:
        raise KeyError(f"Invalid job type: {name}")
    REGISTRY[name].payload.model_validate(payload)


def configure(*, inline: bool) -> None:
    runner.inline = inline


def install(new_broker: Any) -> None:
    """Persist jobs through `new_broker` from now on (None: back to the in-process runner)."""
    global broker
    broker = new_broker


def persisted() -> bool:
    return broker is not None and not runner.inline


async def dispatch(
    name: str, payload: dict[str, Any], *, delay: float = 0, key: str | None = None
) -> str | None:
    """Run or queue job `name` now, outside any transaction. Returns the queued job's id
    (None when run in process, or when `key` de-duplicated it)."""
    if persisted():
        import uuid_utils

        job_id: str | None = await broker.enqueue(
            name, payload, job_key=str(uuid_utils.uuid7()), delay=delay, key=key
        )
        return job_id
    await runner.submit(REGISTRY[name], payload, delay=delay, key=key)
    return None


async def _later(
    job: JobType, payload: dict[str, Any], delay: float, key: str | None, owner: Runner
) -> None:
    if delay > 0:
        item = Delayed(owner.now() + delay, job.name, payload, key)
        owner.delayed.append(item)
        await asyncio.sleep(delay)
        owner.delayed.remove(item)
    await _run(job, payload)


async def _run(job: JobType, payload: dict[str, Any]) -> None:
    delay = 2.0
    for attempt in range(1, job.attempts + 1):
        try:
            await job.handler(job.payload.model_validate(payload))
            return
        except ValidationError:
            log.exception("job_invalid_payload", job=job.name)
            return
        except Exception:
            log.exception("job_failed", job=job.name, attempt=attempt)
            if attempt == job.attempts or runner.inline:
                if runner.inline:
                    raise
                return
            await asyncio.sleep(delay)
            delay *= 2
