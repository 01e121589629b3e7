"""Notification jobs: events become jobs (no database work in the subscriber), the daily
expiry and its schedule."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from sparkle.core import events, jobs
from sparkle.core.db import session_scope, utcnow
from sparkle.notifications import jobs as notification_jobs
from sparkle.notifications import service
from sparkle.notifications.models import Notification, NotificationType
from sparkle.notifications.service import Target
from sparkle.social import service as social_service


async def test_events_are_routed_to_jobs(rt, owner, other) -> None:
    """A follow enqueues its notification job in the follow's own transaction."""
    with events.capture_jobs() as queued:
        async with session_scope(rt.sessions) as session:
            await social_service.follow(session, rt.limiter, other.user, owner.id)
            assert queued == []  # nothing is released before commit
    payload = {"followerId": str(other.id), "followingId": str(owner.id)}
    routed = [(j.name, j.payload) for j in queued if j.name.startswith("notification.")]
    assert routed == [("notification.user_followed", payload)]
    for _event, name in notification_jobs.ROUTES:
        assert jobs.REGISTRY[name].queue == "notification"


def test_expiry_is_scheduled() -> None:
    [schedule] = [s for s in jobs.SCHEDULES if s.name == "notification.expire"]
    assert schedule.cron == "0 2 * * *"
    assert "notification.expire" in jobs.REGISTRY


async def test_expire_deletes_only_expired(rt, db, owner, other) -> None:
    async with session_scope(rt.sessions) as session:
        rows = [
            await service.notify(
                session,
                recipient_id=owner.id,
                type=NotificationType.MENTION,
                actor_id=other.id,
                target=Target("post", uuid.uuid4()),
                phrase="mentioned you",
            )
            for _ in range(3)
        ]
    old, fresh, unread = [await db.get(Notification, r.id) for r in rows]
    now = utcnow()
    old.read, old.read_at, old.expires_at = True, now - timedelta(days=91), now - timedelta(days=1)
    fresh.read, fresh.read_at, fresh.expires_at = True, now, now + timedelta(days=90)
    await db.commit()
    assert unread.expires_at > now + timedelta(days=300)
    await jobs.dispatch("notification.expire", {})
    left = set(
        (await db.scalars(select(Notification.id).where(Notification.user_id == owner.id))).all()
    )
    assert left == {fresh.id, unread.id}


async def test_expire_in_chunks(rt, db, owner, other) -> None:
    async with session_scope(rt.sessions) as session:
        for _ in range(5):
            row = await service.notify(
                session,
                recipient_id=owner.id,
                type=NotificationType.MENTION,
                actor_id=other.id,
                target=Target("post", uuid.uuid4()),
                phrase="mentioned you",
            )
            row.expires_at = utcnow() - timedelta(seconds=1)
    async with session_scope(rt.sessions) as session:
        assert await service.expire(session, chunk=2) == 5
    assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def test_deleted_target_is_quiet(rt, db, owner, other) -> None:
    """A reaction whose post is gone by the time the job runs notifies nobody."""
    await jobs.dispatch(
        "notification.reaction_added",
        {
            "targetType": "post",
            "targetId": str(uuid.uuid4()),
            "postId": str(uuid.uuid4()),
            "commentId": None,
            "userId": str(other.id),
            "type": "LIKE",
        },
    )
    assert await db.scalar(select(func.count()).select_from(Notification)) == 0
