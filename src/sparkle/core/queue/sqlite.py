"""A SAQ queue stored in a SQLite file, for the embedded mode: the same workers, retries,
cron and stats as on Redis, persisted so a restart loses no job.

Every operation is one SQL statement in autocommit mode, so a statement is atomic on its own:
a worker claims a job with `UPDATE ... WHERE status = 'queued' RETURNING`, which SQLite runs
under its write lock, so two workers (in one process or several) never claim the same job.
Delayed and retried jobs wait as `queued` rows whose `scheduled` time is in the future.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import typing as t
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import aiosqlite
from saq.job import TERMINAL_STATUSES, Job, Status
from saq.queue.base import Queue, logger
from saq.utils import now

from sparkle.core.queue.base import SparkleQueue

if t.TYPE_CHECKING:
    from saq.types import CountKind, QueueInfo, WorkerInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS saq_jobs (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    job TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled REAL NOT NULL DEFAULT 0,
    finished REAL,
    expire_at REAL,
    UNIQUE (queue, key)
);
CREATE INDEX IF NOT EXISTS saq_jobs_claim ON saq_jobs (queue, status, scheduled);
CREATE INDEX IF NOT EXISTS saq_jobs_expire ON saq_jobs (queue, expire_at);
CREATE TABLE IF NOT EXISTS saq_stats (
    worker_id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    info TEXT NOT NULL,
    expire_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS saq_locks (name TEXT PRIMARY KEY, expire_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS saq_queue_state (queue TEXT PRIMARY KEY, paused INTEGER NOT NULL);
"""

TERMINAL = ("complete", "failed", "aborted")


