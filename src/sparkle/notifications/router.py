"""`/api/notifications`: the signed-in user's notifications and preferences; admin broadcasts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from sparkle.auth.deps import AdminUser, CurrentUser
from sparkle.core.deps import DbSession
from sparkle.core.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.notifications import preferences, service
from sparkle.notifications.models import NotificationType
from sparkle.notifications.schemas import (
    BroadcastAccepted,
    BroadcastCreate,
    NotificationPage,
    NotificationRead,
    Preferences,
    PreferencesUpdate,
    UnreadCount,
)

router = APIRouter(prefix="/api", tags=["notifications"])

Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get(
    "/notifications",
    response_model=NotificationPage,
    summary="My notifications",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def list_notifications(
    user: CurrentUser,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = 20,
    unread: Annotated[bool, Query(description="Only unread ones")] = False,
    type: Annotated[list[NotificationType] | None, Query(description="Only these types")] = None,
) -> NotificationPage:
    """Latest activity first, keyset-paged; each item carries up to three latest actors and
    the total `actorCount` of its group."""
    return await service.list_for_user(
        db, user, cursor=cursor, limit=limit, unread=unread, types=type
    )


@router.get(
    "/notifications/unread-count",
    response_model=UnreadCount,
    summary="How many notifications are unread",
    responses=problem_responses(Unauthorized),
)
async def unread_count(user: CurrentUser, db: DbSession) -> UnreadCount:
    return UnreadCount(count=await service.unread_count(db, user.id))


@router.post(
    "/notifications/read-all",
    response_model=UnreadCount,
    summary="Mark all my notifications read",
    responses=problem_responses(Unauthorized),
)
async def read_all(user: CurrentUser, db: DbSession) -> UnreadCount:
    """Answers the unread count after, zero."""
    await service.mark_all_read(db, user)
    return UnreadCount(count=0)


@router.get(
    "/notifications/preferences",
    response_model=Preferences,
    summary="My notification preferences",
    responses=problem_responses(Unauthorized),
)
async def get_preferences(user: CurrentUser, db: DbSession) -> Preferences:
    """Every type × channel (in_app, email, push) with defaults filled in, the digest
    frequency and quiet hours (read in `timezone`, the profile's unless set)."""
    return await preferences.get_preferences(db, user.id)


@router.put(
    "/notifications/preferences",
    response_model=Preferences,
    summary="Change my notification preferences",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def put_preferences(user: CurrentUser, db: DbSession, data: PreferencesUpdate) -> Preferences:
    """Only the fields sent change; `channels` may hold any subset of types and channels."""
    return await service.update_preferences(db, user, data)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationRead,
    summary="Mark a notification read",
    responses=problem_responses(ValidationFailed, Unauthorized, NotFound),
)
async def read_one(
    notification_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> NotificationRead:
    """Idempotent. Someone else's notification is a 404."""
    return await service.mark_read(db, user, notification_id)


@router.delete(
    "/notifications/{notification_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a notification",
    responses=problem_responses(ValidationFailed, Unauthorized, NotFound),
)
async def delete_one(notification_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Response:
    await service.delete(db, user, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/admin/notifications",
    response_model=BroadcastAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a system notification to many users",
    tags=["admin"],
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden),
)
async def broadcast(admin: AdminUser, db: DbSession, data: BroadcastCreate) -> BroadcastAccepted:
    """`audience` is `all`, `admins`, `moderators` (moderators and admins) or
    `{"userIds": [...]}`. Jobs write the SYSTEM notifications in batches of 500 users."""
    return BroadcastAccepted(batch_id=service.start_broadcast(db, data))
