"""Comment queries: keyset pages of top-level comments, whole reply trees, counters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.comments.models import Comment
from sparkle.core import cursors

# A comment with what its author shows:
# (Comment, username, display name, avatar, author deleted at).
CommentRow = Row[Comment, str, str | None, str | None, datetime | None]


def with_authors() -> Select[*tuple[Any, ...]]:
    return (
        select(Comment, User.username, Profile.display_name, Profile.avatar_url, User.deleted_at)
        .join(User, User.id == Comment.author_id)
        .outerjoin(Profile, Profile.user_id == User.id)
    )


async def get(session: AsyncSession, comment_id: uuid.UUID) -> Comment | None:
    return await session.get(Comment, comment_id)


def encode_cursor(sort: str, comment: Comment) -> str:
    values: list[Any] = [sort, comment.created_at.isoformat(), str(comment.id)]
    if sort == "top":
        values.append(comment.reaction_count)
    return cursors.seal(values)


def _decode_cursor(token: str, sort: str) -> tuple[datetime, uuid.UUID, int]:
    values = cursors.unseal(token, 4 if sort == "top" else 3)
    if values[0] != sort:
        raise cursors.InvalidCursor()
    created_at, ident = cursors.as_datetime(values[1]), cursors.as_uuid(values[2])
    count = cursors.as_int(values[3], minimum=0) if sort == "top" else 0
    return created_at, ident, count


def _after(sort: str, cursor: str) -> Any:
    created_at, ident, count = _decode_cursor(cursor, sort)
    later = or_(
        Comment.created_at > created_at, and_(Comment.created_at == created_at, Comment.id > ident)
    )
    if sort == "oldest":
        return later
    if sort == "newest":
        return or_(
            Comment.created_at < created_at,
            and_(Comment.created_at == created_at, Comment.id < ident),
        )
    return or_(Comment.reaction_count < count, and_(Comment.reaction_count == count, later))


def ordering(sort: str) -> tuple[Any, ...]:
    if sort == "newest":
        return (Comment.created_at.desc(), Comment.id.desc())
    if sort == "top":
        return (Comment.reaction_count.desc(), Comment.created_at.asc(), Comment.id.asc())
    return (Comment.created_at.asc(), Comment.id.asc())


def sort_key(sort: str):
    """The Python equivalent of `ordering(sort)`, for replies sorted in memory."""
    if sort == "newest":
        return lambda c: (-c.created_at.timestamp(), _neg(c.id))
    if sort == "top":
        return lambda c: (-c.reaction_count, c.created_at, c.id.bytes)
    return lambda c: (c.created_at, c.id.bytes)


def _neg(ident: uuid.UUID) -> bytes:
    return bytes(255 - b for b in ident.bytes)


async def root_page(
    session: AsyncSession, post_id: uuid.UUID, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[CommentRow], str | None]:
    """One page of a post's top-level comments and the cursor of the next page."""
    stmt = with_authors().where(Comment.post_id == post_id, Comment.parent_id.is_(None))
    if cursor:
        stmt = stmt.where(_after(sort, cursor))
    rows = list((await session.execute(stmt.order_by(*ordering(sort)).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(sort, rows[-1][0])
    return rows, next_cursor


async def descendants(
    session: AsyncSession, post_id: uuid.UUID, root_ids: Sequence[uuid.UUID]
) -> list[CommentRow]:
    """Every reply under `root_ids`, at any depth (the depth limit bounds the recursion).

    Two statements: the recursive walk collects the ids, then the rows are read by id. Joined
    in one statement, the planner cannot estimate the recursion's size and answers a tree of
    thirty replies with hash joins over every user and profile.
    """
    if not root_ids:
        return []
    tree = (
        select(Comment.id)
        .where(Comment.post_id == post_id, Comment.parent_id.in_(root_ids))
        .cte("comment_tree", recursive=True)
    )
    tree = tree.union_all(
        select(Comment.id).where(Comment.post_id == post_id, Comment.parent_id == tree.c.id)
    )
    ids = list((await session.scalars(select(tree.c.id))).all())
    if not ids:
        return []
    return list((await session.execute(with_authors().where(Comment.id.in_(ids)))).all())


async def one_with_author(session: AsyncSession, comment_id: uuid.UUID) -> CommentRow | None:
    return (await session.execute(with_authors().where(Comment.id == comment_id))).first()


async def add_to_counters(
    session: AsyncSession, comment_id: uuid.UUID, *, replies: int = 0, reactions: int = 0
) -> None:
    values: dict[str, Any] = {}
    if replies:
        values["reply_count"] = Comment.reply_count + replies
    if reactions:
        values["reaction_count"] = Comment.reaction_count + reactions
    if values:
        await session.execute(update(Comment).where(Comment.id == comment_id).values(**values))
