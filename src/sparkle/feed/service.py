"""Feeds: latest, popular, trending and following pages of posts, and the trending scores the
periodic job computes (posts keeps them, in `trending_posts`)."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import Cursor, utcnow
from sparkle.core.errors import Unauthorized, ValidationFailed
from sparkle.feed import repository
from sparkle.posts import service as posts_service
from sparkle.posts.models import Post
from sparkle.posts.schemas import PostPage

Tab = Literal["latest", "popular", "trending", "following"]
TABS: tuple[str, ...] = get_args(Tab)
# The feed tabs served by the posts listing, and the sort each one uses there.
POSTS_SORT = {"latest": "recent", "popular": "popular", "trending": "trending"}

TRENDING_WINDOW = timedelta(days=7)
# Lemmy's hot rank: a post's weight fades with age, so a fresh post with a few reactions
# passes an older one with many. The gravity is Lemmy's.
GRAVITY = 1.8
# Engagement weights of the trending score: a comment costs more effort than a reaction, and
# twenty views are worth about one reaction.
COMMENT_WEIGHT = 2.0
VIEWS_PER_POINT = 20.0


def engagement(reactions: int, comments: int, shares: int, views: int) -> float:
    """A post's weighted engagement: reactions + 2 × comments + shares + views / 20."""
    return reactions + COMMENT_WEIGHT * comments + shares + views / VIEWS_PER_POINT


def hot_rank(score: float, hours: float) -> float:
    """Lemmy's `log10(max(1, 3 + score)) / (hours + 2) ** 1.8`; always > 0 (log10(3) / …)."""
    return math.log10(max(1.0, 3.0 + score)) / (max(0.0, hours) + 2.0) ** GRAVITY


async def recompute_trending(session: AsyncSession, now: datetime | None = None) -> int:
    """Score every published post of the last 7 days and replace the trending scores with the
    result (one SELECT, one DELETE, one bulk INSERT, in the caller's transaction, so readers
    see the old scores or the new, never a mix); the number of posts scored."""
    now = now or utcnow()
    scored: list[tuple[uuid.UUID, float]] = []
    candidates = await repository.trending_candidates(session, now - TRENDING_WINDOW, now)
    for post_id, published_at, reactions, comments, shares, views in candidates:
        if published_at is None:  # the query already excludes it; this narrows the type
            continue
        hours = (now - published_at).total_seconds() / 3600
        score = hot_rank(engagement(reactions, comments, shares, views), hours)
        scored.append((post_id, score))
    await posts_service.replace_trending(session, scored, now)
    return len(scored)


async def page(
    session: AsyncSession,
    viewer: User | None,
    tab: str = "latest",
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> PostPage:
    """One cursor page of feed `tab` (latest|popular|trending|following), items as /api/posts."""
    if tab not in TABS:
        raise ValidationFailed(fields={"tab": f"Must be one of: {', '.join(TABS)}"})
    if not 1 <= limit <= 100:
        raise ValidationFailed(fields={"limit": "Must be between 1 and 100"})
    if tab == "following":
        if viewer is None:
            raise Unauthorized("Sign in to see posts of the people you follow")
        return await following_page(session, viewer, cursor=cursor, limit=limit)
    return await posts_service.list_posts(
        session, viewer, sort=POSTS_SORT[tab], cursor=cursor, limit=limit
    )


def _decode(token: str) -> Cursor:
    position = Cursor.decode(token)
    if not isinstance(position.value, datetime) or position.value.tzinfo is None:
        raise ValidationFailed("Invalid cursor", fields={"cursor": "Invalid cursor"})
    return position


async def following_page(
    session: AsyncSession, viewer: User, *, cursor: str | None = None, limit: int = 20
) -> PostPage:
    """Published posts of the authors `viewer` follows, newest first, by keyset on
    (published_at, id): the same few queries at any depth."""
    position = _decode(cursor) if cursor else None
    rows = await repository.following_rows(session, viewer.id, before=position, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last: Post = rows[-1].Post
        next_cursor = Cursor(last.published_at, last.id).encode()
    items = await posts_service.hydrate(session, viewer, rows)
    return PostPage(items=items, next_cursor=next_cursor)
