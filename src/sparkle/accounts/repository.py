"""Queries on users and profiles."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from sparkle.accounts.models import Profile, User


def users_with_profile() -> Select[User]:
    return select(User).options(joinedload(User.profile))


async def get(
    session: AsyncSession, user_id: uuid.UUID, *, include_deleted: bool = False
) -> User | None:
    stmt = users_with_profile().where(User.id == user_id)
    if not include_deleted:
        stmt = stmt.where(User.deleted_at.is_(None))
    return (await session.scalars(stmt)).one_or_none()


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = users_with_profile().where(
        func.lower(User.email) == email.lower(), User.deleted_at.is_(None)
    )
    return (await session.scalars(stmt)).one_or_none()


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    stmt = users_with_profile().where(
        func.lower(User.username) == username.lower(), User.deleted_at.is_(None)
    )
    return (await session.scalars(stmt)).one_or_none()


async def email_taken(session: AsyncSession, email: str) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.lower())
    return (await session.scalar(stmt)) is not None


async def username_taken(session: AsyncSession, username: str) -> bool:
    # Deleted accounts keep their username until the grace period ends and they are purged.
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    return (await session.scalar(stmt)) is not None


def search_statement(query: str | None, role: str | None) -> Select[User]:
    stmt = users_with_profile()
    if query:
        # Escape LIKE's wildcards: `_` is common in usernames and must match only itself.
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(like, escape="\\"),
                func.lower(User.username).like(like, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


async def deleted_before(session: AsyncSession, cutoff: datetime) -> list[User]:
    stmt = select(User).where(
        User.deleted_at.is_not(None), User.deleted_at < cutoff, User.deleted_username.is_not(None)
    )
    return list((await session.scalars(stmt)).all())


async def refs(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str, str, str | None]]:
    """id → (id, username, display name or username, avatar) of the live accounts among `ids`."""
    if not ids:
        return {}
    rows = await session.execute(
        select(
            User.id,
            User.username,
            func.coalesce(Profile.display_name, User.username),
            Profile.avatar_url,
        )
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(list(ids)), User.deleted_at.is_(None))
    )
    return {r[0]: (r[0], r[1], r[2], r[3]) for r in rows}


async def ids_by_username(
    session: AsyncSession, usernames: Collection[str]
) -> dict[str, uuid.UUID]:
    """`{username: id}` for the (not deleted) users among `usernames`, matched case-insensitively;
    the keys are spelled as asked."""
    if not usernames:
        return {}
    wanted = {u.lower(): u for u in usernames}
    stmt = select(User.username, User.id).where(
        func.lower(User.username).in_(list(wanted)), User.deleted_at.is_(None)
    )
    return {wanted[name.lower()]: uid for name, uid in (await session.execute(stmt)).all()}
