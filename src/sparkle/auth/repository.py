"""Queries on sessions and one-time tokens."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from sparkle.accounts.models import User
from sparkle.auth.models import AccountToken, RecoveryCode, Session


async def by_token_hash(session: AsyncSession, token_hash: str) -> Session | None:
    return await session.scalar(select(Session).where(Session.token_hash == token_hash))


async def active_with_user(
    session: AsyncSession, family_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> tuple[Session, User] | None:
    """The live refresh row of a session family and its (not deleted) user: one query."""
    stmt = (
        select(Session, User)
        .join(User, User.id == Session.user_id)
        .options(joinedload(User.profile))
        .where(
            Session.family_id == family_id,
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
            Session.expires_at > now,
            User.deleted_at.is_(None),
        )
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def active_with_users(
    session: AsyncSession, pairs: set[tuple[uuid.UUID, uuid.UUID]], now: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[Session, User]]:
    """`active_with_user` for many (family, user) pairs in one query."""
    if not pairs:
        return {}
    stmt = (
        select(Session, User)
        .join(User, User.id == Session.user_id)
        .options(joinedload(User.profile))
        .where(
            Session.family_id.in_({family for family, _ in pairs}),
            Session.revoked_at.is_(None),
            Session.expires_at > now,
            User.deleted_at.is_(None),
        )
    )
    found: dict[tuple[uuid.UUID, uuid.UUID], tuple[Session, User]] = {}
    for row, user in (await session.execute(stmt)).unique().all():
        key = (row.family_id, row.user_id)
        if key in pairs:
            found.setdefault(key, (row, user))
    return found


async def live_families(
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


async def claim_for_rotation(session: AsyncSession, row_id: uuid.UUID, now: datetime) -> bool:
    """Atomically mark a refresh row rotated; False if someone else already did."""
    result = await session.execute(
        update(Session)
        .where(Session.id == row_id, Session.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="rotated")
    )
    return cast("CursorResult[Any]", result).rowcount == 1


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, now: datetime, reason: str
) -> None:
    await session.execute(
        update(Session)
        .where(Session.family_id == family_id, Session.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def revoke_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    keep: uuid.UUID | None = None,
) -> None:
    stmt = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(Session.family_id != keep)
    await session.execute(stmt.values(revoked_at=now, revoked_reason=reason))


async def active_for_user(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[Session]:
    stmt = (
        select(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now)
        .order_by(Session.last_used_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def account_token(
    session: AsyncSession, token_hash: str, purpose: str
) -> AccountToken | None:
    stmt = select(AccountToken).where(
        AccountToken.token_hash == token_hash, AccountToken.purpose == purpose
    )
    return await session.scalar(stmt)


async def use_account_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Atomically spend a single-use token; False if it was already used."""
    result = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == token_id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


async def expire_account_tokens(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, now: datetime
) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


async def recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> list[RecoveryCode]:
    stmt = select(RecoveryCode).where(RecoveryCode.user_id == user_id)
    return list((await session.scalars(stmt)).all())
