"""The PostgreSQL backend: the weighted `posts.search_vector` with `websearch_to_tsquery` and
`ts_rank_cd`, `ts_headline` snippets, and pg_trgm similarity for names and typos."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Double,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.posts.models import Post, Tag
from sparkle.search import text
from sparkle.search.repository import (
    EXACT_BONUS,
    NAME_PREFIX_BONUS,
    PREFIX_BONUS,
    Hit,
    Position,
    PostRow,
    after,
    findable_posts,
    post_rows_statement,
)
from sparkle.search.schemas import TagHit, UserHit

# Not a model column (migration 0003 owns it): a generated tsvector, title A, excerpt B, body C.
SEARCH_VECTOR: ColumnClause[Any] = literal_column("posts.search_vector")
ENGLISH: ColumnClause[Any] = literal_column("'english'::regconfig")
HEADLINE_OPTIONS = (
    f"StartSel={text.MARK_START}, StopSel={text.MARK_END}, MaxWords=30, MinWords=12, ShortWord=3,"
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
# Full-text matches ranked per search: bounds the work for words most posts contain.
RANKED_CANDIDATES = 2000


def _tsquery(q: str) -> Any:
    return func.websearch_to_tsquery(ENGLISH, q)


async def post_matches(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[Hit]:
    """Full-text matches, best `ts_rank_cd` first (title matches weigh most).

    Only the newest RANKED_CANDIDATES matches are ranked, so a common word costs a bounded
    amount of `ts_rank_cd` work; older matches of such a word are not reachable by paging. The
    cap is a stable order (published_at, id), so every page of one search ranks the same set."""
    # Inline, not a CTE: the planner then sees the tsquery and its word frequencies, and walks
    # the published_at index for common words instead of reading every match.
    query = _tsquery(q)
    candidates = (
        select(Post.id, SEARCH_VECTOR.label("vector"))
        .join(User, User.id == Post.author_id)
        .where(findable_posts(), SEARCH_VECTOR.op("@@")(query))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(RANKED_CANDIDATES)
        .subquery()
    )
    ranked = select(
        candidates.c.id,
        cast(func.ts_rank_cd(candidates.c.vector, query), Double).label("score"),
    ).subquery()
    stmt = (
        select(ranked.c.id, ranked.c.score)
        .where(after(ranked.c.score, ranked.c.id, pos))
        .order_by(ranked.c.score.desc(), ranked.c.id.desc())
        .limit(limit)
    )
    return [Hit(i, s) for i, s in (await session.execute(stmt)).all()]


async def similar_posts(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[Hit]:
    """Posts whose title holds words similar to the query (typos), that full text missed."""
    query = select(_tsquery(q).label("query")).cte("query")
    ranked = (
        select(Post.id, cast(func.word_similarity(q, Post.title), Double).label("score"))
        .join(User, User.id == Post.author_id)
        .join(query, true())
        .where(
            findable_posts(),
            literal(q).op("<%")(Post.title),
            not_(SEARCH_VECTOR.op("@@")(query.c.query)),
        )
        .subquery()
    )
    stmt = (
        select(ranked.c.id, ranked.c.score)
        .where(after(ranked.c.score, ranked.c.id, pos))
        .order_by(ranked.c.score.desc(), ranked.c.id.desc())
        .limit(limit)
    )
    return [Hit(i, s) for i, s in (await session.execute(stmt)).all()]


async def post_rows(
    session: AsyncSession, q: str, ids: Sequence[uuid.UUID], matched: set[uuid.UUID]
) -> dict[uuid.UUID, PostRow]:
    """The page's posts with `ts_headline` snippets of their body (or excerpt)."""
    if not ids:
        return {}
    body = case((Post.content_text == "", func.coalesce(Post.excerpt, "")), else_=Post.content_text)
    headline = func.ts_headline(ENGLISH, body, _tsquery(q), HEADLINE_OPTIONS)
    rows = await session.execute(post_rows_statement(ids, headline))
    return {
        r[0]: PostRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[5], r[7], r[8])
        for r in rows.all()
    }


async def users(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[tuple[Hit, UserHit]]:
    """Users by trigram similarity of username or display name, exact and prefix first."""
    ql, prefix = q.lower(), text.like_prefix(q.lower())
    uname, dname = func.lower(User.username), func.lower(Profile.display_name)
    # One candidate query per table, so each can use its trigram index.
    candidates = union(
        select(User.id).where(or_(uname.op("%")(ql), uname.like(prefix, escape="\\"))),
        select(Profile.user_id).where(
            or_(literal(ql).op("<%")(dname), dname.like(prefix, escape="\\"))
        ),
    )
    sim = func.greatest(func.similarity(uname, ql), func.word_similarity(ql, dname))
    bonus = case(
        (uname == ql, EXACT_BONUS),
        (uname.like(prefix, escape="\\"), PREFIX_BONUS),
        (dname.like(prefix, escape="\\"), NAME_PREFIX_BONUS),
        else_=0.0,
    )
    ranked = (
        select(
            User.id,
            User.username,
            Profile.display_name,
            Profile.avatar_url,
            (cast(sim, Double) + cast(bonus, Double)).label("score"),
        )
        .join(Profile, Profile.user_id == User.id)
        .where(User.deleted_at.is_(None), User.id.in_(candidates))
        .subquery()
    )
    stmt = (
        select(ranked)
        .where(after(ranked.c.score, ranked.c.id, pos))
        .order_by(ranked.c.score.desc(), ranked.c.id.desc())
        .limit(limit)
    )
    return [
        (
            Hit(r.id, r.score),
            UserHit(
                id=r.id, username=r.username, display_name=r.display_name, avatar_url=r.avatar_url
            ),
        )
        for r in (await session.execute(stmt)).all()
    ]


async def tags(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[tuple[Hit, TagHit]]:
    """Tags by trigram similarity of their name, exact and prefix first."""
    ql, prefix = q.lower(), text.like_prefix(q.lower())
    bonus = case(
        (Tag.name == ql, EXACT_BONUS), (Tag.name.like(prefix, escape="\\"), PREFIX_BONUS), else_=0.0
    )
    ranked = (
        select(
            Tag.id,
            Tag.name,
            Tag.slug,
            Tag.usage_count,
            (cast(func.similarity(Tag.name, ql), Double) + cast(bonus, Double)).label("score"),
        )
        .where(or_(Tag.name.op("%")(ql), Tag.name.like(prefix, escape="\\")))
        .subquery()
    )
    stmt = (
        select(ranked)
        .where(after(ranked.c.score, ranked.c.id, pos))
        .order_by(ranked.c.score.desc(), ranked.c.id.desc())
        .limit(limit)
    )
    return [
        (Hit(r.id, r.score), TagHit(name=r.name, slug=r.slug, usage_count=r.usage_count))
        for r in (await session.execute(stmt)).all()
    ]
