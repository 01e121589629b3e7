"""SAQ's Redis queue with what the platform adds: a pause flag, finished-job indexes for the
per-state counts and the failed list (SAQ keeps finished jobs only as expiring keys), and
retention per outcome.

A job costs three round trips to Redis, each one script: the first checks the pause flag,
claims the next job and reads it; the second marks it active and announces it; the third
finishes it, indexes it as finished, trims the index and announces the outcome. A worker waits on a
blocking move only when the queue is empty."""

from __future__ import annotations

import asyncio
import contextlib
import time
import typing as t

from saq.job import Job, Status
from saq.queue.redis import RedisQueue

from sparkle.core.queue import spec
from sparkle.core.queue.base import SparkleQueue

# Claim the next job unless the queue is paused, in one step: returns {PAUSED}, {EMPTY} or
# {CLAIMED, job id, job}. KEYS: pause flag, queued list, active list.
PAUSED, EMPTY, CLAIMED = 0, 1, 2
CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local id = redis.call('LPOP', KEYS[2])
if not id then return {1} end
redis.call('RPUSH', KEYS[3], id)
return {2, id, redis.call('GET', id)}
"""

# Store a job and announce its status. KEYS: job id. ARGV: job, status.
UPDATE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[1], ARGV[2])
"""

# Finish a job: out of the active list and the incomplete set, stored for its retention,
# indexed as finished (the index trimmed to the retention and to ARGV[4] entries if not 0),
# and its status announced. KEYS: active list, incomplete set, job id, finished index (or '').
# ARGV: job, retention in seconds, now in seconds, entries to keep, status.
FINISH = """
redis.call('LREM', KEYS[1], 1, KEYS[3])
redis.call('ZREM', KEYS[2], KEYS[3])
redis.call('SETEX', KEYS[3], ARGV[2], ARGV[1])
if KEYS[4] ~= '' then
    redis.call('ZADD', KEYS[4], ARGV[3], KEYS[3])
    redis.call('ZREMRANGEBYSCORE', KEYS[4], 0, tonumber(ARGV[3]) - tonumber(ARGV[2]))
    if ARGV[4] ~= '0' then
        redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[4]) + 1))
    end
end
redis.call('PUBLISH', KEYS[3], ARGV[5])
"""

# Take the sweep lock for ARGV[1] seconds unless another worker holds it, and return the
# active list's jobs as {id, job} pairs. KEYS: sweep lock, active list.
SWEEP = """
local found = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    for i, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        found[i] = {id, redis.call('GET', id)}
    end
end
return found
"""
CLAIM_GRACE = 0.5  # seconds a claimed job may stay marked queued before a sweep takes it


