"""SAQ's PostgreSQL queue (for a PostgreSQL deployment without Redis) with the platform's
pause flag, per-state counts from its rows and retention per outcome.

A process keeps a bounded number of connections whatever its number of queues: the queues
share one small pool (`JOBS_PG_POOL_SIZE`), one `Listener` connection LISTENs on every queue's
channel and hands each notification to its queue, and one `PauseBoard` reads the pause flags
of all queues in one query."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import typing as t

import psycopg
import structlog
from psycopg.sql import SQL, Identifier
from saq.job import Job, Status
from saq.multiplexer import Multiplexer
from saq.queue.postgres import ENQUEUE, PostgresQueue

from sparkle.core.queue import spec
from sparkle.core.queue.base import SparkleQueue

if t.TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

STATE_TABLE = "saq_queue_state"
APPLICATION_NAME = "sparkle-jobs"  # how the broker's connections show in pg_stat_activity


class Channel(Multiplexer):
    """A queue's notifications, fed by the process's `Listener` instead of a connection of its
    own."""

    async def _start(self) -> None:
        await asyncio.get_running_loop().create_future()  # runs until closed


class Listener:
    """The one connection of a process that LISTENs, on the channels of all its queues. After
    a lost connection it reconnects and wakes every queue, so a job enqueued while nobody was
    listening is not left waiting."""

    def __init__(self, conninfo: str, **kwargs: t.Any) -> None:
        self.conninfo = conninfo
        self.kwargs = kwargs
        self.channels: dict[str, Channel] = {}
        self._task: asyncio.Task[None] | None = None

    def channel(self, name: str) -> Channel:
        return self.channels.setdefault(name, Channel())

    async def connect(self) -> None:
        if self._task is None:
            connection = await self._connect()  # fails here when PostgreSQL is unreachable
            self._task = asyncio.create_task(self._run(connection), name="jobs-pg-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _connect(self) -> psycopg.AsyncConnection[t.Any]:
        connection = await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True, **self.kwargs
        )
        for name in self.channels:
            await connection.execute(SQL("LISTEN {}").format(Identifier(name)))
        return connection

    async def _run(self, connection: psycopg.AsyncConnection[t.Any]) -> None:
        while True:
            try:
                async with connection:
                    async for note in connection.notifies():
                        channel = self.channels.get(note.channel)
                        if channel is not None:
                            channel.publish(note.payload, note.payload)
            except psycopg.Error as exc:
                log.warning("jobs_listener_lost", error=str(exc))
            connection = await self._reconnect()
            for channel in self.channels.values():
                channel.publish(ENQUEUE, ENQUEUE)

    async def _reconnect(self) -> psycopg.AsyncConnection[t.Any]:
        delay = 0.1
        while True:
            await asyncio.sleep(delay)
            try:
                return await self._connect()
            except psycopg.Error:
                delay = min(delay * 2, 5.0)


class PauseBoard:
    """The pause flags of every queue, read in one query at most once per `poll` seconds."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self.flags: dict[str, bool] = {}
        self._read_at = -math.inf
        self._lock = asyncio.Lock()

    async def paused(self, queue: str, poll: float) -> bool:
        if time.monotonic() - self._read_at > poll:
            async with self._lock:
                if time.monotonic() - self._read_at > poll:
                    started = time.monotonic()
                    async with self.pool.connection() as conn, conn.cursor() as cur:
                        await cur.execute(f"SELECT queue, paused FROM {STATE_TABLE}")  # noqa: S608
                        self.flags = {name: bool(p) for name, p in await cur.fetchall()}
                    self._read_at = started
        return self.flags.get(queue, False)