class SQLiteStore:
    """One connection per process to the jobs file, shared by its queues."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: aiosqlite.Connection | None = None
        self.wakeups: dict[str, asyncio.Event] = {}
        self._users = 0
        self._lock = asyncio.Lock()

    async def open(self) -> aiosqlite.Connection:
        async with self._lock:
            self._users += 1
            if self.conn is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute("PRAGMA synchronous=NORMAL")
                await conn.execute("PRAGMA busy_timeout=30000")
                await conn.executescript(SCHEMA)
                self.conn = conn
            return self.conn

    async def close(self) -> None:
        async with self._lock:
            self._users -= 1
            if self._users <= 0 and self.conn is not None:
                await self.conn.close()
                self.conn = None

    def wakeup(self, queue: str) -> asyncio.Event:
        return self.wakeups.setdefault(queue, asyncio.Event())


class SQLiteQueue(SparkleQueue, Queue):
    """`saq.Queue` on a SQLite file; several queues (and processes) may share one file.

    Enqueues in this process wake a waiting worker at once; `poll_interval` only bounds how late
    a job enqueued by another process, or a delayed job coming due, is seen. Every worker slot
    polls, so a short interval costs an idle server real CPU (0.05 s: 11 % of a core).
    """

    def __init__(
        self,
        store: SQLiteStore,
        name: str = "default",
        *,
        poll_interval: float = 0.5,
        swept_error_message: str | None = None,
    ) -> None:
        super().__init__(name=name, dump=None, load=None, swept_error_message=swept_error_message)
        self.store = store
        self.poll_interval = poll_interval
        self._connected = False

    def __repr__(self) -> str:
        return f"SQLiteQueue<{self.store.path}, name='{self.name}'>"

    def _rows(self, sql: str, params: t.Sequence[t.Any] = ()) -> _Rows:
        """Run one statement to completion (all rows read, statement reset) in one call, so no
        open statement keeps a read snapshot that a later write would have to upgrade (which
        WAL refuses at once with "database is locked" if another process wrote meanwhile)."""
        return _Rows(self.db, sql, params)

    @property
    def db(self) -> aiosqlite.Connection:
        if self.store.conn is None:
            raise RuntimeError("the SQLite queue is not connected")
        return self.store.conn

    async def connect(self) -> None:
        if not self._connected:
            await self.store.open()
            self._connected = True
        await super().connect()

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self.store.close()

    # -- reading -------------------------------------------------------------------------

    def _load_row(self, job: str | None, status: str | None) -> Job | None:
        return self.deserialize(job, status) if job else None

    async def job(self, job_key: str) -> Job | None:
        async with self._rows(
            "SELECT job, status FROM saq_jobs WHERE queue = ? AND key = ?", (self.name, job_key)
        ) as cur:
            row = await cur.fetchone()
        return self._load_row(*row) if row else None

    async def jobs(self, job_keys: Iterable[str]) -> list[Job | None]:
        keys = list(job_keys)
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        async with self._rows(
            f"SELECT key, job, status FROM saq_jobs WHERE queue = ? AND key IN ({marks})",  # noqa: S608
            (self.name, *keys),
        ) as cur:
            found = {key: self._load_row(job, status) for key, job, status in await cur.fetchall()}
        return [found.get(key) for key in keys]

    async def iter_jobs(
        self, statuses: list[Status] | None = None, batch_size: int = 100
    ) -> AsyncIterator[Job]:
        wanted = [s.value for s in statuses or list(Status)]
        marks = ",".join("?" * len(wanted))
        last = 0
        while True:
            async with self._rows(
                f"SELECT rowid, job, status FROM saq_jobs WHERE queue = ? AND rowid > ? "  # noqa: S608
                f"AND status IN ({marks}) ORDER BY rowid LIMIT ?",
                (self.name, last, *wanted, batch_size),
            ) as cur:
                rows = await cur.fetchall()
            for rowid, job, status in rows:
                last = rowid
                loaded = self._load_row(job, status)
                if loaded is not None:
                    yield loaded
            if len(rows) < batch_size:
                return

    async def count(self, kind: CountKind) -> int:
        if kind == "queued":
            sql = "status = 'queued' AND scheduled <= ?"
            args: tuple[t.Any, ...] = (time.time(),)
        elif kind == "active":
            sql, args = "status IN ('active', 'aborting')", ()
        elif kind == "incomplete":
            sql, args = "status IN ('queued', 'active', 'aborting')", ()
        else:
            raise ValueError(f"Can't count unknown type {kind}")
        async with self._rows(
            f"SELECT count(*) FROM saq_jobs WHERE queue = ? AND {sql}",  # noqa: S608
            (self.name, *args),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("waiting", "active", "completed", "failed", "delayed"), 0)
        async with self._rows(
            "SELECT status, scheduled > ?, count(*) FROM saq_jobs WHERE queue = ? "
            "GROUP BY status, scheduled > ?",
            (time.time(), self.name, time.time()),
        ) as cur:
            for status, later, n in await cur.fetchall():
                state = {
                    "queued": "delayed" if later else "waiting",
                    "active": "active",
                    "aborting": "active",
                    "complete": "completed",
                    "failed": "failed",
                    "aborted": "failed",
                }.get(status)
                if state:
                    out[state] += n
        return out

    async def failed_jobs(self, limit: int = 50) -> list[Job]:
        async with self._rows(
            "SELECT job, status FROM saq_jobs WHERE queue = ? AND status IN ('failed', 'aborted') "
            "ORDER BY finished DESC LIMIT ?",
            (self.name, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [j for j in (self._load_row(*r) for r in rows) if j is not None]

    async def info(self, jobs: bool = False, offset: int = 0, limit: int = 10) -> QueueInfo:
        async with self._rows(
            "SELECT worker_id, info FROM saq_stats WHERE queue = ? AND expire_at >= ?",
            (self.name, time.time()),
        ) as cur:
            workers = {wid: json.loads(info) for wid, info in await cur.fetchall()}
        queued = await self.count("queued")
        active = await self.count("active")
        incomplete = await self.count("incomplete")
        job_info: list[dict[str, t.Any]] = []
        if jobs:
            async with self._rows(
                "SELECT job, status FROM saq_jobs WHERE queue = ? "
                "AND status IN ('queued', 'active', 'aborting') ORDER BY rowid LIMIT ? OFFSET ?",
                (self.name, limit, offset),
            ) as cur:
                for job, status in await cur.fetchall():
                    loaded = self._load_row(job, status)
                    if loaded is not None:
                        job_info.append(loaded.to_dict())
        return {
            "workers": workers,
            "name": self.name,
            "queued": queued,
            "active": active,
            "scheduled": incomplete - queued - active,
            "jobs": job_info,
        }

    # -- writing -------------------------------------------------------------------------

    async def _enqueue(self, job: Job) -> Job | None:
        # A key is unique while its job is unfinished; a finished job's row is replaced.
        placeholders = ",".join("?" * len(TERMINAL))
        async with self._rows(
            "INSERT INTO saq_jobs (queue, key, job, status, scheduled) VALUES (?, ?, ?, ?, ?) "  # noqa: S608
            "ON CONFLICT (queue, key) DO UPDATE SET job = excluded.job, status = excluded.status, "
            "scheduled = excluded.scheduled, finished = NULL, expire_at = NULL "
            f"WHERE saq_jobs.status IN ({placeholders}) RETURNING key",
            (self.name, job.key, self.serialize(job), job.status.value, job.scheduled, *TERMINAL),
        ) as cur:
            if await cur.fetchone() is None:
                return None
        self.store.wakeup(self.name).set()
        logger.info("Enqueuing %s", job.info(False))
        return job

    # saq's Queue.dequeue signature, timeout included.
    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout if timeout else None
        wakeup = self.store.wakeup(self.name)
        interval = poll_interval or self.poll_interval
        while True:
            if await self.wait_unpaused():
                wakeup.clear()
                job = await self._claim()
                if job is not None:
                    return job
            if deadline is not None and time.monotonic() >= deadline:
                return None
            wait = interval if deadline is None else min(interval, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), max(wait, 0))

    async def _claim(self) -> Job | None:
        stamp = now()
        async with self._rows(
            "UPDATE saq_jobs SET status = 'active', "
            "job = json_set(job, '$.started', ?, '$.touched', ?, '$.status', 'active') "
            "WHERE rowid = (SELECT rowid FROM saq_jobs WHERE queue = ? AND status = 'queued' "
            "AND scheduled <= ? ORDER BY scheduled, rowid LIMIT 1) AND status = 'queued' "
            "RETURNING job",
            (stamp, stamp, self.name, time.time()),
        ) as cur:
            row = await cur.fetchone()
        return self._load_row(row[0], "active") if row else None

    async def _update(self, job: Job, status: Status | None = None, **kwargs: t.Any) -> None:
        await self.db.execute_fetchall(
            "UPDATE saq_jobs SET job = ?, status = coalesce(?, status) WHERE queue = ? AND key = ?",
            (self.serialize(job), status.value if status else None, self.name, job.key),
        )

    async def _retry(self, job: Job, error: str | None) -> None:
        delay = job.next_retry_delay()
        scheduled = time.time() + delay if delay else (job.scheduled or 0)
        job.scheduled = int(scheduled) if delay else job.scheduled
        await self.db.execute_fetchall(
            "UPDATE saq_jobs SET job = ?, status = 'queued', scheduled = ?, finished = NULL, "
            "expire_at = NULL WHERE queue = ? AND key = ?",
            (self.serialize(job), scheduled, self.name, job.key),
        )
        self.store.wakeup(self.name).set()

    async def _finish(
        self, job: Job, status: Status, *, result: t.Any = None, error: str | None = None
    ) -> None:
        ttl = self.retention(status)
        finished = time.time()
        await self.db.execute_fetchall(
            "UPDATE saq_jobs SET job = ?, status = ?, finished = ?, expire_at = ? "
            "WHERE queue = ? AND key = ?",
            (self.serialize(job), status.value, finished, finished + ttl, self.name, job.key),
        )

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        job.error = error
        async with self._rows(
            "UPDATE saq_jobs SET status = 'aborted' WHERE queue = ? AND key = ? "
            "AND status = 'queued' RETURNING key",
            (self.name, job.key),
        ) as cur:
            dequeued = await cur.fetchone() is not None
        if dequeued:
            await self.finish(job, Status.ABORTED, error=error)
            return
        job.status = Status.ABORTING
        await self.db.execute_fetchall(
            "UPDATE saq_jobs SET job = ?, status = 'aborting' WHERE queue = ? AND key = ? "
            "AND status IN ('active', 'aborting')",
            (self.serialize(job), self.name, job.key),
        )

    async def _lock(self, name: str, seconds: float) -> bool:
        current = time.time()
        async with self._rows(
            "INSERT INTO saq_locks (name, expire_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
            "SET expire_at = excluded.expire_at WHERE saq_locks.expire_at < ? RETURNING name",
            (f"{name}:{self.name}", current + seconds, current),
        ) as cur:
            return await cur.fetchone() is not None

    async def sweep(self, lock: int = 60, abort: float | None = None) -> list[str]:
        if not await self._lock("sweep", max(lock - 0.5, 0.5)):
            return []
        current = time.time()
        await self.db.execute_fetchall(
            "DELETE FROM saq_jobs WHERE queue = ? AND expire_at IS NOT NULL AND expire_at < ?",
            (self.name, current),
        )
        await self.db.execute_fetchall(
            "DELETE FROM saq_jobs WHERE queue = ? AND status = 'complete' AND rowid NOT IN "
            "(SELECT rowid FROM saq_jobs WHERE queue = ? AND status = 'complete' "
            "ORDER BY finished DESC LIMIT ?)",
            (self.name, self.name, self.keep_completed),
        )
        await self.db.execute_fetchall("DELETE FROM saq_stats WHERE expire_at < ?", (current,))
        async with self._rows(
            "SELECT key, job, status FROM saq_jobs "
            "WHERE queue = ? AND status IN ('active', 'aborting')",
            (self.name,),
        ) as cur:
            rows = await cur.fetchall()
        swept: list[str] = []
        for key, raw, status in rows:
            job = self._load_row(raw, status)
            if job is None or (job.status == Status.ACTIVE and not job.stuck):
                continue
            logger.info("Sweeping job %s", job.info(False))
            swept.append(key)
            await self.abort(job, error=self.swept_error_message)
            try:
                await job.refresh(abort if abort is not None else self.abort_wait)
            except TimeoutError:
                logger.info("Could not abort job %s", key)
            if job.status in TERMINAL_STATUSES and job.status != Status.ABORTED:
                continue
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return swept

    keep_completed = 100

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        await self.db.execute_fetchall(
            "INSERT INTO saq_stats (worker_id, queue, info, expire_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (worker_id) DO UPDATE "
            "SET info = excluded.info, expire_at = excluded.expire_at",
            (worker_id, self.name, json.dumps(info), time.time() + ttl),
        )

    # -- operators -----------------------------------------------------------------------

    async def remove(self, key: str) -> bool:
        job = await self.job(key)
        if job is None:
            return False
        if job.status in (Status.ACTIVE, Status.ABORTING):
            await self.abort(job, error="deleted")
            return True
        await self.db.execute_fetchall(
            "DELETE FROM saq_jobs "
            "WHERE queue = ? AND key = ? AND status NOT IN ('active', 'aborting')",
            (self.name, key),
        )
        return True

    async def purge(self, states: tuple[str, ...] = ("completed", "failed")) -> int:
        statuses = [s for state in states for s in _STATUSES[state]]
        marks = ",".join("?" * len(statuses))
        async with self._rows(
            f"DELETE FROM saq_jobs WHERE queue = ? AND status IN ({marks}) RETURNING key",  # noqa: S608
            (self.name, *statuses),
        ) as cur:
            return len(await cur.fetchall())

    async def _store_paused(self) -> bool:
        async with self._rows(
            "SELECT paused FROM saq_queue_state WHERE queue = ?", (self.name,)
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def _store_set_paused(self, paused: bool) -> None:
        await self.db.execute_fetchall(
            "INSERT INTO saq_queue_state (queue, paused) VALUES (?, ?) "
            "ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused",
            (self.name, int(paused)),
        )


class _Rows:
    def __init__(self, db: aiosqlite.Connection, sql: str, params: t.Sequence[t.Any]) -> None:
        self.db, self.sql, self.params = db, sql, params
        self.rows: list[t.Any] = []

    async def __aenter__(self) -> t.Self:
        self.rows = list(await self.db.execute_fetchall(self.sql, self.params))
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def fetchone(self) -> t.Any:
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list[t.Any]:
        return self.rows


_STATUSES = {
    "completed": ("complete",),
    "failed": ("failed", "aborted"),
    "waiting": ("queued",),
}
