"""Operator actions on the job queues, shared by the admin API, the admin page and the CLI:
stats, failed jobs, manual enqueue validated against the registry, retry, delete, pause."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sparkle.core import jobs
from sparkle.core.errors import NotFound, ServiceUnavailable, ValidationFailed
from sparkle.core.queue import spec
from sparkle.core.queue.base import job_view


def broker() -> Any:
    if jobs.broker is None:
        raise ServiceUnavailable("The job broker is not running in this process")
    return jobs.broker


def access_queue(name: str) -> Any:
    if name not in spec.QUEUES:
        raise NotFound(f"No queue {name!r}")
    return broker().queue(name)


async def stats() -> dict[str, dict[str, Any]]:
    """Per queue: waiting, active, completed, failed, delayed, paused (seed `getQueueStats`)."""
    result: dict[str, dict[str, Any]] = await broker().stats()
    return result


async def failed(queue: str, limit: int = 50) -> list[dict[str, Any]]:
    return [job_view(j) for j in await access_queue(queue).failed_jobs(limit)]


async def create(queue: str, job: str, data: dict[str, Any] | None) -> str:
    """Queue job `job` on `queue` with payload `data`, checked against the registry."""
    if queue not in spec.QUEUES:
        raise ValidationFailed("Invalid queue", fields={"queue": f"Unknown queue {queue!r}"})
    job_type = jobs.REGISTRY.get(job)
    if job_type is None or job_type.queue != queue:
        raise ValidationFailed(
            "Invalid job type", fields={"job": f"No job {job!r} on queue {queue!r}"}
        )
    payload = data or {}
    try:
        job_type.payload.model_validate(payload)
    except ValidationError as exc:
        fields = {
            ".".join(["data", *(str(p) for p in err["loc"])]): err["msg"] for err in exc.errors()
        }
        raise ValidationFailed("Invalid job data", fields=fields) from exc
    broker()
    job_id = await jobs.dispatch(job, payload)
    return job_id or ""


async def retry(queue: str, job_id: str) -> dict[str, Any]:
    job = await access_queue(queue).retry_job(job_id)
    if job is None:
        raise NotFound(f"No failed job {job_id!r} in {queue!r}")
    return job_view(job)


async def delete(queue: str, job_id: str) -> None:
    if not await access_queue(queue).remove(job_id):
        raise NotFound(f"No job {job_id!r} in {queue!r}")


async def set_paused(queue: str, paused: bool) -> dict[str, Any]:
    q = access_queue(queue)
    await q.set_paused(paused)
    return {"queue": queue, "paused": paused}
