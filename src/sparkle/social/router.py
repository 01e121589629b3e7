"""`/api/users/{id}/follow`, `/followers` and `/following`: the follow graph over JSON; and
`/api/blocks`, whom the caller blocks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from sparkle.auth.deps import CurrentUser, OptionalUser
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import (
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.social import service
from sparkle.social.schemas import BlockPage, FollowPage, FollowState

router = APIRouter(prefix="/api", tags=["social"])

Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post(
    "/users/{user_id}/follow",
    response_model=FollowState,
    summary="Follow a user",
    responses=problem_responses(ValidationFailed, Unauthorized, NotFound, TooManyRequests),
)
async def follow(
    user_id: uuid.UUID, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> FollowState:
    """Idempotent: following someone already followed answers the same state. Following
    yourself is a 400 `self_follow`. The counts are the followed user's."""
    return await service.follow(db, rt.limiter, user, user_id)


@router.delete(
    "/users/{user_id}/follow",
    response_model=FollowState,
    summary="Unfollow a user",
    responses=problem_responses(ValidationFailed, Unauthorized, NotFound),
)
async def unfollow(user_id: uuid.UUID, user: CurrentUser, db: DbSession) -> FollowState:
    """Idempotent: unfollowing someone not followed answers `following: false`."""
    return await service.unfollow(db, user, user_id)


@router.get(
    "/users/{user_id}/followers",
    response_model=FollowPage,
    summary="A user's followers",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound),
)
async def followers(
    user_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> FollowPage:
    """Newest first, keyset-paged. A private profile's lists are for its owner and admins."""
    return await service.list_followers(db, viewer, user_id, cursor=cursor, limit=limit)


@router.get(
    "/users/{user_id}/following",
    response_model=FollowPage,
    summary="Users a user follows",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound),
)
async def following(
    user_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> FollowPage:
    """Newest first, keyset-paged. A private profile's lists are for its owner and admins."""
    return await service.list_following(db, viewer, user_id, cursor=cursor, limit=limit)


# The block routes keep the "messages" tag they have always been documented under.
blocks_router = APIRouter(prefix="/api", tags=["messages"])


@blocks_router.get(
    "/blocks",
    response_model=BlockPage,
    summary="People you block",
    responses=problem_responses(Unauthorized),
)
async def list_blocks(user: CurrentUser, db: DbSession) -> BlockPage:
    return await service.list_blocks(db, user)


@blocks_router.put(
    "/blocks/{user_id}",
    status_code=204,
    summary="Block a user: no messages, no follows between you",
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def block(user_id: uuid.UUID, user: CurrentUser, db: DbSession) -> None:
    await service.block(db, user, user_id)


@blocks_router.delete(
    "/blocks/{user_id}",
    status_code=204,
    summary="Unblock a user",
    responses=problem_responses(Unauthorized),
)
async def unblock(user_id: uuid.UUID, user: CurrentUser, db: DbSession) -> None:
    await service.unblock(db, user, user_id)
