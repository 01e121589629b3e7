"""Many simultaneous likes on one post, each in its own transaction on its own connection,
make exactly one notification listing every liker.

Commits for real (outside the per-test rollback) and cleans up after itself."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import delete, select

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core import runtime
from sparkle.core.db import session_scope
from sparkle.core.db.engine import sessionmaker
from sparkle.core.events import discard
from sparkle.core.mail import Mailer
from sparkle.core.ratelimit import Limiter
from sparkle.notifications import service
from sparkle.notifications.models import Notification, NotificationType
from sparkle.notifications.service import Target

LIKERS = 25


async def test_concurrent_likes_make_one_notification(engine, settings) -> None:  # type: ignore[no-untyped-def]
    sessions = sessionmaker(engine)
    runtime.install(
        runtime.Runtime(
            settings=settings,
            engine=engine,
            sessions=sessions,
            limiter=Limiter.from_url(None, enabled=False),
            mailer=Mailer.from_settings(settings),
        )
    )
    tag = uuid.uuid4().hex[:8]
    async with sessions() as session:
        users = [
            await accounts_service.create(
                session, email=f"n{i}{tag}@example.com", username=f"n{i}{tag}", hashed_password=None
            )
            for i in range(LIKERS + 1)
        ]
        await session.commit()
        discard(session)
    author, likers = users[0], users[1:]
    target = Target("post", uuid.uuid4())

    async def like(liker: User) -> None:
        async with session_scope(sessions) as session:
            await service.notify(
                session,
                recipient_id=author.id,
                type=NotificationType.POST_LIKED,
                actor_id=liker.id,
                target=target,
                phrase="liked your post",
            )

    try:
        await asyncio.gather(*(like(u) for u in likers))
        # Delivered twice (at least once): nothing changes.
        await asyncio.gather(*(like(u) for u in likers[:5]))
        async with sessions() as session:
            rows = (
                await session.scalars(select(Notification).where(Notification.user_id == author.id))
            ).all()
        assert len(rows) == 1
        [row] = rows
        assert row.actor_count == LIKERS
        assert sorted(row.actor_ids) == sorted(str(u.id) for u in likers)
        assert row.title.endswith(f"and {LIKERS - 1} others liked your post")
    finally:
        async with sessions() as session:
            await session.execute(delete(User).where(User.id.in_([u.id for u in users])))
            await session.commit()
