"""Queries of the e-mail log and the suppression list, and what the mails read: the recipient,
the digest's posts and followers, the notifications not yet mailed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, exists, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.auth.models import Session as AuthSession
from sparkle.core.db import keyset_page
from sparkle.email.models import (
    EmailCategory,
    EmailedNotification,
    EmailLog,
    EmailStatus,
    EmailSuppression,
)
from sparkle.notifications.models import Notification, NotificationPreferences
from sparkle.posts.models import Post, PostStatus
from sparkle.social.models import Follow


async def recipient(session: AsyncSession, user_id: uuid.UUID) -> tuple[User, Profile] | None:
    """The live user and their profile."""
    row = (
        await session.execute(
            select(User, Profile)
            .join(Profile, Profile.user_id == User.id)
            .where(User.id == user_id, User.deleted_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def live_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    user = await session.get(User, user_id)
    return None if user is None or user.deleted_at is not None else user


async def counted_mails(
    session: AsyncSession,
    *,
    went_out: Sequence[str],
    sent_since: datetime,
    queued_since: datetime,
    except_key: str | None,
    to_hash: str | None = None,
) -> tuple[int, datetime | None]:
    """How many mails count against a sending limit, and when the oldest of them went out:
    those in a `went_out` status sent since `sent_since` and the claims still `queued` since
    `queued_since`, except mail `except_key`'s own; with `to_hash`, only the non-transactional
    mails to that address."""
    others = EmailLog.idempotency_key != except_key if except_key is not None else true()
    in_flight = and_(
        EmailLog.status == EmailStatus.QUEUED.value, EmailLog.created_at >= queued_since
    )
    sent = and_(EmailLog.status.in_(went_out), EmailLog.sent_at >= sent_since)
    stmt = select(func.count(), func.min(EmailLog.sent_at)).where(
        and_(others, or_(sent, in_flight))
    )
    if to_hash is not None:
        stmt = stmt.where(
            EmailLog.to_hash == to_hash,
            EmailLog.category != EmailCategory.TRANSACTIONAL.value,
        )
    count, oldest = (await session.execute(stmt)).one()
    return int(count), oldest


async def advisory_lock(session: AsyncSession, key: int) -> None:
    """PostgreSQL: a transaction-scoped advisory lock on `key` (a no-op on SQLite, whose write
    transaction already holds the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def suppression(session: AsyncSession, to_hash: str) -> EmailSuppression | None:
    return await session.get(EmailSuppression, to_hash)


async def log_by_key(session: AsyncSession, key: str, *, fresh: bool = False) -> EmailLog | None:
    query = select(EmailLog).where(EmailLog.idempotency_key == key)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return await session.scalar(query)


async def log(session: AsyncSession, log_id: uuid.UUID) -> EmailLog | None:
    return await session.get(EmailLog, log_id)


async def log_by_tracking(session: AsyncSession, tracking_id: str) -> EmailLog | None:
    return await session.scalar(select(EmailLog).where(EmailLog.tracking_id == tracking_id))


async def unsent(
    session: AsyncSession,
    user_id: uuid.UUID,
    category: EmailCategory,
    statuses: Sequence[str],
    since: datetime,
) -> list[EmailLog]:
    """The user's mails of `category` in `statuses` queued since `since`, oldest first."""
    stmt = (
        select(EmailLog)
        .where(
            EmailLog.user_id == user_id,
            EmailLog.category == category.value,
            EmailLog.status.in_(statuses),
            EmailLog.created_at >= since,
        )
        .order_by(EmailLog.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def deferred_count(session: AsyncSession, to_hash: str, since: datetime) -> int:
    """Deferred mails to the address sent (or queued) since `since`."""
    count = await session.scalar(
        select(func.count()).where(
            EmailLog.to_hash == to_hash,
            EmailLog.status == EmailStatus.DEFERRED.value,
            func.coalesce(EmailLog.sent_at, EmailLog.created_at) >= since,
        )
    )
    return int(count or 0)


async def log_page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None,
    to_hash: str | None,
    status: str | None,
    template: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[EmailLog], str | None]:
    """One page of the log, newest first, filtered by member, address, status or template."""
    stmt = select(EmailLog)
    if user_id is not None:
        stmt = stmt.where(EmailLog.user_id == user_id)
    if to_hash is not None:
        stmt = stmt.where(EmailLog.to_hash == to_hash)
    if status:
        stmt = stmt.where(EmailLog.status == status)
    if template:
        stmt = stmt.where(EmailLog.template == template)
    return await keyset_page(
        session, stmt, sort_col=EmailLog.created_at, id_col=EmailLog.id, cursor=cursor, limit=limit
    )


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete log rows created before `cutoff`; how many."""
    result = await session.execute(delete(EmailLog).where(EmailLog.created_at < cutoff))
    return int(cast("CursorResult[Any]", result).rowcount or 0)


# --- the digest and notification mail ------------------------------------------------------


async def last_session_use(session: AsyncSession, user_id: uuid.UUID) -> datetime | None:
    """When any of the member's sign-in sessions was last used."""
    return await session.scalar(
        select(func.max(AuthSession.last_used_at)).where(AuthSession.user_id == user_id)
    )


async def top_posts(
    session: AsyncSession,
    since: datetime,
    *,
    limit: int,
    authors: Sequence[uuid.UUID] | None = None,
    not_by: uuid.UUID | None = None,
    excluding: Sequence[uuid.UUID] = (),
) -> list[tuple[Post, str]]:
    """The most reacted-to (then commented) posts published since `since`, with their author's
    username: by `authors` when given, not by `not_by`, leaving out the posts `excluding`."""
    stmt = select(Post).where(
        Post.status == PostStatus.PUBLISHED.value,
        Post.deleted_at.is_(None),
        Post.published_at >= since,
    )
    if authors is not None:
        stmt = stmt.where(Post.author_id.in_(authors))
    if not_by is not None:
        stmt = stmt.where(Post.author_id != not_by)
    if excluding:
        stmt = stmt.where(Post.id.not_in(excluding))
    rows = await session.execute(
        stmt.join(User, User.id == Post.author_id)
        .add_columns(User.username)
        .order_by(Post.reaction_count.desc(), Post.comment_count.desc(), Post.id.desc())
        .limit(limit)
    )
    return [(post, username) for post, username in rows]


async def new_follower_names(
    session: AsyncSession, user_id: uuid.UUID, since: datetime
) -> list[tuple[str | None, str]]:
    """(display name, username) of the live members who followed `user_id` since `since`,
    newest first."""
    rows = await session.execute(
        select(Profile.display_name, User.username)
        .select_from(Follow)
        .join(User, User.id == Follow.follower_id)
        .join(Profile, Profile.user_id == User.id)
        .where(
            Follow.following_id == user_id, Follow.created_at >= since, User.deleted_at.is_(None)
        )
        .order_by(Follow.created_at.desc())
    )
    return [(name, username) for name, username in rows]


async def digest_recipients(
    session: AsyncSession, frequency: str, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next live, verified members (by id, after `after`) whose digest comes at
    `frequency` (weekly for those who never chose)."""
    chosen = NotificationPreferences.digest == frequency
    if frequency == "weekly":  # the default for members who never chose
        chosen = or_(chosen, NotificationPreferences.user_id.is_(None))
    stmt = (
        select(User.id)
        .outerjoin(NotificationPreferences, NotificationPreferences.user_id == User.id)
        .where(User.deleted_at.is_(None), User.email_verified.is_not(None), chosen)
        .order_by(User.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(User.id > after)
    return list((await session.scalars(stmt)).all())


async def unmailed_notifications(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, since: datetime, limit: int
) -> list[Notification]:
    """The user's unread, unexpired notifications created since `since` that were never
    mailed, oldest first."""
    mailed = exists().where(EmailedNotification.notification_id == Notification.id)
    stmt = (
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.read.is_(False),
            or_(Notification.expires_at.is_(None), Notification.expires_at > now),
            Notification.created_at >= since,
            ~mailed,
        )
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def names(
    session: AsyncSession, user_ids: set[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str | None]]:
    """(id, username, display name) of the users."""
    rows = await session.execute(
        select(User.id, User.username, Profile.display_name)
        .join(Profile, Profile.user_id == User.id)
        .where(User.id.in_(user_ids))
    )
    return [(i, username, name) for i, username, name in rows]
