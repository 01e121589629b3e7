"""`/api/admin`: user administration (ADMIN only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sparkle.accounts.schemas import AdminUserRead, AdminUserUpdate
from sparkle.admin import service
from sparkle.auth.deps import AdminUser
from sparkle.core.deps import Client, DbSession
from sparkle.core.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.core.schemas import CursorPage

router = APIRouter(prefix="/api/admin", tags=["admin"])


def to_admin_read(user) -> AdminUserRead:
    return AdminUserRead(
        id=user.id,
        email=user.email,
        username=user.username,
        role=user.role,
        email_verified=user.email_verified,
        banned_until=user.banned_until,
        two_factor_enabled=user.totp_enabled_at is not None,
        created_at=user.created_at,
        deleted_at=user.deleted_at,
        display_name=user.profile.display_name,
    )


@router.get(
    "/users",
    response_model=CursorPage[AdminUserRead],
    summary="List and search users",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden),
)
async def list_users(
    admin: AdminUser,
    db: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of an email or username")
    ] = None,
    role: Literal["USER", "MODERATOR", "ADMIN"] | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CursorPage[AdminUserRead]:
    users, next_cursor = await service.list_users(
        db, query=q, role=role, cursor=cursor, limit=limit
    )
    return CursorPage(items=[to_admin_read(u) for u in users], next_cursor=next_cursor)


@router.patch(
    "/users/{user_id}",
    response_model=AdminUserRead,
    summary="Change a user's role or ban",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound),
)
async def update_user(
    user_id: uuid.UUID, data: AdminUserUpdate, admin: AdminUser, db: DbSession, client: Client
) -> AdminUserRead:
    """Every change is written to the audit log."""
    return to_admin_read(await service.update_user(db, admin, user_id, data, ip=client.ip))
