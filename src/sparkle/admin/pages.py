"""The admin users page: search, filter by role, keyset paging, role changes and bans, through
the same `admin.service` calls as `/api/admin/users` (ADMIN only; every change audited)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.accounts.models import Role, User
from sparkle.accounts.schemas import AdminUserUpdate
from sparkle.admin import service
from sparkle.auth.deps import check_csrf
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.core.deps import Client, DbSession
from sparkle.core.errors import SparkleError, ValidationFailed
from sparkle.web.guards import PageAdmin
from sparkle.web.rendering import (
    form_data,
    get_viewer,
    is_htmx,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
PAGE_SIZE = 25
ROLES = [r.value for r in Role]
BAN_CHOICES = [
    ("1", "1 day"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("365", "1 year"),
    ("lift", "Lift ban"),
]


def _row(request: Request, user: User) -> Response:
    context = {"u": user, "roles": ROLES, "ban_choices": BAN_CHOICES, "now": utcnow()}
    return render(request, "admin/_user_row.html", context)


async def _update(
    request: Request,
    db: DbSession,
    admin: User,
    user_id: uuid.UUID,
    data: dict[str, Any],
    ip: str | None,
) -> Response:
    try:
        async with events.savepoint(db):  # a refused change leaves nothing behind
            user = await service.update_user(db, admin, user_id, AdminUserUpdate(**data), ip=ip)
    except ValidationError as exc:
        raise ValidationFailed("Invalid value") from exc
    except SparkleError as exc:
        if is_htmx(request):
            raise  # HTMX shows the problem document's detail
        return redirect(request, "/admin/users", message=exc.detail, kind="error")
    if is_htmx(request):
        return _row(request, user)
    return redirect(request, "/admin/users", message=f"Updated @{user.username}.")


@router.get("/admin/users")
async def users(request: Request, admin: PageAdmin, db: DbSession) -> Response:
    params = request.query_params
    q = params.get("q", "").strip()[:100]
    role = params.get("role") if params.get("role") in ROLES else ""
    cursor = params.get("cursor") or None
    try:
        rows, next_cursor = await service.list_users(
            db, query=q or None, role=role or None, cursor=cursor, limit=PAGE_SIZE
        )
    except ValidationFailed as exc:
        return render_error(request, 400, "Invalid page", exc.detail)
    base = {k: v for k, v in (("q", q), ("role", role)) if v}
    context = {
        "users": rows,
        "q": q,
        "role": role,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "first_query": urlencode(base),
        "next_query": urlencode({**base, "cursor": next_cursor or ""}),
        "roles": ROLES,
        "ban_choices": BAN_CHOICES,
        "now": utcnow(),
    }
    template = "admin/_users_results.html" if is_htmx(request) else "admin/users.html"
    return render(request, template, context)


@router.post("/admin/users/{user_id}/role", dependencies=CSRF)
async def change_role(
    request: Request,
    user_id: uuid.UUID,
    admin: PageAdmin,
    db: DbSession,
    client: Client,
) -> Response:
    role = (await form_data(request)).get("role", "")
    return await _update(request, db, admin, user_id, {"role": role}, client.ip)


@router.post("/admin/users/{user_id}/ban", dependencies=CSRF)
async def ban(
    request: Request,
    user_id: uuid.UUID,
    admin: PageAdmin,
    db: DbSession,
    client: Client,
) -> Response:
    duration = (await form_data(request)).get("duration", "")
    if duration != "lift" and duration not in dict(BAN_CHOICES):
        raise ValidationFailed("Choose a ban duration", fields={"duration": "Unknown duration"})
    until = None if duration == "lift" else utcnow() + timedelta(days=int(duration))
    return await _update(request, db, admin, user_id, {"banned_until": until}, client.ip)
