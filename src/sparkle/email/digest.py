"""The digest mail: the best posts of the period from the authors a member follows and from
the whole community, and their new followers.

Sent daily or weekly, as the member chose in their notification preferences; never to a member
with nothing new, nor to one who has not been seen for `AWAY_DAYS` (Discourse stops digests
to absent users the same way). Achievements join the digest when gamification exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import utcnow
from sparkle.core.runtime import Runtime
from sparkle.email import repository, service
from sparkle.notifications import preferences
from sparkle.posts.models import Post
from sparkle.social import service as social_service

AWAY_DAYS = 180
TOP_POSTS = 5
BATCH_SIZE = 50
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True)
class Digest:
    status: str  # "sent", "duplicate", "delayed", "nothing_new", "away", "off", "skipped"
    delay: float = 0.0


async def last_seen(session: AsyncSession, user: User) -> datetime:
    """When the member was last active: their latest session use, else their sign-up."""
    used = await repository.last_session_use(session, user.id)
    return max(used, user.created_at) if used else user.created_at


def _cards(base: str, rows: list[tuple[Post, str]]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(post.id),
            "title": post.title,
            "url": f"{base}/p/{post.slug}",
            "author": username,
            "likes": post.reaction_count,
            "comments": post.comment_count,
        }
        for post, username in rows
    ]


async def gather(
    session: AsyncSession, base: str, user_id: uuid.UUID, since: datetime
) -> dict[str, Any]:
    """The digest's sections for the period starting at `since`."""
    following = await social_service.following_ids(session, user_id)
    posts_following = (
        _cards(base, await repository.top_posts(session, since, limit=TOP_POSTS, authors=following))
        if following
        else []
    )
    shown = [uuid.UUID(p["id"]) for p in posts_following]
    posts_top = _cards(
        base,
        await repository.top_posts(
            session, since, limit=TOP_POSTS, not_by=user_id, excluding=shown
        ),
    )
    followers = await repository.new_follower_names(session, user_id, since)
    names = [name or username for name, username in followers]
    return {
        "posts_following": posts_following,
        "posts_top": posts_top,
        "new_followers": len(names),
        "follower_names": names[:3],
        "achievements": None,
    }


async def send_digest(rt: Runtime, user_id: uuid.UUID, frequency: str, period: str) -> Digest:
    """Send one member's digest for `period` (an ISO date naming the run), once."""
    now = utcnow()
    base = rt.settings.base_url.rstrip("/")
    async with rt.sessions() as session:
        user = await session.get(User, user_id)
        who = await service.recipient(session, user_id)
        if user is None or who is None or not who.verified:
            return Digest("skipped")
        prefs = await preferences.get_preferences(session, user_id)
        if prefs.digest != frequency:
            return Digest("off")
        if await last_seen(session, user) < now - timedelta(days=AWAY_DAYS):
            return Digest("away")
        sections = await gather(session, base, user_id, now - PERIODS[frequency])
    if not (sections["posts_following"] or sections["posts_top"] or sections["new_followers"]):
        return Digest("nothing_new")
    context = {
        "user": {"name": who.name, "username": who.username},
        "accent": who.accent,
        "frequency": frequency,
        "period_label": "today" if frequency == "daily" else "this week",
        "feed_url": f"{base}/feed",
        **sections,
    }
    out = service.Outgoing(
        who.email,
        "weekly_digest",
        context,
        f"digest:{user_id}:{frequency}:{period}",
        user_id=user_id,
        scope="digest",
    )
    outcome = await service.deliver(rt, out)
    return Digest(outcome.status, delay=outcome.delay)


async def recipients_page(
    session: AsyncSession, frequency: str, after: uuid.UUID | None, limit: int | None = None
) -> list[uuid.UUID]:
    """The next members (by id, after `after`) whose digest comes at `frequency`."""
    return await repository.digest_recipients(session, frequency, after, limit or BATCH_SIZE)
