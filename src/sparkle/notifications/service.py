"""Notifications: creation with grouping and withdrawal, the recipient's list, read state,
broadcasts and retention.

Repeated events on one target collapse into one row per recipient while its group is open
(unread and inside its window): an upsert on the unique (user_id, group_key) plus a row lock
serialises concurrent events, so a thousand likes make one notification on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core import events, jobs, runtime
from sparkle.core.db import keyset_page, utcnow
from sparkle.core.db.base import new_id
from sparkle.core.errors import NotFound
from sparkle.notifications import preferences, repository
from sparkle.notifications.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationsRead,
    NotificationUpdated,
)
from sparkle.notifications.models import Channel, Notification, NotificationType
from sparkle.notifications.schemas import (
    ActorRead,
    BroadcastCreate,
    NotificationPage,
    NotificationRead,
    Preferences,
    PreferencesUpdate,
)
from sparkle.social import service as social_service

EMAIL_JOB = "email.notification"
BROADCAST_JOB = "notification.broadcast_batch"
# Removing a reaction or a follow this soon after withdraws it from the unread notification.
WITHDRAW_WINDOW = timedelta(minutes=10)
# Email batching windows: direct messages soon, everything else collected (Discourse).
EMAIL_DELAY_DIRECT = 20
EMAIL_DELAY = 600
SHOWN_ACTORS = 3
# A group keeps its latest actors only (the count covers everyone): an event then rewrites a
# small row, so a post with ten thousand likes costs the same per like as one with ten.
KEPT_ACTORS = 50
LIKES = {NotificationType.POST_LIKED, NotificationType.COMMENT_LIKED}


class NotificationNotFound(NotFound):
    code, title = "notification_not_found", "Notification not found"


@dataclass(frozen=True)
class Target:
    type: str
    id: uuid.UUID


def group_key(type: NotificationType, target: Target) -> str:
    return f"{type.value}:{target.type}:{target.id}"


def title_for(name: str, count: int, phrase: str) -> str:
    """ "Ana liked your post", "Ana and 1 other …", "Ana and 12 others …"."""
    if count <= 1:
        return f"{name} {phrase}"[:200]
    others = count - 1
    return f"{name} and {others} other{'s' if others > 1 else ''} {phrase}"[:200]


def _window(type: NotificationType) -> timedelta:
    settings = runtime.get().settings
    seconds = (
        settings.notification_like_group_seconds
        if type in LIKES
        else settings.notification_group_seconds
    )
    return timedelta(seconds=seconds)


def _unread_expiry(now: datetime) -> datetime:
    return now + timedelta(days=runtime.get().settings.notification_unread_retention_days)


def _read_expiry(now: datetime) -> datetime:
    return now + timedelta(days=runtime.get().settings.notification_read_retention_days)


def _recent(entries: dict[str, str], now: datetime) -> dict[str, str]:
    """The actors who joined within the withdrawal window, at most KEPT_ACTORS, oldest first."""
    cutoff = now - WITHDRAW_WINDOW
    kept = [(k, v) for k, v in entries.items() if datetime.fromisoformat(v) >= cutoff]
    return dict(kept[-KEPT_ACTORS:])


# --- reading -------------------------------------------------------------------------------


def url_for(row: Notification, actors: dict[uuid.UUID, tuple[str, str, str | None]]) -> str | None:
    data = row.data or {}
    if data.get("url"):
        return str(data["url"])
    if data.get("postId"):
        anchor = f"#comment-{data['commentId']}" if data.get("commentId") else ""
        return f"/p/{data['postId']}{anchor}"
    if row.type == NotificationType.USER_FOLLOWED and row.actor_ids:
        first = actors.get(uuid.UUID(row.actor_ids[0]))
        return f"/u/{first[0]}" if first else None
    return None


def _public_data(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k != "phrase"}


def to_read(
    row: Notification, actors: dict[uuid.UUID, tuple[str, str, str | None]]
) -> NotificationRead:
    shown = []
    for raw in row.actor_ids[:SHOWN_ACTORS]:
        uid = uuid.UUID(raw)
        if uid in actors:
            username, name, avatar = actors[uid]
            shown.append(ActorRead(id=uid, username=username, display_name=name, avatar_url=avatar))
    return NotificationRead(
        id=row.id,
        type=NotificationType(row.type),
        title=row.title,
        content=row.content,
        data=_public_data(row.data),
        target_type=row.target_type,
        target_id=row.target_id,
        url=url_for(row, actors),
        actors=shown,
        actor_count=row.actor_count,
        read=row.read,
        read_at=row.read_at,
        created_at=row.created_at,
    )


async def hydrate(session: AsyncSession, rows: list[Notification]) -> list[NotificationRead]:
    """Read models with their latest actors, in one query for any number of rows."""
    ids = {uuid.UUID(a) for row in rows for a in row.actor_ids[:SHOWN_ACTORS]}
    actors = await repository.actors(session, sorted(ids))
    return [to_read(row, actors) for row in rows]


async def list_for_user(
    session: AsyncSession,
    user: User,
    *,
    cursor: str | None,
    limit: int,
    unread: bool = False,
    types: list[NotificationType] | None = None,
) -> NotificationPage:
    """The user's notifications, latest activity first, keyset-paged."""
    stmt = repository.list_statement(
        user.id, unread=unread, types=[t.value for t in types] if types else None
    )
    rows, next_cursor = await keyset_page(
        session,
        stmt,
        sort_col=Notification.created_at,
        id_col=Notification.id,
        cursor=cursor,
        limit=limit,
    )
    return NotificationPage(items=await hydrate(session, rows), next_cursor=next_cursor)


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await repository.unread_count(session, user_id)


