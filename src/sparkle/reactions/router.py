"""`/api/posts/{id}/reactions` and `/api/comments/{id}/reactions`: add, remove, list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from sparkle.auth.deps import CurrentUser, OptionalUser
from sparkle.core.deps import DbSession
from sparkle.core.errors import (
    Conflict,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.core.schemas import CursorPage
from sparkle.reactions import service
from sparkle.reactions.models import ReactionType
from sparkle.reactions.schemas import ReactionCreate, ReactionSummary, ReactorRead

router = APIRouter(prefix="/api", tags=["reactions"])

TypePath = Annotated[
    ReactionType, Path(alias="type", description="LIKE, LOVE, LAUGH, WOW, SAD or ANGRY")
]
TypeFilter = Annotated[ReactionType | None, Query(alias="type", description="Only this type")]
CursorQuery = Annotated[str | None, Query(description="`nextCursor` of the previous page")]
LimitQuery = Annotated[int, Query(ge=1, le=100)]
ADD_ERRORS = problem_responses(ValidationFailed, Unauthorized, NotFound, Conflict)
REMOVE_ERRORS = problem_responses(ValidationFailed, Unauthorized, NotFound)
LIST_ERRORS = problem_responses(ValidationFailed, Unauthorized, NotFound)


@router.post(
    "/posts/{post_id}/reactions",
    status_code=201,
    response_model=ReactionSummary,
    summary="React to a post (idempotent)",
    responses={
        200: {"description": "Already reacted so; nothing changed", "model": ReactionSummary},
        **ADD_ERRORS,
    },
)
async def react_to_post(
    post_id: uuid.UUID, data: ReactionCreate, user: CurrentUser, db: DbSession, response: Response
) -> ReactionSummary:
    """201 when the reaction is new, 200 when it already existed; fresh counts either way."""
    summary, added = await service.react(db, user, "post", post_id, data.type)
    response.status_code = 201 if added else 200
    return summary


@router.delete(
    "/posts/{post_id}/reactions/{type}",
    response_model=ReactionSummary,
    summary="Take back a reaction to a post (idempotent)",
    responses=REMOVE_ERRORS,
)
async def unreact_to_post(
    post_id: uuid.UUID, reaction_type: TypePath, user: CurrentUser, db: DbSession
) -> ReactionSummary:
    summary, _ = await service.unreact(db, user, "post", post_id, reaction_type)
    return summary


@router.get(
    "/posts/{post_id}/reactions",
    response_model=CursorPage[ReactorRead],
    summary="Who reacted to a post, newest first",
    responses=LIST_ERRORS,
)
async def list_post_reactions(
    post_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    reaction_type: TypeFilter = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 20,
) -> CursorPage[ReactorRead]:
    return await service.list_reactors(
        db, viewer, "post", post_id, reaction_type, cursor=cursor, limit=limit
    )


@router.post(
    "/comments/{comment_id}/reactions",
    status_code=201,
    response_model=ReactionSummary,
    summary="React to a comment (idempotent)",
    responses={
        200: {"description": "Already reacted so; nothing changed", "model": ReactionSummary},
        **ADD_ERRORS,
    },
)
async def react_to_comment(
    comment_id: uuid.UUID,
    data: ReactionCreate,
    user: CurrentUser,
    db: DbSession,
    response: Response,
) -> ReactionSummary:
    """201 when the reaction is new, 200 when it already existed; fresh counts either way."""
    summary, added = await service.react(db, user, "comment", comment_id, data.type)
    response.status_code = 201 if added else 200
    return summary


@router.delete(
    "/comments/{comment_id}/reactions/{type}",
    response_model=ReactionSummary,
    summary="Take back a reaction to a comment (idempotent)",
    responses=REMOVE_ERRORS,
)
async def unreact_to_comment(
    comment_id: uuid.UUID, reaction_type: TypePath, user: CurrentUser, db: DbSession
) -> ReactionSummary:
    summary, _ = await service.unreact(db, user, "comment", comment_id, reaction_type)
    return summary


@router.get(
    "/comments/{comment_id}/reactions",
    response_model=CursorPage[ReactorRead],
    summary="Who reacted to a comment, newest first",
    responses=LIST_ERRORS,
)
async def list_comment_reactions(
    comment_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    reaction_type: TypeFilter = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 20,
) -> CursorPage[ReactorRead]:
    return await service.list_reactors(
        db, viewer, "comment", comment_id, reaction_type, cursor=cursor, limit=limit
    )
