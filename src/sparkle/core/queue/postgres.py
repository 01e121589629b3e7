"""SAQ's PostgreSQL queue (for a PostgreSQL deployment without Redis) with the platform's
pause flag, per-state counts from its rows and retention per outcome."""

from __future__ import annotations

import time
import typing as t

from psycopg.sql import SQL
from saq.job import Job, Status
from saq.queue.postgres import PostgresQueue

from sparkle.core.queue import spec
from sparkle.core.queue.base import SparkleQueue

STATE_TABLE = "saq_queue_state"


class SparklePostgresQueue(SparkleQueue, PostgresQueue):
    async def init_db(self) -> None:
        await super().init_db()
        async with self.pool.connection() as conn:
            await conn.execute(
                SQL(
                    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
                    "(queue TEXT PRIMARY KEY, paused BOOLEAN NOT NULL)"
                )
            )

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        if not await self.wait_unpaused():
            return None
        job = await super().dequeue(timeout, poll_interval)
        if job is not None and await self.is_paused(fresh=True):
            # Paused while this worker was waiting: hand the job back.
            await self._rows(
                "UPDATE {t} SET status = 'queued' WHERE key = %s AND status = 'active' RETURNING key",
                job.key,
            )
            return None
        return job

    async def _finish(self, job: Job, status: Status, **kwargs: t.Any) -> None:
        job.ttl = self.retention(status)
        await super()._finish(job, status, **kwargs)

    async def sweep(self, lock: int = 60, abort: float | None = None) -> list[str]:
        swept = await super().sweep(lock, abort if abort is not None else self.abort_wait)
        if self._has_sweep_lock:
            async with self.pool.connection() as conn:
                await conn.execute(
                    SQL(
                        "DELETE FROM {t} WHERE key IN (SELECT key FROM {t} WHERE queue = %s "
                        "AND status = 'complete' ORDER BY expire_at DESC OFFSET %s)"
                    ).format(t=self.jobs_table),
                    (self.name, spec.COMPLETED_KEEP),
                )
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

    async def _store_paused(self) -> bool:
        async with self.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(f"SELECT paused FROM {STATE_TABLE} WHERE queue = %s", (self.name,))
            row = await cur.fetchone()
        return bool(row and row[0])

    async def _store_set_paused(self, paused: bool) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f"INSERT INTO {STATE_TABLE} (queue, paused) VALUES (%s, %s) "
                "ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused",
                (self.name, paused),
            )
