"""Queries of the feeds: the posts the trending job scores and the following page's rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import Cursor
from sparkle.posts import service as posts_service
from sparkle.posts.models import Post, PostStatus
from sparkle.social import service as social_service


async def trending_candidates(
    session: AsyncSession, since: datetime, until: datetime
) -> list[Row[uuid.UUID, datetime | None, int, int, int, int]]:
    """(id, published_at, reactions, comments, shares, views) of every live post published
    between `since` and `until`."""
    rows = await session.execute(
        select(
            Post.id,
            Post.published_at,
            Post.reaction_count,
            Post.comment_count,
            Post.share_count,
            Post.view_count,
        ).where(
            Post.status == PostStatus.PUBLISHED.value,
            Post.deleted_at.is_(None),
            Post.published_at >= since,
            Post.published_at <= until,
        )
    )
    return list(rows.all())


async def following_rows(
    session: AsyncSession, viewer_id: uuid.UUID, *, before: Cursor | None, limit: int
) -> list[Any]:
    """Up to `limit` card rows of published posts by the authors `viewer_id` follows, newest
    first, after keyset position `before` on (published_at, id)."""
    stmt = posts_service.card_statement().where(
        Post.author_id.in_(social_service.following_statement(viewer_id)),
        Post.status == PostStatus.PUBLISHED.value,
        Post.deleted_at.is_(None),
        User.deleted_at.is_(None),
    )
    if before is not None:
        stmt = stmt.where(
            tuple_(Post.published_at, Post.id)
            < tuple_(
                literal(before.value, type_=Post.published_at.type),
                literal(before.id, type_=Post.id.type),
            )
        )
    stmt = stmt.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())
