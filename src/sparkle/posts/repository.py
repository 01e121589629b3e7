"""Queries on posts: list pages (keyset or numbered) and the per-page extras (tags, reaction
counts, the viewer's reactions), each fetched in one query for the whole page."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from sparkle.accounts.models import Profile, User
from sparkle.core import cursors
from sparkle.posts.models import Category, Post, PostStatus, PostTag, Tag, TrendingPost
from sparkle.reactions.models import Reaction

# "Popular": weighted engagement, all time. Integer arithmetic, so both backends agree exactly
# and a cursor can carry the value.
POPULARITY = (
    Post.reaction_count * 2 + Post.comment_count * 3 + Post.share_count * 2 + Post.view_count // 10
)
# "Trending": the scores of the periodic trending job, which covers the last 7 days. Only
# scored posts are listed, so the page is an index scan down `trending_posts.score`.
TRENDING = TrendingPost.score


@dataclass
class PostFilter:
    status: str = PostStatus.PUBLISHED.value
    author_id: uuid.UUID | None = None
    author: str | None = None
    tag: str | None = None
    category_ids: set[uuid.UUID] | None = None
    # Non-moderators listing unpublished posts see only their own.
    restrict_to_author: uuid.UUID | None = None


@dataclass
class SortKey:
    expr: ColumnElement[Any]
    kind: str  # "datetime" | "int" | "float"


def card_statement(*, full: bool = False) -> Select[*tuple[Any, ...]]:
    """Posts with their author's name and avatar and their category, in one row each."""
    stmt = (
        select(Post, User.username, Profile.display_name, Profile.avatar_url, Category)
        .join(User, User.id == Post.author_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(Category, Category.id == Post.category_id)
    )
    if not full:
        # A list page never needs the document, its HTML or its text: up to 200 KB a post.
        stmt = stmt.options(
            defer(Post.content, raiseload=True),
            defer(Post.content_html, raiseload=True),
            defer(Post.content_text, raiseload=True),
            defer(Post.ai_suggestions, raiseload=True),
        )
    return stmt


def _conditions(f: PostFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        Post.deleted_at.is_(None),
        Post.status == f.status,
        User.deleted_at.is_(None),
    ]
    if f.author_id is not None:
        conds.append(Post.author_id == f.author_id)
    if f.author:
        conds.append(func.lower(User.username) == f.author.lower())
    if f.restrict_to_author is not None:
        conds.append(Post.author_id == f.restrict_to_author)
    if f.tag:
        tagged = (
            select(PostTag.post_id).join(Tag, Tag.id == PostTag.tag_id).where(Tag.slug == f.tag)
        )
        conds.append(Post.id.in_(tagged))
    if f.category_ids is not None:
        conds.append(Post.category_id.in_(f.category_ids))
    return conds


def sort_keys(sort: str, status: str) -> list[SortKey]:
    """The descending sort keys of a listing; the post id always breaks ties."""
    when = SortKey(
        (Post.published_at if status == PostStatus.PUBLISHED else Post.created_at).expression,
        "datetime",
    )
    if sort == "popular":
        return [SortKey(POPULARITY, "int"), SortKey(Post.id.expression, "uuid")]
    if sort == "trending":
        return [SortKey(TRENDING.expression, "float"), when, SortKey(Post.id.expression, "uuid")]
    return [when, SortKey(Post.id.expression, "uuid")]


def _statement(f: PostFilter, sort: str, keys: list[SortKey]) -> Select[*tuple[Any, ...]]:
    stmt = card_statement().where(*_conditions(f))
    if sort == "trending":
        stmt = stmt.join(TrendingPost, TrendingPost.post_id == Post.id)
    labelled = [k.expr.label(f"sort_{i}") for i, k in enumerate(keys)]
    return stmt.add_columns(*labelled).order_by(*(k.expr.desc() for k in keys))


def _encode(sort: str, values: list[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    return cursors.seal([sort, *plain])


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": cursors.as_datetime,
    "uuid": cursors.as_uuid,
    "int": cursors.as_int,
    "float": cursors.as_float,
}


def _decode(token: str, sort: str, keys: list[SortKey]) -> list[Any]:
    """The sort values in a signed cursor of this listing, each within its column's range."""
    raw = cursors.unseal(token, len(keys) + 1)
    if raw[0] != sort:
        raise cursors.InvalidCursor()
    return [_DECODERS[key.kind](value) for key, value in zip(keys, raw[1:], strict=True)]


def _after(keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the descending order of `keys`. A row-value comparison
    (every key descends, none is NULL) lets PostgreSQL start an index scan at the cursor."""
    return tuple_(*(k.expr for k in keys)) < tuple_(
        *(literal(v, type_=k.expr.type) for k, v in zip(keys, values, strict=True))
    )


async def page_by_cursor(
    session: AsyncSession, f: PostFilter, sort: str, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """One keyset page: as cheap a thousand pages deep as on the first."""
    keys = sort_keys(sort, f.status)
    stmt = _statement(f, sort, keys)
    if cursor:
        stmt = stmt.where(_after(keys, _decode(cursor, sort, keys)))
    rows = list((await session.execute(stmt.limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(sort, [getattr(last, f"sort_{i}") for i in range(len(keys))])
    return rows, next_cursor


async def page_by_number(
    session: AsyncSession, f: PostFilter, sort: str, page: int, limit: int
) -> tuple[list[Row[Any]], int]:
    """The seed's numbered pages, with the total (an OFFSET: fine for the first pages)."""
    keys = sort_keys(sort, f.status)
    stmt = _statement(f, sort, keys).offset((page - 1) * limit).limit(limit)
    rows = list((await session.execute(stmt)).all())
    count = select(func.count(Post.id)).join(User, User.id == Post.author_id).where(*_conditions(f))
    if sort == "trending":
        count = count.join(TrendingPost, TrendingPost.post_id == Post.id)
    total = int(await session.scalar(count) or 0)
    return rows, total


async def one(session: AsyncSession, post_id: uuid.UUID) -> Row[Any] | None:
    """One post, whole, with its author and category."""
    return (
        await session.execute(card_statement(full=True).where(Post.id == post_id))
    ).one_or_none()


async def id_by_slug(session: AsyncSession, slug: str) -> uuid.UUID | None:
    return await session.scalar(select(Post.id).where(Post.slug == slug))


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return (await session.scalar(select(Post.id).where(Post.slug == slug))) is not None


@dataclass
class Extras:
    tags: dict[uuid.UUID, list[tuple[str, str]]]
    counts: dict[uuid.UUID, dict[str, int]]
    mine: dict[uuid.UUID, list[str]]


async def extras(
    session: AsyncSession, post_ids: list[uuid.UUID], viewer_id: uuid.UUID | None
) -> Extras:
    """Tags, reaction counts per type and the viewer's reactions for a page of posts: one query
    each, whatever the page size."""
    out = Extras(defaultdict(list), defaultdict(dict), defaultdict(list))
    if not post_ids:
        return out
    tag_rows = await session.execute(
        select(PostTag.post_id, Tag.name, Tag.slug)
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(PostTag.post_id.in_(post_ids))
        .order_by(PostTag.post_id, PostTag.position)
    )
    for post_id, name, slug in tag_rows.all():
        out.tags[post_id].append((name, slug))
    count_rows = await session.execute(
        select(Reaction.post_id, Reaction.reaction_type, func.count())
        .where(Reaction.post_id.in_(post_ids))
        .group_by(Reaction.post_id, Reaction.reaction_type)
    )
    for reacted_post, kind, n in count_rows.all():
        if reacted_post is not None:  # always: the query asks for these posts
            out.counts[reacted_post][kind] = int(n)
    if viewer_id is not None:
        mine_rows = await session.execute(
            select(Reaction.post_id, Reaction.reaction_type)
            .where(Reaction.post_id.in_(post_ids), Reaction.user_id == viewer_id)
            .order_by(Reaction.created_at)
        )
        for reacted_post, kind in mine_rows.all():
            if reacted_post is not None:  # always: the query asks for these posts
                out.mine[reacted_post].append(kind)
    return out


async def replace_trending(
    session: AsyncSession, scores: Sequence[tuple[uuid.UUID, float]], computed_at: datetime
) -> None:
    """Delete every trending score and insert `scores` (post id, score)."""
    await session.execute(delete(TrendingPost).execution_options(synchronize_session=False))
    if not scores:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Two array parameters instead of a parameter per value: about ten times faster than
        # batched multi-row VALUES for a window of 100,000 posts.
        ids, values = zip(*scores, strict=True)
        stmt = text(
            "INSERT INTO trending_posts (post_id, score, computed_at) "
            "SELECT post_id, score, :now FROM unnest(:ids, :scores) AS t(post_id, score)"
        ).bindparams(
            bindparam("ids", type_=postgresql.ARRAY(Uuid())),
            bindparam("scores", type_=postgresql.ARRAY(Float())),
            bindparam("now", type_=TrendingPost.computed_at.type),
        )
        await session.execute(stmt, {"ids": list(ids), "scores": list(values), "now": computed_at})
        return
    rows = [{"post_id": pid, "score": score, "computed_at": computed_at} for pid, score in scores]
    await session.execute(insert(TrendingPost), rows)
