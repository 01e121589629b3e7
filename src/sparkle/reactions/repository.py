"""Reaction queries: race-free insert and delete, counts per type, who reacted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Row, and_, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.core.db import Cursor
from sparkle.core.db.base import new_id, utcnow
from sparkle.core.errors import ValidationFailed
from sparkle.reactions.models import Reaction

TargetKind = Literal["post", "comment"]


def _column(kind: TargetKind) -> Any:
    return Reaction.post_id if kind == "post" else Reaction.comment_id


async def insert(
    session: AsyncSession,
    kind: TargetKind,
    target_id: uuid.UUID,
    user_id: uuid.UUID,
    reaction_type: str,
) -> bool:
    """Insert the reaction unless it exists; True when a row was inserted. The unique
    constraint decides, so two concurrent identical requests make one row."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "id": new_id(),
        "user_id": user_id,
        "reaction_type": reaction_type,
        "created_at": utcnow(),
        _column(kind).key: target_id,
    }
    stmt = insert_(Reaction).values(**values).on_conflict_do_nothing().returning(Reaction.id)
    return (await session.execute(stmt)).first() is not None


async def remove(
    session: AsyncSession,
    kind: TargetKind,
    target_id: uuid.UUID,
    user_id: uuid.UUID,
    reaction_type: str,
) -> bool:
    """Delete the reaction; True when a row was deleted."""
    stmt = (
        delete(Reaction)
        .where(
            _column(kind) == target_id,
            Reaction.user_id == user_id,
            Reaction.reaction_type == reaction_type,
        )
        .returning(Reaction.id)
    )
    return (await session.execute(stmt)).first() is not None


async def counts(
    session: AsyncSession,
    kind: TargetKind,
    target_ids: Sequence[uuid.UUID],
    viewer_id: uuid.UUID | None,
) -> list[Row[uuid.UUID, str, int, int]]:
    """(target id, type, count, 1 if the viewer reacted so) for every type any target has,
    in one grouped query."""
    col = _column(kind)
    mine = func.max(case((Reaction.user_id == viewer_id, 1), else_=0)) if viewer_id else func.max(0)
    stmt = (
        select(col, Reaction.reaction_type, func.count(), mine)
        .where(col.in_(target_ids))
        .group_by(col, Reaction.reaction_type)
    )
    return list((await session.execute(stmt)).all())


async def reactors(
    session: AsyncSession,
    kind: TargetKind,
    target_id: uuid.UUID,
    reaction_type: str | None,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row[Reaction, str, str | None, str | None]], str | None]:
    """Who reacted, newest first, with what their profiles show; keyset-paged."""
    stmt = (
        select(Reaction, User.username, Profile.display_name, Profile.avatar_url)
        .join(User, User.id == Reaction.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(_column(kind) == target_id, User.deleted_at.is_(None))
    )
    if reaction_type:
        stmt = stmt.where(Reaction.reaction_type == reaction_type)
    if cursor:
        c = Cursor.decode(cursor)
        if not isinstance(c.value, datetime) or c.value.tzinfo is None:
            raise ValidationFailed("Invalid cursor", fields={"cursor": "Invalid cursor"})
        stmt = stmt.where(
            or_(
                Reaction.created_at < c.value,
                and_(Reaction.created_at == c.value, Reaction.id < c.id),
            )
        )
    stmt = stmt.order_by(Reaction.created_at.desc(), Reaction.id.desc()).limit(limit + 1)
    # The profile is outer-joined, so its display name may be missing.
    rows = cast(
        "list[Row[Reaction, str, str | None, str | None]]",
        list((await session.execute(stmt)).all()),
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = Cursor(last.created_at, last.id).encode()
    return rows, next_cursor
