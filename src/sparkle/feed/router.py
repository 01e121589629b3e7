"""`/api/feed`: the home page's tabs of posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sparkle.auth.deps import OptionalUser
from sparkle.core.deps import DbSession
from sparkle.core.errors import Unauthorized, ValidationFailed, problem_responses
from sparkle.feed import service
from sparkle.feed.service import Tab
from sparkle.posts.schemas import PostPage

router = APIRouter(prefix="/api")


@router.get(
    "/feed",
    tags=["feed"],
    response_model=PostPage,
    summary="A feed of posts",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def feed(
    db: DbSession,
    viewer: OptionalUser,
    tab: Tab = "latest",
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PostPage:
    """`latest`: newest first; `popular`: weighted engagement; `trending`: the time-decayed
    scores of the last 7 days (recomputed every few minutes); `following`: posts of the
    people you follow (sign-in required). Items are those of `GET /api/posts`; per-tag and
    per-category feeds are `GET /api/posts?tag=` and `?category=`."""
    return await service.page(db, viewer, tab, cursor=cursor, limit=limit)
