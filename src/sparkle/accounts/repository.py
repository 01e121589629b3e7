"""Queries on users and profiles."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from sparkle.accounts.models import User


def users_with_profile() -> Select[tuple[User]]:
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


def search_statement(query: str | None, role: str | None) -> Select[tuple[User]]:
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
