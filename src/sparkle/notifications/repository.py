"""Queries over notifications: the grouping upsert, the recipient's list and counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, Role, User
from sparkle.comments.models import Comment
from sparkle.notifications.models import Notification
from sparkle.posts.models import Post
from sparkle.reactions.models import Reaction


def _insert(session: AsyncSession):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_group(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert a notification unless its group is open; the new id, or None on conflict."""
    stmt = (
        _insert(session)(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "group_key"])
        .returning(Notification.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_group(
    session: AsyncSession, user_id: uuid.UUID, group_key: str
) -> Notification | None:
    """The open group's row, locked until the transaction ends (concurrent events queue)."""
    return await session.scalar(
        select(Notification)
        .where(Notification.user_id == user_id, Notification.group_key == group_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def insert_many(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Insert rows, skipping those whose group exists (a re-run batch); (id, user_id) of new
    ones."""
    if not rows:
        return []
    # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues")
    # from one cached compilation, instead of compiling a statement with thousands of binds.
    stmt = (
        _insert(session)(Notification.__table__)
        .on_conflict_do_nothing(index_elements=["user_id", "group_key"])
        .returning(Notification.id, Notification.user_id)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt, rows)).all()]


def list_statement(user_id: uuid.UUID, *, unread: bool, types: list[str] | None) -> Select[Any]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read.is_(False))
    if types:
        stmt = stmt.where(Notification.type.in_(types))
    return stmt


async def get_for_user(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read.is_(False))
        )
        or 0
    )


async def mark_all_read(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, expires_at: datetime
) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read.is_(False))
        .values(read=True, read_at=now, expires_at=expires_at, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount or 0


async def delete_expired(session: AsyncSession, now: datetime, limit: int) -> int:
    ids = select(Notification.id).where(Notification.expires_at < now).limit(limit)
    result = await session.execute(
        delete(Notification)
        .where(Notification.id.in_(ids.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount or 0


async def actors(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str, str | None]]:
    """(username, display name, avatar) of live users, in one query."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.username, Profile.display_name, Profile.avatar_url)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(user_ids), User.deleted_at.is_(None))
    )
    return {uid: (username, name or username, avatar) for uid, username, name, avatar in rows.all()}


async def post_info(session: AsyncSession, post_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    row = (
        await session.execute(select(Post.author_id, Post.title).where(Post.id == post_id))
    ).first()
    return (row[0], row[1]) if row else None


async def comment_info(
    session: AsyncSession, comment_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(author id, post id) of a comment."""
    row = (
        await session.execute(
            select(Comment.author_id, Comment.post_id).where(Comment.id == comment_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


AUDIENCE_ROLES: dict[str, tuple[str, ...]] = {
    "admins": (Role.ADMIN.value,),
    "moderators": (Role.MODERATOR.value, Role.ADMIN.value),
}


async def audience_page(
    session: AsyncSession,
    audience: str,
    user_ids: list[uuid.UUID] | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[uuid.UUID]:
    """The next `limit` recipient ids after `after` (keyset over users.id)."""
    stmt = select(User.id).where(User.deleted_at.is_(None))
    if audience in AUDIENCE_ROLES:
        stmt = stmt.where(User.role.in_(AUDIENCE_ROLES[audience]))
    elif user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    if after is not None:
        stmt = stmt.where(User.id > after)
    return list((await session.scalars(stmt.order_by(User.id).limit(limit))).all())


async def unread_counts(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(Notification.user_id, func.count())
        .where(Notification.user_id.in_(user_ids), Notification.read.is_(False))
        .group_by(Notification.user_id)
    )
    return {uid: int(n) for uid, n in rows.all()}


async def has_reaction(
    session: AsyncSession, kind: str, target_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Whether the user still has any reaction on the post or comment."""
    column = Reaction.post_id if kind == "post" else Reaction.comment_id
    found = await session.scalar(
        select(Reaction.id).where(column == target_id, Reaction.user_id == user_id).limit(1)
    )
    return found is not None