async def access(session: AsyncSession, user: User, notification_id: uuid.UUID) -> Notification:
    """The user's own notification; anyone else's is a 404, exactly like a missing one."""
    row = await repository.get_for_user(session, user.id, notification_id)
    if row is None:
        raise NotificationNotFound()
    return row


async def mark_read(
    session: AsyncSession, user: User, notification_id: uuid.UUID
) -> NotificationRead:
    """Mark one notification read (idempotent); read rows expire sooner."""
    row = await access(session, user, notification_id)
    if not row.read:
        now = utcnow()
        row.read, row.read_at, row.expires_at = True, now, _read_expiry(now)
        await session.flush()
        events.publish(
            session,
            NotificationsRead(
                user_id=user.id,
                ids=[row.id],
                unread_count=await repository.unread_count(session, user.id),
            ),
        )
    return (await hydrate(session, [row]))[0]


async def mark_all_read(session: AsyncSession, user: User) -> int:
    """Mark every unread notification read; how many changed."""
    now = utcnow()
    changed = await repository.mark_all_read(session, user.id, now, _read_expiry(now))
    if changed:
        events.publish(session, NotificationsRead(user_id=user.id, ids=None, unread_count=0))
    return changed


async def delete(session: AsyncSession, user: User, notification_id: uuid.UUID) -> None:
    """Delete one of the user's notifications."""
    row = await access(session, user, notification_id)
    await session.delete(row)
    await session.flush()
    events.publish(
        session,
        NotificationDeleted(
            user_id=user.id,
            id=notification_id,
            unread_count=await repository.unread_count(session, user.id),
        ),
    )


# --- creating ------------------------------------------------------------------------------


async def _announce(
    session: AsyncSession,
    row: Notification,
    actors: dict[uuid.UUID, tuple[str, str, str | None]],
    *,
    unread: int | None,
    email: bool,
    push: bool,
) -> None:
    """Tell the realtime layer (with the unread count when it changed, and whether the
    recipient wants a live toast now), and queue the email if the recipient wants one."""
    events.publish(
        session,
        NotificationCreated(
            user_id=row.user_id,
            notification=to_read(row, actors).model_dump(mode="json", by_alias=True),
            push=push,
            unread_count=unread,
        ),
    )
    if email and EMAIL_JOB in jobs.REGISTRY:
        events.enqueue(
            session,
            EMAIL_JOB,
            {"notificationId": str(row.id), "userId": str(row.user_id)},
            delay=EMAIL_DELAY_DIRECT
            if row.type == NotificationType.DIRECT_MESSAGE
            else EMAIL_DELAY,
            key=f"email-batch:{row.user_id}",
        )


