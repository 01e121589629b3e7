"""`/api/users`: public profiles, profile edits, account deletion."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from sparkle.accounts import service
from sparkle.accounts.schemas import DeleteAccount, ProfileUpdate, PublicProfileRead, UserRead
from sparkle.auth import service as auth_service
from sparkle.auth.deps import CurrentPrincipal, CurrentUser, OptionalUser
from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.social import service as social_service

router = APIRouter(prefix="/api/users", tags=["users"])


@router.patch(
    "/me/profile",
    response_model=UserRead,
    summary="Edit my profile",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def update_my_profile(
    data: ProfileUpdate, user: CurrentUser, db: DbSession, client: Client
) -> UserRead:
    return service.to_read(await service.update_profile(db, user, user, data, ip=client.ip))


@router.delete(
    "/me",
    status_code=204,
    summary="Delete my account",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def delete_me(
    data: DeleteAccount, principal: CurrentPrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    """Soft delete after a password check; every session ends; the username is freed after
    the grace period."""
    await auth_service.delete_account(db, rt, principal, data.password)
    return Response(status_code=204)


@router.patch(
    "/{user_id}/profile",
    response_model=UserRead,
    summary="Edit a user's profile (owner or admin)",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound),
)
async def update_profile(
    user_id: uuid.UUID, data: ProfileUpdate, actor: CurrentUser, db: DbSession, client: Client
) -> UserRead:
    user = await service.access_for_profile_edit(db, actor, user_id)
    return service.to_read(await service.update_profile(db, actor, user, data, ip=client.ip))


@router.get(
    "/{username}",
    response_model=PublicProfileRead,
    response_model_exclude_none=True,
    summary="A user's public profile",
    # Signing in is optional here, but a token that is sent must be valid.
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_profile(username: str, db: DbSession, viewer: OptionalUser) -> PublicProfileRead:
    """Email only when the user shows it; a private profile shows only name and avatar.
    Follower and following counts where the full profile shows; `isFollowing` / `followsYou`
    for a signed-in viewer."""
    user = await service.access_by_username(db, username)
    return await social_service.public_profile(db, user, viewer)
