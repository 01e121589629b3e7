"""SAQ's Redis queue with what the platform adds: a pause flag, finished-job indexes for the
per-state counts and the failed list (SAQ keeps finished jobs only as expiring keys), and
retention per outcome."""

from __future__ import annotations

import time
import typing as t

from saq.job import Job, Status
from saq.queue.redis import RedisQueue

from sparkle.core.queue import spec
from sparkle.core.queue.base import SparkleQueue


class SparkleRedisQueue(SparkleQueue, RedisQueue):
    def __init__(self, redis: t.Any, name: str = "default", **kwargs: t.Any) -> None:
        super().__init__(redis, name=name, **kwargs)
        self._done = {
            Status.COMPLETE: self.namespace("done:complete"),
            Status.FAILED: self.namespace("done:failed"),
            Status.ABORTED: self.namespace("done:failed"),
        }
        self._paused_key = self.namespace("paused")

    async def disconnect(self) -> None:
        # The connection pool is shared by every queue of the broker, which closes it.
        await self._pubsub.close()

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        if not await self.wait_unpaused():
            return None
        job = await super().dequeue(timeout, poll_interval)
        if job is not None and await self.is_paused(fresh=True):
            # Paused while this worker was waiting: hand the job back, first in line.
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.lrem(self._active, 1, job.id).lpush(self._queued, job.id).execute()
            return None
        return job

    async def _finish(
        self, job: Job, status: Status, *, result: t.Any = None, error: str | None = None
    ) -> None:
        job.ttl = self.retention(status)
        await super()._finish(job, status, result=result, error=error)
        done = self._done.get(status)
        if done is None:
            return
        current = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(done, {job.id: current})
            pipe.zremrangebyscore(done, 0, current - job.ttl)
            if status == Status.COMPLETE:
                pipe.zremrangebyrank(done, 0, -(spec.COMPLETED_KEEP + 1))
            await pipe.execute()

    async def sweep(self, lock: int = 60, abort: float | None = None) -> list[str]:
        # The sweep lock is a Redis key with an expiry in whole seconds.
        return await super().sweep(
            max(int(lock), 1), abort if abort is not None else self.abort_wait
        )

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
            pipe.lrem(self._queued, 0, job.id).zrem(self._incomplete, job.id)
            pipe.zrem(self._done[Status.COMPLETE], job.id).zrem(self._done[Status.FAILED], job.id)
            await pipe.delete(job.id).execute()
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
