"""Workers: one SAQ worker per named queue with its concurrency, the cron schedules of
`jobs.SCHEDULES`, and the outbox sweeper. Run inside the web process (embedded mode) or as
`sparkle worker` processes (distributed mode)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import typing as t
from datetime import UTC, datetime

import structlog
from croniter import croniter
from pydantic import ValidationError
from saq.types import Context
from saq.worker import Worker

from sparkle.core.queue import outbox, spec
from sparkle.core.queue.broker import Broker

if t.TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from sparkle.core.jobs import JobType, Schedule

log = structlog.get_logger(__name__)


def schedule_key(schedule: Schedule) -> str:
    digest = hashlib.sha1(
        json.dumps([schedule.cron, schedule.payload], sort_keys=True).encode(),
        usedforsecurity=False,  # a short stable name for the schedule, not a secret
    ).hexdigest()[:12]
    return f"cron:{schedule.name}:{digest}"


def make_function(job_type: JobType) -> t.Callable[..., t.Awaitable[None]]:
    """The SAQ function for a registered job: validate the payload, keep a long job's
    heartbeat while it runs, call the handler."""

    async def run(ctx: dict[str, t.Any], *, payload: dict[str, t.Any]) -> None:
        job = ctx["job"]
        try:
            model = job_type.payload.model_validate(payload)
        except ValidationError:
            job.retries = job.attempts  # a bad payload stays bad: fail now, keep the error
            raise
        beat = None
        if job.heartbeat:
            beat = asyncio.create_task(_heartbeat(job, max(job.heartbeat / 3, 0.2)))
        try:
            await job_type.handler(model)
        finally:
            if beat is not None:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat

    run.__qualname__ = job_type.name
    return run


async def _heartbeat(job: t.Any, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            await job.update()


class QueueWorker(Worker[Context]):
    """A SAQ worker that leaves signals to its host and schedules the platform's cron jobs."""

    # A plain class attribute, as saq declares it (a ClassVar would not override it).
    SIGNALS: list[signal.Signals] = []  # noqa: RUF012

    def __init__(self, broker: Broker, schedules: list[Schedule], **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self.broker = broker
        self.schedules = schedules
        self._next: dict[str, float] = {}

    async def schedule(self, lock: int = 1) -> None:
        current = datetime.now(UTC)
        for item in self.schedules:
            due = croniter(item.cron, current).get_next(float)
            key = schedule_key(item)
            if self._next.get(key) == due:
                continue
            await self.broker.enqueue(item.name, item.payload, job_key=key, scheduled=due)
            self._next[key] = due
        await self.queue.schedule(lock)

    async def stop(self) -> None:
        """Let running jobs finish for the grace period, then cancel what is left (a cancelled
        job is queued again). Idle loops are not waited for."""
        self.event.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._shutdown_grace_period_s or 0)
        # saq offers no event for "the last running job ended"; poll its task map.
        while self.job_task_contexts and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self._shutdown_grace_period_s = 0
        await super().stop()


class JobWorker:
    """Workers for `queues` (all by default) on `broker`; `concurrency` overrides each queue's."""

    def __init__(
        self,
        broker: Broker,
        sessions: async_sessionmaker[AsyncSession] | None,
        *,
        queues: list[str] | None = None,
        concurrency: int | None = None,
        sweep_seconds: float = 15.0,
        outbox_seconds: float = 30.0,
        shutdown_grace: int = 5,
    ) -> None:
        from sparkle.core import jobs

        self.broker = broker
        self.sessions = sessions
        self.outbox_seconds = outbox_seconds
        names = queues or list(spec.QUEUES)
        unknown = [n for n in names if n not in spec.QUEUES]
        if unknown:
            raise ValueError(f"unknown queue(s): {', '.join(unknown)}")
        self.workers: list[QueueWorker] = []
        for name in names:
            functions = [
                (jt.name, make_function(jt)) for jt in jobs.REGISTRY.values() if jt.queue == name
            ]
            schedules = [
                s
                for s in jobs.SCHEDULES
                if s.name in jobs.REGISTRY and jobs.REGISTRY[s.name].queue == name
            ]
            queue = broker.queue(name)
            self.workers.append(
                QueueWorker(
                    broker,
                    schedules,
                    queue=queue,
                    functions=functions,
                    concurrency=concurrency or spec.QUEUES[name].concurrency,
                    timers={
                        "sweep": int(max(sweep_seconds, 1)),
                        "schedule": 1,
                        "abort": 1,
                        "worker_info": 10,
                    },
                    dequeue_timeout=1.0,
                    shutdown_grace_period_s=shutdown_grace,
                )
            )
            # A sweep lock lives as long as the sweep interval; keep fractional intervals.
            self.workers[-1].timers["sweep"] = sweep_seconds  # type: ignore[typeddict-item]
        self._tasks: list[asyncio.Task[t.Any]] = []

    async def start(self) -> None:
        await self.broker.connect()
        for worker in self.workers:
            self._tasks.append(
                asyncio.create_task(worker.start(), name=f"jobs-{worker.queue.name}")
            )
        if self.sessions is not None:
            self._tasks.append(
                asyncio.create_task(
                    outbox.sweep_forever(self.sessions, self.broker, interval=self.outbox_seconds),
                    name="jobs-outbox",
                )
            )
        log.info(
            "job_worker_started",
            queues=[w.queue.name for w in self.workers],
            backend=self.broker.backend,
        )

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers), return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()