async def notify(
    session: AsyncSession,
    *,
    recipient_id: uuid.UUID,
    type: NotificationType,
    actor_id: uuid.UUID,
    target: Target,
    phrase: str,
    content: str | None = None,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """Record that `actor_id` did something to `recipient_id`'s `target`: a new notification,
    or one more actor on the open group. None when nothing changed (self, unwanted, repeat)."""
    if actor_id == recipient_id:
        return None
    people = await repository.actors(session, [actor_id, recipient_id])
    if actor_id not in people or recipient_id not in people:
        return None
    if await social_service.blocked_between(session, actor_id, recipient_id):
        return None
    now = utcnow()
    delivery = await preferences.delivery_for(session, recipient_id, type, now)
    if not delivery.channels[Channel.IN_APP]:
        return None
    name = people[actor_id][1]
    for _ in range(3):
        outcome = await _join_group(
            session, recipient_id, type, actor_id, name, target, phrase, content, data, now
        )
        if outcome is not None:
            break
    else:
        return None
    row, inserted = outcome
    if row is None:
        return None
    # Joining an open (unread) group leaves the unread count as it was, and needs no email
    # job: the one queued when the group started mails it with everyone who joined by then
    # (a group already mailed is not mailed again).
    unread = await repository.unread_count(session, recipient_id) if inserted else None
    await _announce(
        session,
        row,
        people,
        unread=unread,
        email=inserted and delivery.channels[Channel.EMAIL],
        push=delivery.push,
    )
    return row


async def _join_group(
    session: AsyncSession,
    recipient_id: uuid.UUID,
    type: NotificationType,
    actor_id: uuid.UUID,
    name: str,
    target: Target,
    phrase: str,
    content: str | None,
    data: dict[str, Any] | None,
    now: datetime,
) -> tuple[Notification | None, bool] | None:
    """Add the actor to the open group, or start one: (row, inserted), (None, False) when
    nothing changed, None when another transaction started the group first (try again).

    The open group's row is locked first, so concurrent events on one target queue there and
    the lock is held only for the update and the commit.
    """
    actor = str(actor_id)
    key = group_key(type, target)
    row = await repository.lock_group(session, recipient_id, key)
    if row is not None and (row.read or row.created_at < now - _window(type)):
        # Read, or its window is over: close it; the event starts a new notification.
        row.group_key = None
        await session.flush()
        row = None
    if row is None:
        inserted = await repository.insert_group(
            session,
            {
                "id": new_id(),
                "user_id": recipient_id,
                "type": type.value,
                "actor_ids": [actor],
                "actor_count": 1,
                "recent_actors": {actor: now.isoformat()},
                "target_type": target.type,
                "target_id": target.id,
                "group_key": key,
                "title": title_for(name, 1, phrase),
                "content": content,
                "data": {**(data or {}), "phrase": phrase},
                "read": False,
                "created_at": now,
                "updated_at": now,
                "expires_at": _unread_expiry(now),
            },
        )
        if inserted is None:
            return None
        return await session.get(Notification, inserted), True
    data = {**(data or {}), "phrase": phrase}
    if actor in row.actor_ids:
        # A repeat (a second reaction type, a redelivered job) changes nothing; a new message
        # in the same conversation refreshes the preview and moves it to the top.
        if row.data == data and row.content == content:
            return None, False
        row.actor_ids = [actor, *(a for a in row.actor_ids if a != actor)]
    else:
        row.actor_ids = [actor, *row.actor_ids][:KEPT_ACTORS]
        row.actor_count += 1
    row.data = data
    recent = {k: v for k, v in (row.recent_actors or {}).items() if k != actor}
    row.recent_actors = _recent({**recent, actor: now.isoformat()}, now)
    row.title = title_for(name, row.actor_count, phrase)
    row.content = content
    row.created_at = now
    row.expires_at = _unread_expiry(now)
    await session.flush()
    return row, False


async def withdraw(
    session: AsyncSession,
    *,
    recipient_id: uuid.UUID,
    type: NotificationType,
    actor_id: uuid.UUID,
    target: Target,
) -> bool:
    """Take `actor_id` back out of the unread group if they joined it within the withdrawal
    window (an unlike, an unfollow); the row goes when no actor is left."""
    row = await repository.lock_group(session, recipient_id, group_key(type, target))
    actor = str(actor_id)
    if row is None or row.read or actor not in (row.recent_actors or {}):
        return False
    now = utcnow()
    if datetime.fromisoformat(row.recent_actors[actor]) < now - WITHDRAW_WINDOW:
        return False
    if row.actor_count <= 1:
        await session.delete(row)
        await session.flush()
        events.publish(
            session,
            NotificationDeleted(
                user_id=recipient_id,
                id=row.id,
                unread_count=await repository.unread_count(session, recipient_id),
            ),
        )
        return True
    row.actor_ids = [a for a in row.actor_ids if a != actor]
    row.recent_actors = {k: v for k, v in row.recent_actors.items() if k != actor}
    row.actor_count -= 1
    people = (
        await repository.actors(session, [uuid.UUID(row.actor_ids[0])]) if row.actor_ids else {}
    )
    first = next(iter(people.values()), None)
    row.title = title_for(
        first[1] if first else "Someone", row.actor_count, row.data.get("phrase", "")
    )
    await session.flush()
    events.publish(
        session,
        NotificationUpdated(
            user_id=recipient_id,
            notification=to_read(row, people).model_dump(mode="json", by_alias=True),
        ),
    )
    return True


# --- broadcasts and retention --------------------------------------------------------------


def start_broadcast(session: AsyncSession, data: BroadcastCreate) -> uuid.UUID:
    """Queue a SYSTEM notification to an audience; batches fan it out. Returns the batch id."""
    batch_id = new_id()
    audience = data.audience if isinstance(data.audience, str) else "users"
    user_ids = None if isinstance(data.audience, str) else [str(u) for u in data.audience.user_ids]
    events.enqueue(
        session,
        BROADCAST_JOB,
        {
            "batchId": str(batch_id),
            "title": data.title,
            "content": data.content,
            "url": data.url,
            "audience": audience,
            "userIds": user_ids,
            "after": None,
        },
    )
    return batch_id


async def broadcast_batch(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID,
    title: str,
    content: str,
    url: str | None,
    audience: str,
    user_ids: list[uuid.UUID] | None,
    after: uuid.UUID | None,
) -> uuid.UUID | None:
    """Write one batch of a broadcast; the last recipient id when more may follow.

    Re-running a batch inserts nothing twice: its group key is unique per recipient.
    """
    limit = runtime.get().settings.notification_broadcast_batch
    recipients = await repository.audience_page(session, audience, user_ids, after, limit)
    now = utcnow()
    key = f"{NotificationType.SYSTEM.value}:broadcast:{batch_id}"
    data = {"batchId": str(batch_id), **({"url": url} if url else {})}
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "user_id": uid,
            "type": NotificationType.SYSTEM.value,
            "actor_ids": [],
            "actor_count": 0,
            "recent_actors": {},
            "target_type": None,
            "target_id": None,
            "group_key": key,
            "title": title,
            "content": content,
            "data": data,
            "read": False,
            "created_at": now,
            "updated_at": now,
            "expires_at": _unread_expiry(now),
        }
        for uid in recipients
    ]
    created = {i for i, _ in await repository.insert_many(session, rows)}
    if created:
        await _announce_many(session, [Notification(**r) for r in rows if r["id"] in created])
    return recipients[-1] if len(recipients) == limit else None