class SparkleRedisQueue(SparkleQueue, RedisQueue):
    def __init__(self, redis: t.Any, name: str = "default", **kwargs: t.Any) -> None:
        super().__init__(redis, name=name, **kwargs)
        self._done = {
            Status.COMPLETE: self.namespace("done:complete"),
            Status.FAILED: self.namespace("done:failed"),
            Status.ABORTED: self.namespace("done:failed"),
        }
        self._paused_key = self.namespace("paused")
        self._claim_script = redis.register_script(CLAIM)
        self._sweep_script = redis.register_script(SWEEP)
        self._update_script = redis.register_script(UPDATE)
        self._finish_script = redis.register_script(FINISH)

    async def disconnect(self) -> None:
        # The connection pool is shared by every queue of the broker, which closes it.
        await self._pubsub.close()

    # saq's Queue.dequeue signature, timeout included.
    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        state, *claimed = await self._claim_script(
            keys=[self._paused_key, self._queued, self._active], client=self.redis
        )
        self._paused, self._paused_at = state == PAUSED, time.monotonic()
        if state == PAUSED:
            await asyncio.sleep(self.pause_poll)
            return None
        if state == CLAIMED:
            return self.deserialize(claimed[1])
        # The queue is empty: wait for the next job on a blocking move.
        job = await super().dequeue(timeout, poll_interval)
        if job is not None and await self.is_paused(fresh=True):
            # Paused while this worker was waiting: hand the job back, first in line.
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lrem(self._active, 1, job.id)
                pipe.lpush(self._queued, job.id)
                await pipe.execute()
            return None
        return job

    async def _update(self, job: Job, status: Status | None = None, **kwargs: t.Any) -> None:
        if not status:
            stored = await self.job(job.key)
            status = stored.status if stored else None
        job.status = status or job.status
        await self._update_script(
            keys=[job.id], args=[self.serialize(job), job.status], client=self.redis
        )

    async def _finish(
        self, job: Job, status: Status, *, result: t.Any = None, error: str | None = None
    ) -> None:
        job.ttl = self.retention(status)
        done = self._done.get(status)
        keep = spec.COMPLETED_KEEP if status == Status.COMPLETE else 0
        await self._finish_script(
            keys=[self._active, self._incomplete, job.id, done or ""],
            args=[self.serialize(job), job.ttl, time.time(), keep, job.status],
            client=self.redis,
        )

    async def sweep(self, lock: int = 60, abort: float | None = None) -> list[str]:
        """SAQ's sweep of the active list, except that a job still marked queued there is
        looked at twice: a worker marks the job it has just claimed active right after the
        claim, and sweeping in between would abort a healthy job. Only one still queued and
        still in the active list after `CLAIM_GRACE` was left behind by a dead worker."""
        abort = abort if abort is not None else self.abort_wait
        # The sweep lock is a Redis key with an expiry in whole seconds.
        found = await self._sweep_script(
            keys=[self._sweep, self._active], args=[max(int(lock), 1)], client=self.redis
        )
        if any(raw and self._status(raw) == Status.QUEUED for _, raw in found):
            await asyncio.sleep(CLAIM_GRACE)
            before = {(job_id, raw) for job_id, raw in found}
            found = [
                (job_id, raw)
                for job_id, raw in await self._active_jobs()
                if not raw or self._status(raw) != Status.QUEUED or (job_id, raw) in before
            ]
        swept: list[str] = []
        for job_id, raw in found:
            job = self.deserialize(raw)
            if job is None:
                swept.append(job_id.decode())
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self._active, 0, job_id)
                    pipe.zrem(self._incomplete, job_id)
                    await pipe.execute()
                continue
            if job.status == Status.ACTIVE and not job.stuck:
                continue
            swept.append(job_id.decode())
            await self.abort(job, error=self.swept_error_message)
            with contextlib.suppress(asyncio.TimeoutError):
                await job.refresh(abort)
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return swept

    async def _active_jobs(self) -> list[tuple[bytes, bytes | None]]:
        # redis-py types its commands for the sync and the async client at once.
        ids: list[bytes] = await t.cast(
            "t.Awaitable[list[bytes]]", self.redis.lrange(self._active, 0, -1)
        )
        return list(zip(ids, await self.redis.mget(ids), strict=True)) if ids else []

    def _status(self, raw: bytes) -> Status:
        return Status(self._load(raw)["status"])

    async def counts(self) -> dict[str, int]:
        current = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.llen(self._queued)
            pipe.llen(self._active)
            pipe.zcount(self._incomplete, 1, "+inf")
            complete, failed = self._done[Status.COMPLETE], self._done[Status.FAILED]
            pipe.zremrangebyscore(complete, 0, current - spec.COMPLETED_TTL)
            pipe.zremrangebyrank(complete, 0, -(spec.COMPLETED_KEEP + 1))
            pipe.zcard(complete)
            pipe.zremrangebyscore(failed, 0, current - spec.FAILED_TTL)
            pipe.zcard(failed)
            queued, active, delayed, _, _, completed, _, failed_n = await pipe.execute()
        return {
            "waiting": int(queued),
            "active": int(active),
            "completed": int(completed),
            "failed": int(failed_n),
            "delayed": int(delayed),
        }

    async def failed_jobs(self, limit: int = 50) -> list[Job]:
        ids = await self.redis.zrevrange(self._done[Status.FAILED], 0, limit - 1)
        if not ids:
            return []
        jobs = [self.deserialize(raw) for raw in await self.redis.mget(ids)]
        return [j for j in jobs if j is not None and j.status in (Status.FAILED, Status.ABORTED)]

    async def remove(self, key: str) -> bool:
        job = await self.job(key)
        if job is None:
            return False
        if job.status in (Status.ACTIVE, Status.ABORTING):
            await self.abort(job, error="deleted")
            return True
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrem(self._queued, 0, job.id)
            pipe.zrem(self._incomplete, job.id)
            pipe.zrem(self._done[Status.COMPLETE], job.id)
            pipe.zrem(self._done[Status.FAILED], job.id)
            pipe.delete(job.id)
            await pipe.execute()
        return True

    async def purge(self, states: tuple[str, ...] = ("completed", "failed")) -> int:
        removed = 0
        for state in states:
            index = self._done[Status.COMPLETE if state == "completed" else Status.FAILED]
            ids = await self.redis.zrange(index, 0, -1)
            if ids:
                await self.redis.delete(*ids)
                await self.redis.zrem(index, *ids)
                removed += len(ids)
        return removed

    async def _forget_finished(self, job: Job) -> None:
        await self.redis.zrem(self._done[Status.COMPLETE], job.id)
        await self.redis.zrem(self._done[Status.FAILED], job.id)

    async def _store_paused(self) -> bool:
        return bool(await self.redis.exists(self._paused_key))

    async def _store_set_paused(self, paused: bool) -> None:
        if paused:
            await self.redis.set(self._paused_key, 1)
        else:
            await self.redis.delete(self._paused_key)
