"""`/api/posts/{postId}/comments` and `/api/comments/{id}`: threaded comments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from sparkle.auth.deps import CurrentUser, OptionalUser
from sparkle.comments import service
from sparkle.comments.errors import CommentForbidden, CommentIsDeleted, CommentNotFound
from sparkle.comments.schemas import (
    CommentCreate,
    CommentFormat,
    CommentPage,
    CommentRead,
    CommentSort,
    CommentUpdate,
)
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)

router = APIRouter(prefix="/api", tags=["comments"])


@router.get(
    "/posts/{post_id}/comments",
    response_model=CommentPage,
    summary="A post's comments: a page of top-level comments with their reply trees",
    responses=problem_responses(ValidationFailed, Unauthorized, NotFound),
)
async def list_comments(
    post_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    format: Annotated[
        CommentFormat, Query(description="Nested `tree` or depth-first `flat`")
    ] = "tree",
    sort: Annotated[CommentSort, Query(description="`top` = most reactions first")] = "oldest",
    cursor: Annotated[str | None, Query(description="`nextCursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Top-level comments per page")] = 20,
) -> CommentPage:
    """Paging counts top-level comments; each comes with all its replies."""
    return await service.list_for_post(
        db, viewer, post_id, format=format, sort=sort, cursor=cursor, limit=limit
    )


@router.post(
    "/posts/{post_id}/comments",
    status_code=201,
    response_model=CommentRead,
    summary="Comment on a post or reply to a comment",
    responses=problem_responses(
        ValidationFailed, Unauthorized, NotFound, Conflict, TooManyRequests
    ),
)
async def create_comment(
    post_id: uuid.UUID, data: CommentCreate, user: CurrentUser, db: DbSession, rt: RuntimeDep
) -> CommentRead:
    """Published posts only (409 `post_not_published`). Replies deeper than the depth limit
    attach to the deepest allowed ancestor."""
    comment = await service.create(db, user, post_id, data, limiter=rt.limiter)
    return await service.read(db, user, comment.id)


@router.get(
    "/comments/{comment_id}",
    response_model=CommentRead,
    summary="One comment",
    responses=problem_responses(ValidationFailed, Unauthorized, CommentNotFound),
)
async def get_comment(comment_id: uuid.UUID, db: DbSession, viewer: OptionalUser) -> CommentRead:
    return await service.read(db, viewer, comment_id)


@router.patch(
    "/comments/{comment_id}",
    response_model=CommentRead,
    summary="Edit a comment (author only)",
    responses=problem_responses(
        ValidationFailed, Unauthorized, CommentForbidden, CommentNotFound, CommentIsDeleted
    ),
)
async def update_comment(
    comment_id: uuid.UUID, data: CommentUpdate, user: CurrentUser, db: DbSession
) -> CommentRead:
    """Sets `editedAt` when the text changes."""
    await service.update(db, user, comment_id, data)
    return await service.read(db, user, comment_id)


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    summary="Delete a comment (author, moderators, admins)",
    responses=problem_responses(ValidationFailed, Unauthorized, CommentForbidden, CommentNotFound),
)
async def delete_comment(comment_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Response:
    """Soft: the comment keeps its place in the thread as "[deleted]", without author."""
    await service.delete(db, user, comment_id)
    return Response(status_code=204)