async def _announce_many(session: AsyncSession, rows: list[Notification]) -> None:
    """Announce freshly written SYSTEM rows: preferences and unread counts in a few queries
    for the whole batch."""
    user_ids = [row.user_id for row in rows]
    deliveries = await preferences.deliveries_for(
        session, user_ids, NotificationType.SYSTEM, utcnow()
    )
    counts = await repository.unread_counts(session, user_ids)
    for row in rows:
        delivery = deliveries[row.user_id]
        await _announce(
            session,
            row,
            {},
            unread=counts.get(row.user_id, 0),
            email=delivery.channels[Channel.EMAIL],
            push=delivery.push,
        )


async def expire(session: AsyncSession, *, now: datetime | None = None, chunk: int = 5000) -> int:
    """Delete notifications past their expiry, in chunks; how many went."""
    now = now or utcnow()
    total = 0
    while True:
        removed = await repository.delete_expired(session, now, chunk)
        total += removed
        if removed < chunk:
            return total


# --- preferences ---------------------------------------------------------------------------


async def update_preferences(
    session: AsyncSession, user: User, data: PreferencesUpdate
) -> Preferences:
    """Apply the fields present in `data`; the effective preferences after."""
    given = data.model_fields_set
    if data.channels is not None:
        current = (await preferences.get_preferences(session, user.id)).channels
        for t, chans in data.channels.items():
            current[t].update(chans)
        await preferences.set_channels(session, user.id, current)
    if data.digest is not None:
        await preferences.set_digest(session, user.id, data.digest)
    if given & {"quiet_hours_start", "quiet_hours_end", "timezone"}:
        prefs = await preferences.get_preferences(session, user.id)
        start = data.quiet_hours_start if "quiet_hours_start" in given else prefs.quiet_hours_start
        end = data.quiet_hours_end if "quiet_hours_end" in given else prefs.quiet_hours_end
        tz = (
            (data.timezone or None)
            if "timezone" in given
            else (None if prefs.timezone_from_profile else prefs.timezone)
        )
        await preferences.set_quiet_hours(session, user.id, start, end, tz)
    return await preferences.get_preferences(session, user.id)
