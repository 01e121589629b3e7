"""The admin queues page: jobs per queue and state, pause and resume, failed jobs with their
error and a retry button, through the same `queue.operations` as `/api/admin/jobs` (ADMIN
only). Plain forms that HTMX upgrades; without JavaScript they post and redirect back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sparkle.auth.deps import check_csrf
from sparkle.core.errors import SparkleError
from sparkle.core.queue import operations, spec
from sparkle.web.guards import PageAdmin
from sparkle.web.rendering import (
    get_viewer,
    is_htmx,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
PAGE = "/admin/jobs"


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y, %H:%M:%S UTC") if ts else ""


async def _context() -> dict[str, Any]:
    stats = await operations.stats()
    failed: list[dict[str, Any]] = []
    for name, row in stats.items():
        if row["failed"]:
            for job in await operations.failed(name, 20):
                error = (job["error"] or "").strip()
                job["summary"] = error.splitlines()[-1] if error else "(no error recorded)"
                job["finished"] = _when(job["finishedAt"])
                failed.append(job)
    queues = [
        {"name": n, "concurrency": spec.QUEUES[n].concurrency, **row} for n, row in stats.items()
    ]
    return {
        "queues": queues,
        "failed": failed,
        "states": ("waiting", "active", "delayed", "completed", "failed"),
    }


@router.get("/admin/jobs")
async def jobs_page(request: Request, admin: PageAdmin) -> Response:
    try:
        context = await _context()
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    template = "admin/_jobs_board.html" if is_htmx(request) else "admin/jobs.html"
    return render(request, template, context)


async def _act(request: Request, action: Any, done: str) -> Response:
    try:
        await action()
    except SparkleError as exc:
        if is_htmx(request):
            raise
        return redirect(request, PAGE, message=exc.detail, kind="error")
    if is_htmx(request):
        return render(request, "admin/_jobs_board.html", {**await _context(), "notice": done})
    return redirect(request, PAGE, message=done)


@router.post("/admin/jobs/{queue}/{job_id}/retry", dependencies=CSRF)
async def retry(request: Request, queue: str, job_id: str, admin: PageAdmin) -> Response:
    return await _act(
        request,
        lambda: operations.retry(queue, job_id),
        f"Job {job_id} queued again.",
    )


@router.post("/admin/jobs/{queue}/{job_id}/delete", dependencies=CSRF)
async def delete(request: Request, queue: str, job_id: str, admin: PageAdmin) -> Response:
    return await _act(request, lambda: operations.delete(queue, job_id), f"Job {job_id} deleted.")


@router.post("/admin/queues/{queue}/{action}", dependencies=CSRF)
async def pause(request: Request, queue: str, action: str, admin: PageAdmin) -> Response:
    if action not in ("pause", "resume"):
        return render_error(request, 404, "Not found", "No such action")
    paused = action == "pause"
    label = "paused" if paused else "resumed"
    return await _act(
        request,
        lambda: operations.set_paused(queue, paused),
        f"Queue {queue} {label}.",
    )
