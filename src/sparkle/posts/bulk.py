"""Bulk import of posts, categories and tags (`sparkle seed-demo`): multi-row INSERTs with the
counters computed by the caller, and a recount that makes them equal to their aggregates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.comments.models import Comment
from sparkle.core.db.base import Base, new_id
from sparkle.posts.models import Category, Post, PostStatus, PostTag, Tag
from sparkle.posts.tags import TAG_CHARS
from sparkle.reactions.models import Reaction

# Rows per INSERT: large enough to amortise the round trip, small enough for SQLite's limit
# of 32,766 bound parameters (posts have 22 columns).
ROWS_PER_INSERT = 1000


async def insert_rows(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    conn = await session.connection()
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await conn.execute(insert(model), rows[start : start + ROWS_PER_INSERT])


async def category_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.scalars(select(Category.id).order_by(Category.name))).all())


async def import_categories(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, Category, rows)


async def import_tags(session: AsyncSession, slugs: Sequence[str]) -> tuple[list[uuid.UUID], int]:
    """Make sure a tag exists for each slug; return their ids in order and how many are new."""
    conn = await session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    before = await conn.scalar(select(func.count()).select_from(Tag))
    rows = [{"id": new_id(), "name": s, "slug": s[:TAG_CHARS], "usage_count": 0} for s in slugs]
    await conn.execute(dialect.insert(Tag).values(rows).on_conflict_do_nothing())
    by_slug = dict((await conn.execute(select(Tag.slug, Tag.id).where(Tag.slug.in_(slugs)))).all())
    after = await conn.scalar(select(func.count()).select_from(Tag))
    return [by_slug[s] for s in slugs], int(after or 0) - int(before or 0)


async def import_posts(
    session: AsyncSession, posts: list[dict[str, Any]], post_tags: list[dict[str, Any]]
) -> None:
    """Insert posts with their final counters, and their tags."""
    await insert_rows(session, Post, posts)
    await insert_rows(session, PostTag, post_tags)


async def taken_slugs(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Post.slug))).all())


async def slug_of(session: AsyncSession, post_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Post.slug).where(Post.id == post_id))


async def published(session: AsyncSession) -> list[tuple[uuid.UUID, Any]]:
    """(id, published_at) of every published post, in id order."""
    rows = await session.execute(
        select(Post.id, Post.published_at)
        .where(Post.status == PostStatus.PUBLISHED.value, Post.deleted_at.is_(None))
        .order_by(Post.id)
    )
    return [(pid, when) for pid, when in rows.all()]


def _post_comments() -> Any:
    return select(func.count()).where(Comment.post_id == Post.id, Comment.deleted_at.is_(None))


def _post_reactions() -> Any:
    return select(func.count()).where(Reaction.post_id == Post.id)


def _tag_usage() -> Any:
    return (
        select(func.count())
        .select_from(PostTag)
        .join(Post, Post.id == PostTag.post_id)
        .where(
            PostTag.tag_id == Tag.id,
            Post.status == PostStatus.PUBLISHED.value,
            Post.deleted_at.is_(None),
        )
    )


COUNTERS: list[tuple[Any, Any, Any]] = [
    (Post, Post.comment_count, _post_comments),
    (Post, Post.reaction_count, _post_reactions),
    (Tag, Tag.usage_count, _tag_usage),
]


async def recount(session: AsyncSession) -> None:
    """Make every post and tag counter equal to its aggregate. Only rows that differ are
    written: on PostgreSQL an UPDATE rewrites the row and recomputes its search vector."""
    conn = await session.connection()
    for table, column, aggregate in COUNTERS:
        value = func.coalesce(aggregate().scalar_subquery(), 0)
        await conn.execute(update(table).where(column != value).values({column: value}))
