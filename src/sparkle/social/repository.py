"""Queries on the social graph: follows and blocks. The edges of a deleted account stay in the
table, but the account is left out of every list and count."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Exists,
    Row,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.core.db.base import new_id, utcnow
from sparkle.social.models import Follow, UserBlock


async def insert(session: AsyncSession, follower_id: uuid.UUID, following_id: uuid.UUID) -> bool:
    """Add the edge unless it exists; True when a row was written. Two concurrent follows
    meet in the unique constraint, and the loser writes nothing instead of failing."""
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert_(Follow)
        .values(
            id=new_id(), follower_id=follower_id, following_id=following_id, created_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=[Follow.follower_id, Follow.following_id])
        .returning(Follow.id)
    )
    return (await session.execute(stmt)).first() is not None


async def remove(session: AsyncSession, follower_id: uuid.UUID, following_id: uuid.UUID) -> bool:
    """Delete the edge; True when there was one."""
    stmt = (
        delete(Follow)
        .where(Follow.follower_id == follower_id, Follow.following_id == following_id)
        .returning(Follow.id)
    )
    return (await session.execute(stmt)).first() is not None


def following_statement(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """Ids of the live users `user_id` follows (usable as an IN subquery)."""
    return (
        select(Follow.following_id)
        .join(User, User.id == Follow.following_id)
        .where(Follow.follower_id == user_id, User.deleted_at.is_(None))
    )


def followers_statement(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """Ids of the live users who follow `user_id`."""
    return (
        select(Follow.follower_id)
        .join(User, User.id == Follow.follower_id)
        .where(Follow.following_id == user_id, User.deleted_at.is_(None))
    )


async def counts(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(followers, following) per user, one round trip for any number of users."""
    followers = (
        select(
            Follow.following_id.label("user_id"), literal(0).label("kind"), func.count().label("n")
        )
        .join(User, User.id == Follow.follower_id)
        .where(Follow.following_id.in_(user_ids), User.deleted_at.is_(None))
        .group_by(Follow.following_id)
    )
    following = (
        select(Follow.follower_id, literal(1), func.count())
        .join(User, User.id == Follow.following_id)
        .where(Follow.follower_id.in_(user_ids), User.deleted_at.is_(None))
        .group_by(Follow.follower_id)
    )
    out = {user_id: [0, 0] for user_id in user_ids}
    for user_id, kind, n in (await session.execute(union_all(followers, following))).all():
        out[user_id][kind] = n
    return {user_id: (f, g) for user_id, (f, g) in out.items()}


async def edges_between(
    session: AsyncSession, a: uuid.UUID, b: uuid.UUID
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The (follower, following) edges between two users, in either direction."""
    stmt = select(Follow.follower_id, Follow.following_id).where(
        or_(
            and_(Follow.follower_id == a, Follow.following_id == b),
            and_(Follow.follower_id == b, Follow.following_id == a),
        )
    )
    return {(row[0], row[1]) for row in (await session.execute(stmt)).all()}


async def followed_among(
    session: AsyncSession, follower_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `user_ids` `follower_id` follows."""
    if not user_ids:
        return set()
    stmt = select(Follow.following_id).where(
        Follow.follower_id == follower_id, Follow.following_id.in_(user_ids)
    )
    return set((await session.scalars(stmt)).all())


async def page(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    followers: bool,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[*tuple[Any, ...]]]:
    """One page of `user_id`'s followers (or followed users), newest edge first, keyset on
    (created_at, id) so a deep page costs what the first does."""
    other, anchor = (
        (Follow.follower_id, Follow.following_id)
        if followers
        else (Follow.following_id, Follow.follower_id)
    )
    stmt = (
        select(
            Follow.id.label("edge_id"),
            Follow.created_at.label("followed_at"),
            User.id,
            User.username,
            Profile.display_name,
            Profile.avatar_url,
        )
        .join(User, User.id == other)
        .join(Profile, Profile.user_id == User.id)
        .where(anchor == user_id, User.deleted_at.is_(None))
    )
    if after is not None:
        at, edge_id = after
        stmt = stmt.where(
            or_(Follow.created_at < at, and_(Follow.created_at == at, Follow.id < edge_id))
        )
    stmt = stmt.order_by(Follow.created_at.desc(), Follow.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


# --- blocks --------------------------------------------------------------------------------


def _insert(session: AsyncSession):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def blocked_between(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    stmt = select(UserBlock.id).where(
        or_(
            and_(UserBlock.blocker_id == a, UserBlock.blocked_id == b),
            and_(UserBlock.blocker_id == b, UserBlock.blocked_id == a),
        )
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def blocked_any(
    session: AsyncSession, a: uuid.UUID, others: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `others` who block `a` or whom `a` blocks."""
    if not others:
        return set()
    stmt = select(UserBlock.blocker_id, UserBlock.blocked_id).where(
        or_(
            and_(UserBlock.blocker_id == a, UserBlock.blocked_id.in_(others)),
            and_(UserBlock.blocked_id == a, UserBlock.blocker_id.in_(others)),
        )
    )
    return {x if x != a else y for x, y in (await session.execute(stmt)).all()}


def block_exists(a: uuid.UUID, other: ColumnElement[uuid.UUID]) -> Exists:
    """EXISTS of a block either way between `a` and the user id in `other` (a column of the
    embedding query)."""
    return exists().where(
        or_(
            and_(UserBlock.blocker_id == a, UserBlock.blocked_id == other),
            and_(UserBlock.blocked_id == a, UserBlock.blocker_id == other),
        )
    )


async def insert_block(session: AsyncSession, blocker: uuid.UUID, blocked: uuid.UUID) -> bool:
    stmt = (
        _insert(session)(UserBlock)
        .values(id=new_id(), blocker_id=blocker, blocked_id=blocked, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[UserBlock.blocker_id, UserBlock.blocked_id])
        .returning(UserBlock.id)
    )
    return (await session.execute(stmt)).first() is not None


async def delete_block(session: AsyncSession, blocker: uuid.UUID, blocked: uuid.UUID) -> bool:
    row = (
        await session.scalars(
            select(UserBlock).where(
                UserBlock.blocker_id == blocker, UserBlock.blocked_id == blocked
            )
        )
    ).first()
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def blocks_of(session: AsyncSession, blocker: uuid.UUID) -> list[UserBlock]:
    stmt = (
        select(UserBlock)
        .where(UserBlock.blocker_id == blocker)
        .order_by(UserBlock.created_at.desc())
    )
    return list((await session.scalars(stmt.limit(1000))).all())
