"""What every Sparkle queue adds to a SAQ queue, whatever stores it: a pause flag checked
before a job is claimed, per-state counts (SAQ keeps none for finished jobs), the list of
failed jobs, removal and purge for operators, and the retention rules of `spec`."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from typing import Any

from saq.job import Job, Status

from sparkle.core.queue import spec

STATES = ("waiting", "active", "completed", "failed", "delayed")


class SparkleQueue(ABC):
    """Mixin for a `saq.Queue` subclass. Subclasses implement the `_store_*` methods."""

    abort_wait: float = 5.0  # how long a sweep waits for a live worker to drop an aborted job
    pause_poll: float = 1.0  # how often a paused queue looks at its flag again
    _paused_at: float = 0.0
    _paused: bool = False

    # -- pause ---------------------------------------------------------------------------

    async def is_paused(self, *, fresh: bool = False) -> bool:
        now = time.monotonic()
        if fresh or now - self._paused_at > self.pause_poll:
            self._paused = await self._store_paused()
            self._paused_at = now
        return self._paused

    async def set_paused(self, paused: bool) -> None:
        await self._store_set_paused(paused)
        self._paused, self._paused_at = paused, time.monotonic()

    async def wait_unpaused(self) -> bool:
        """True if the queue may hand out a job now; otherwise sleeps one poll and says no."""
        if await self.is_paused():
            await asyncio.sleep(self.pause_poll)
            return False
        return True

    # -- retention -----------------------------------------------------------------------

    @staticmethod
    def retention(status: Status) -> int:
        return spec.COMPLETED_TTL if status == Status.COMPLETE else spec.FAILED_TTL

    # -- operator views ------------------------------------------------------------------

    @abstractmethod
    async def counts(self) -> dict[str, int]:
        """Jobs per state: waiting, active, completed, failed, delayed."""

    @abstractmethod
    async def failed_jobs(self, limit: int = 50) -> list[Job]:
        """The newest failed jobs, newest first."""

    @abstractmethod
    async def remove(self, key: str) -> bool:
        """Delete a job that is not running; a running one is aborted (and then kept as
        aborted). False if there is no such job."""

    @abstractmethod
    async def purge(self, states: tuple[str, ...] = ("completed", "failed")) -> int:
        """Delete every finished job in `states` now, regardless of retention."""

    async def retry_job(self, key: str) -> Job | None:
        """Queue a failed or aborted job again with fresh attempts."""
        job: Job | None = await self.job(key)  # type: ignore[attr-defined]
        if job is None or job.status not in (Status.FAILED, Status.ABORTED):
            return None
        await self._before_retry(job)
        job.attempts = 0
        job.error = None
        job.result = None
        job.started = job.completed = 0
        job.scheduled = 0
        job.progress = 0.0
        job.queue = None
        queued: Job | None = await self.enqueue(job)  # type: ignore[attr-defined]
        if queued is not None:
            await self._forget_finished(queued)
        return queued

    # Optional hooks with a no-op default, not abstract methods.
    async def _before_retry(self, job: Job) -> None:  # noqa: B027
        """Make room for a finished job queued again (stores that need it)."""

    async def _forget_finished(self, job: Job) -> None:  # noqa: B027
        """Drop `job` from any index of finished jobs (stores that keep one)."""

    @abstractmethod
    async def _store_paused(self) -> bool:
        """The queue's stored pause flag."""

    @abstractmethod
    async def _store_set_paused(self, paused: bool) -> None:
        """Store the queue's pause flag."""


def job_view(job: Job) -> dict[str, Any]:
    """A job as operators see it (admin API, CLI, pages)."""
    kwargs = job.kwargs or {}
    return {
        "id": job.key,
        "queue": job.queue.name if job.queue else None,
        "job": job.function,
        "data": kwargs.get("payload", {}),
        "status": job.status.value,
        "attempts": job.attempts,
        "maxAttempts": job.retries,
        "error": job.error,
        "queuedAt": job.queued / 1000 if job.queued else None,
        "startedAt": job.started / 1000 if job.started else None,
        "finishedAt": job.completed / 1000 if job.completed else None,
        "scheduledAt": job.scheduled or None,
    }
