"""Queries of the realtime layer (reads only)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.auth.models import Session


async def live_sessions(
    session: AsyncSession, family_ids: Collection[uuid.UUID], now: datetime
) -> set[uuid.UUID]:
    """The session families among `family_ids` that are neither revoked nor expired, of users
    who are not deleted or banned."""
    if not family_ids:
        return set()
    stmt = (
        select(Session.family_id)
        .join(User, User.id == Session.user_id)
        .where(
            Session.family_id.in_(list(family_ids)),
            Session.revoked_at.is_(None),
            Session.expires_at > now,
            User.deleted_at.is_(None),
            (User.banned_until.is_(None)) | (User.banned_until <= now),
        )
        .distinct()
    )
    return set((await session.scalars(stmt)).all())


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
