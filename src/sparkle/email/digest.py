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

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.auth.models import Session as AuthSession
from sparkle.core.db import utcnow
from sparkle.core.runtime import Runtime
from sparkle.email import service
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationPreferences
from sparkle.posts.models import Post, PostStatus
from sparkle.social import service as social_service
from sparkle.social.models import Follow

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
    used = await session.scalar(
        select(func.max(AuthSession.last_used_at)).where(AuthSession.user_id == user.id)
    )
    return max(used, user.created_at) if used else user.created_at


async def _posts(session: AsyncSession, base: str, stmt: Any) -> list[dict[str, Any]]:
    rows = await session.execute(
        stmt.join(User, User.id == Post.author_id)
        .add_columns(User.username)
        .order_by(Post.reaction_count.desc(), Post.comment_count.desc(), Post.id.desc())
        .limit(TOP_POSTS)
    )
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


def _published_since(since: datetime) -> Any:
    return select(Post).where(
        Post.status == PostStatus.PUBLISHED.value,
        Post.deleted_at.is_(None),
        Post.published_at >= since,
    )


async def gather(
    session: AsyncSession, base: str, user_id: uuid.UUID, since: datetime
) -> dict[str, Any]:
    """The digest's sections for the period starting at `since`."""
    following = await social_service.following_ids(session, user_id)
    posts_following = (
        await _posts(session, base, _published_since(since).where(Post.author_id.in_(following)))
        if following
        else []
    )
    shown = [uuid.UUID(p["id"]) for p in posts_following]
    top = _published_since(since).where(Post.author_id != user_id)
    if shown:
        top = top.where(Post.id.not_in(shown))
    posts_top = await _posts(session, base, top)
    followers = await session.execute(
        select(Profile.display_name, User.username)
        .select_from(Follow)
        .join(User, User.id == Follow.follower_id)
        .join(Profile, Profile.user_id == User.id)
        .where(
            Follow.following_id == user_id, Follow.created_at >= since, User.deleted_at.is_(None)
        )
        .order_by(Follow.created_at.desc())
    )
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
    chosen = NotificationPreferences.digest == frequency
    if frequency == "weekly":  # the default for members who never chose
        chosen = or_(chosen, NotificationPreferences.user_id.is_(None))
    stmt = (
        select(User.id)
        .outerjoin(NotificationPreferences, NotificationPreferences.user_id == User.id)
        .where(User.deleted_at.is_(None), User.email_verified.is_not(None), chosen)
        .order_by(User.id)
        .limit(limit or BATCH_SIZE)
    )
    if after is not None:
        stmt = stmt.where(User.id > after)
    return list((await session.scalars(stmt)).all())
