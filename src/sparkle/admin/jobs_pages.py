"""The admin queues page: jobs per queue and state, pause and resume, failed jobs with their
error and a retry button, through the same `queue.operations` as `/api/admin/jobs` (ADMIN
only). Plain forms that HTMX upgrades; without JavaScript they post and redirect back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sparkle.accounts.models import User
from sparkle.auth.deps import OptionalPrincipal, check_csrf, get_admin
from sparkle.core.deps import RuntimeDep
from sparkle.core.errors import Forbidden, SparkleError
from sparkle.core.queue import operations, spec
from sparkle.web.rendering import (
    get_viewer,
    is_htmx,
    redirect,
    render,
    render_error,
    signin_redirect,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
PAGE = "/admin/jobs"


async def _admin_or_response(
    request: Request, principal: OptionalPrincipal, rt: RuntimeDep
) -> User | Response:
    if principal is None:
        return signin_redirect(request)
    try:
        return await get_admin(principal.user, rt)
    except Forbidden as exc:
        return render_error(request, 403, exc.title, exc.detail)


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
async def jobs_page(request: Request, principal: OptionalPrincipal, rt: RuntimeDep) -> Response:
    admin = await _admin_or_response(request, principal, rt)
    if isinstance(admin, Response):
        return admin
    try:
        context = await _context()
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    template = "admin/_jobs_board.html" if is_htmx(request) else "admin/jobs.html"
    return render(request, template, context)


async def _act(
    request: Request, principal: OptionalPrincipal, rt: RuntimeDep, action: Any, done: str
) -> Response:
    admin = await _admin_or_response(request, principal, rt)
    if isinstance(admin, Response):
        return admin
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
async def retry(
    request: Request, queue: str, job_id: str, principal: OptionalPrincipal, rt: RuntimeDep
) -> Response:
    return await _act(
        request,
        principal,
        rt,
        lambda: operations.retry(queue, job_id),
        f"Job {job_id} queued again.",
    )


@router.post("/admin/jobs/{queue}/{job_id}/delete", dependencies=CSRF)
async def delete(
    request: Request, queue: str, job_id: str, principal: OptionalPrincipal, rt: RuntimeDep
) -> Response:
    return await _act(
        request, principal, rt, lambda: operations.delete(queue, job_id), f"Job {job_id} deleted."
    )


@router.post("/admin/queues/{queue}/{action}", dependencies=CSRF)
async def pause(
    request: Request, queue: str, action: str, principal: OptionalPrincipal, rt: RuntimeDep
) -> Response:
    if action not in ("pause", "resume"):
        return render_error(request, 404, "Not found", "No such action")
    paused = action == "pause"
    label = "paused" if paused else "resumed"
    return await _act(
        request,
        principal,
        rt,
        lambda: operations.set_paused(queue, paused),
        f"Queue {queue} {label}.",
    )
