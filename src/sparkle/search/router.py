"""`/api/search`: posts, users and tags over JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import TooManyRequests, ValidationFailed, problem_responses
from sparkle.search import service
from sparkle.search.schemas import SearchResults, SearchType

router = APIRouter(prefix="/api", tags=["search"])


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Search posts, users or tags",
    responses=problem_responses(ValidationFailed, TooManyRequests),
)
async def search(
    db: DbSession,
    rt: RuntimeDep,
    client: Client,
    q: Annotated[
        str, Query(description='What to look for; websearch syntax for posts: "phrase", -word, or')
    ] = "",
    type: Annotated[SearchType, Query(description="What to search")] = SearchType.POSTS,
    cursor: Annotated[str | None, Query(description="`nextCursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 20,
) -> SearchResults:
    """Published posts (title, excerpt and body, ranked; typo-tolerant on titles when full
    text finds little), users (username and display name, private profiles included) or tags.
    Post snippets are HTML: escaped text with the matches in `<mark>` elements."""
    return await service.search(
        db, rt.limiter, q, type, cursor=cursor, limit=limit, client_ip=client.ip
    )