class SparklePostgresQueue(SparkleQueue, PostgresQueue):
    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        listener: Listener,
        pause_board: PauseBoard,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(pool, manage_pool_lifecycle=False, **kwargs)
        self._listener = listener.channel(self._channel)  # type: ignore[assignment]
        self._board = pause_board

    async def init_db(self) -> None:
        await super().init_db()
        async with self.pool.connection() as conn:
            await conn.execute(
                SQL(
                    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
                    "(queue TEXT PRIMARY KEY, paused BOOLEAN NOT NULL)"
                )
            )

    # saq's Queue.dequeue signature, timeout included.
    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        if not await self.wait_unpaused():
            return None
        job = await super().dequeue(timeout, poll_interval)
        if job is not None and await self.is_paused():
            # Paused while this worker was waiting: hand the job back. SAQ hands out a job
            # before its claim commits; matching 'queued' too makes this wait for that commit.
            await self._rows(
                "UPDATE {t} SET status = 'queued' WHERE key = %s "
                "AND status IN ('active', 'queued') RETURNING key",
                job.key,
            )
            return None
        return job

    async def _finish(self, job: Job, status: Status, **kwargs: t.Any) -> None:
        job.ttl = self.retention(status)
        await super()._finish(job, status, **kwargs)

    async def sweep(self, lock: int = 60, abort: float | None = None) -> list[str]:
        """One process sweeps a queue at a time. SAQ takes its sweep lock once, on whichever
        pooled connection it got, and keeps it: when the pool recycles that connection the lock
        goes with it while the process still believes it holds it, and two processes sweep at
        once. Here the lock is taken on a connection kept for the sweep and released after it,
        so sweeps take turns across processes."""
        key = (self.saq_lock_keyspace, self.name)
        async with self.pool.connection() as conn:
            cursor = await conn.execute(SQL("SELECT pg_try_advisory_lock(%s, hashtext(%s))"), key)
            row = await cursor.fetchone()
            if not row or not row[0]:
                return []  # another process is sweeping this queue
            self._has_sweep_lock = True
            try:
                swept = await super().sweep(lock, abort if abort is not None else self.abort_wait)
                await conn.execute(
                    SQL(
                        "DELETE FROM {t} WHERE key IN (SELECT key FROM {t} WHERE queue = %s "
                        "AND status = 'complete' ORDER BY expire_at DESC OFFSET %s)"
                    ).format(t=self.jobs_table),
                    (self.name, spec.COMPLETED_KEEP),
                )
            finally:
                self._has_sweep_lock = False
                await conn.execute(SQL("SELECT pg_advisory_unlock(%s, hashtext(%s))"), key)
        return swept

    async def _rows(self, query: str, *args: t.Any) -> list[tuple[t.Any, ...]]:
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(SQL(query).format(t=self.jobs_table), args)
            return list(await cur.fetchall())

    async def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("waiting", "active", "completed", "failed", "delayed"), 0)
        current = time.time()
        rows = await self._rows(
            "SELECT status, scheduled > %s, count(*) FROM {t} WHERE queue = %s "
            "AND (expire_at IS NULL OR expire_at > %s) GROUP BY 1, 2",
            current,
            self.name,
            current,
        )
        names = {
            "active": "active",
            "aborting": "active",
            "complete": "completed",
            "failed": "failed",
            "aborted": "failed",
        }
        for status, later, n in rows:
            if status in ("queued", "new", "deferred"):
                out["delayed" if later else "waiting"] += n
            elif status in names:
                out[names[status]] += n
        return out

    async def failed_jobs(self, limit: int = 50) -> list[Job]:
        rows = await self._rows(
            "SELECT job, status FROM {t} WHERE queue = %s AND status IN ('failed', 'aborted') "
            "ORDER BY expire_at DESC LIMIT %s",
            self.name,
            limit,
        )
        return [j for j in (self.deserialize(job, status) for job, status in rows) if j]

    async def remove(self, key: str) -> bool:
        job = await self.job(key)
        if job is None:
            return False
        if job.status in (Status.ACTIVE, Status.ABORTING):
            await self.abort(job, error="deleted")
            return True
        await self._rows(
            "DELETE FROM {t} WHERE key = %s AND status NOT IN ('active', 'aborting') RETURNING key",
            key,
        )
        return True

    async def _before_retry(self, job: Job) -> None:
        # SAQ replaces a finished row only by a later schedule; the retried job starts now.
        await self._rows(
            "DELETE FROM {t} WHERE key = %s AND status IN ('failed', 'aborted') RETURNING key",
            job.key,
        )

    async def purge(self, states: tuple[str, ...] = ("completed", "failed")) -> int:
        statuses = [
            s
            for state in states
            for s in {"completed": ["complete"], "failed": ["failed", "aborted"]}[state]
        ]
        rows = await self._rows(
            "DELETE FROM {t} WHERE queue = %s AND status = ANY(%s) RETURNING key",
            self.name,
            statuses,
        )
        return len(rows)

    async def is_paused(self, *, fresh: bool = False) -> bool:
        return await self._board.paused(self.name, 0.0 if fresh else self.pause_poll)

    async def set_paused(self, paused: bool) -> None:
        await self._store_set_paused(paused)
        self._board.flags[self.name] = paused

    async def _store_paused(self) -> bool:
        return await self.is_paused(fresh=True)

    async def _store_set_paused(self, paused: bool) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                # STATE_TABLE is a module constant; the values are bound parameters.
                f"INSERT INTO {STATE_TABLE} (queue, paused) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused",
                (self.name, paused),
            )
