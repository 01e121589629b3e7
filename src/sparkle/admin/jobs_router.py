"""`/api/admin/jobs` and `/api/admin/queues`: the job queues for administrators (ADMIN only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

from sparkle.auth.deps import AdminUser
from sparkle.core.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.core.queue import operations, spec
from sparkle.core.schemas import InputSchema, Schema

router = APIRouter(prefix="/api/admin", tags=["jobs"])


class QueueStats(Schema):
    waiting: int
    active: int
    completed: int
    failed: int
    delayed: int
    paused: bool


def _queues_model() -> type[Schema]:
    """Counts per named queue, one property per queue name (names as in seed 003)."""
    from pydantic import create_model

    fields: dict[str, Any] = {
        name.replace("-", "_"): (QueueStats, Field(alias=name)) for name in spec.QUEUES
    }
    return create_model("QueuesStats", __base__=Schema, **fields)


QueuesStats = _queues_model()


class JobCreate(InputSchema):
    queue: str = Field(max_length=40, examples=["email"])
    job: str = Field(max_length=100, examples=["email.send"], description="A registered job type")
    data: dict[str, Any] = Field(default_factory=dict, description="The job type's payload")


class JobCreated(Schema):
    job_id: str
    queue: str
    job: str


class JobRead(Schema):
    id: str
    queue: str | None
    job: str
    data: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    error: str | None
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    scheduled_at: float | None


class QueueState(Schema):
    queue: str
    paused: bool


COMMON = (Unauthorized, Forbidden, ServiceUnavailable)


@router.get(
    "/jobs",
    response_model=QueuesStats,
    response_model_by_alias=True,
    summary="Job counts per queue",
    responses=problem_responses(*COMMON),
)
async def queue_stats(admin: AdminUser) -> dict[str, Any]:
    return await operations.stats()


@router.get(
    "/jobs/{queue}/failed",
    response_model=list[JobRead],
    summary="Failed jobs of a queue, with error and traceback",
    responses=problem_responses(*COMMON, NotFound),
)
async def failed_jobs(
    queue: str, admin: AdminUser, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, Any]]:
    return await operations.failed(queue, limit)


@router.post(
    "/jobs",
    response_model=JobCreated,
    status_code=202,
    summary="Queue a job of a registered type",
    responses=problem_responses(*COMMON, ValidationFailed),
)
async def create_job(data: JobCreate, admin: AdminUser) -> JobCreated:
    job_id = await operations.create(data.queue, data.job, data.data)
    return JobCreated(job_id=job_id, queue=data.queue, job=data.job)


@router.post(
    "/jobs/{queue}/{job_id}/retry",
    response_model=JobRead,
    summary="Retry a failed job",
    responses=problem_responses(*COMMON, NotFound),
)
async def retry_job(queue: str, job_id: str, admin: AdminUser) -> dict[str, Any]:
    return await operations.retry(queue, job_id)


@router.delete(
    "/jobs/{queue}/{job_id}",
    status_code=204,
    summary="Delete a job (a running one is aborted)",
    responses=problem_responses(*COMMON, NotFound),
)
async def delete_job(queue: str, job_id: str, admin: AdminUser) -> Response:
    await operations.delete(queue, job_id)
    return Response(status_code=204)


@router.post(
    "/queues/{queue}/pause",
    response_model=QueueState,
    summary="Pause a queue: workers take no new job from it",
    responses=problem_responses(*COMMON, NotFound),
)
async def pause_queue(queue: str, admin: AdminUser) -> dict[str, Any]:
    return await operations.set_paused(queue, True)


@router.post(
    "/queues/{queue}/resume",
    response_model=QueueState,
    summary="Resume a paused queue",
    responses=problem_responses(*COMMON, NotFound),
)
async def resume_queue(queue: str, admin: AdminUser) -> dict[str, Any]:
    return await operations.set_paused(queue, False)
