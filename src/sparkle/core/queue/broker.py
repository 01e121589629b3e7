"""The job broker: one SAQ queue per named queue on the configured store (Redis, PostgreSQL or
a SQLite file), and the operations on them that the platform needs."""

from __future__ import annotations

import math
import time
import typing as t
from pathlib import Path

from saq.job import Job, Status
from saq.queue.base import Queue

from sparkle.core.queue import spec
from sparkle.core.queue.base import SparkleQueue

if t.TYPE_CHECKING:
    from sparkle.core.config import Settings


class UnknownQueue(KeyError):
    pass


def backend_name(settings: Settings) -> str:
    if settings.jobs_backend != "auto":
        return settings.jobs_backend
    if settings.redis_url:
        return "redis"
    if not settings.is_sqlite:
        return "postgres"
    return "sqlite"


def sqlite_path(settings: Settings) -> Path:
    return settings.jobs_sqlite_path or settings.data_dir / "jobs.db"


class Broker:
    def __init__(
        self,
        backend: str,
        queues: dict[str, t.Any],
        closers: list[t.Any],
        openers: list[t.Any] | None = None,
    ) -> None:
        self.backend = backend
        self.queues: dict[str, t.Any] = queues
        self._openers = openers or []
        self._closers = closers
        self._connected = False

    @classmethod
    def from_settings(cls, settings: Settings, *, poll_interval: float = 0.5) -> Broker:
        backend = backend_name(settings)
        queues: dict[str, t.Any] = {}
        openers: list[t.Any] = []
        closers: list[t.Any] = []
        if backend == "redis":
            import redis.asyncio as aioredis

            from sparkle.core.queue.redis import SparkleRedisQueue

            if not settings.redis_url:
                raise ValueError("JOBS_BACKEND=redis needs REDIS_URL")
            client = aioredis.from_url(settings.redis_url)
            closers.append(client.aclose)
            for name in spec.QUEUES:
                queues[name] = SparkleRedisQueue(client, name=name, max_concurrent_ops=50)
        elif backend == "postgres":
            from psycopg_pool import AsyncConnectionPool

            from sparkle.core.queue.postgres import (
                APPLICATION_NAME,
                Listener,
                PauseBoard,
                SparklePostgresQueue,
            )

            url = settings.effective_database_url.replace("+asyncpg", "").replace("+psycopg", "")
            if not url.startswith("postgres"):
                raise ValueError("JOBS_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
            # One pool and one listening connection per process, shared by all queues.
            size = settings.jobs_pg_pool_size
            pool = AsyncConnectionPool(
                url,
                open=False,
                min_size=min(2, size),
                max_size=size,
                kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
                check=AsyncConnectionPool.check_connection,
            )
            listener = Listener(url, application_name=APPLICATION_NAME)
            board = PauseBoard(pool)
            for name in spec.QUEUES:
                queues[name] = SparklePostgresQueue(
                    pool, name=name, listener=listener, pause_board=board
                )
            openers.extend([pool.open, listener.connect])
            closers.extend([listener.close, pool.close])
        else:
            from sparkle.core.queue.sqlite import SQLiteQueue, SQLiteStore

            store = SQLiteStore(sqlite_path(settings))
            for name in spec.QUEUES:
                queues[name] = SQLiteQueue(store, name=name, poll_interval=poll_interval)
        broker = cls(backend, queues, closers, openers)
        for queue in queues.values():
            queue.abort_wait = settings.jobs_abort_wait_seconds
        return broker

    async def connect(self) -> None:
        if self._connected:
            return
        for open_ in self._openers:
            await open_()
        for queue in self.queues.values():
            await queue.connect()
        self._connected = True

    async def close(self) -> None:
        if not self._connected:
            return
        self._connected = False
        for queue in self.queues.values():
            await queue.disconnect()
        for close in self._closers:
            await close()

    def queue(self, name: str) -> t.Any:
        try:
            return self.queues[name]
        except KeyError:
            raise UnknownQueue(name) from None

    # -- enqueue -------------------------------------------------------------------------

    def make_job(
        self, name: str, payload: dict[str, t.Any], *, job_key: str, scheduled: float = 0
    ) -> tuple[Queue, Job]:
        from sparkle.core import jobs

        job_type = jobs.REGISTRY[name]
        queue_spec = spec.QUEUES[job_type.queue]
        job = Job(
            function=name,
            kwargs={"payload": payload},
            key=job_key,
            timeout=int(job_type.timeout or queue_spec.timeout),
            heartbeat=int(job_type.heartbeat or queue_spec.heartbeat),
            retries=spec.ATTEMPTS,
            retry_delay=spec.RETRY_DELAY,
            retry_backoff=spec.RETRY_BACKOFF,
            ttl=spec.FAILED_TTL,
            scheduled=math.ceil(scheduled) if scheduled else 0,
        )
        return self.queue(job_type.queue), job

    async def enqueue(
        self,
        name: str,
        payload: dict[str, t.Any],
        *,
        job_key: str,
        delay: float = 0,
        key: str | None = None,
        scheduled: float = 0,
    ) -> str | None:
        """Hand job `name` to its queue; returns the job's key, or None when `key` already
        names a waiting job (de-duplication).

        A key de-duplicates while its job waits. If the keyed job is already running, the new
        one queues behind it under `<key>:next`, so nothing that happened during the run is
        missed by a job that has already read its input."""
        if delay > 0 and not scheduled:
            scheduled = time.time() + delay
        if key is None:
            queue, job = self.make_job(name, payload, job_key=job_key, scheduled=scheduled)
            return job_key if await queue.enqueue(job) else None
        for candidate in (key, f"{key}:next"):
            queue, job = self.make_job(name, payload, job_key=candidate, scheduled=scheduled)
            if await queue.enqueue(job):
                return candidate
            existing = await queue.job(candidate)
            if existing is None or existing.status not in (Status.ACTIVE, Status.ABORTING):
                return None
        queue, job = self.make_job(name, payload, job_key=f"{key}:{job_key}", scheduled=scheduled)
        return job.key if await queue.enqueue(job) else None

    # -- operators -----------------------------------------------------------------------

    async def stats(self) -> dict[str, dict[str, t.Any]]:
        out: dict[str, dict[str, t.Any]] = {}
        for name, queue in self.queues.items():
            counts = await queue.counts()
            out[name] = {**counts, "paused": await queue.is_paused(fresh=True)}
        return out

    async def failed(self, name: str, limit: int = 50) -> list[Job]:
        queue: SparkleQueue = self.queue(name)
        return await queue.failed_jobs(limit)
