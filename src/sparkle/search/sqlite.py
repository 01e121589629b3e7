"""The SQLite backend: FTS5 (porter stemming, bm25 with title 10 / excerpt 5 / body 1,
`snippet()`) and FTS5 trigram tables that find candidates for typo-tolerant matching, which
is scored in Python with pg_trgm's measures over at most CANDIDATES rows per field."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnClause, Integer, column, func, literal_column, not_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.posts.models import Post, Tag
from sparkle.search import text
from sparkle.search.repository import (
    CANDIDATES,
    WORD_SIMILARITY_THRESHOLD,
    Hit,
    Position,
    PostRow,
    after,
    findable_posts,
    page_in_python,
    post_rows_statement,
    tag_score,
    user_score,
    users_by_id,
)
from sparkle.search.schemas import TagHit, UserHit

# FTS5 tables of migration 0003, keyed by their source table's rowid.
SEARCH_POSTS = table("search_posts", column("rowid", Integer))
SEARCH_POST_TITLES = table("search_post_titles", column("rowid", Integer))
SEARCH_USERNAMES = table("search_usernames", column("rowid", Integer))
SEARCH_DISPLAY_NAMES = table("search_display_names", column("rowid", Integer))
SEARCH_TAG_NAMES = table("search_tag_names", column("rowid", Integer))
POSTS_ROWID: ColumnClause[Any] = literal_column("posts.rowid")
WEIGHTS = (10.0, 5.0, 1.0)  # title, excerpt, body
SNIPPET_TOKENS = 24
# The highest code point: `x >= q AND x < q || TOP` is an index-friendly prefix test.
TOP = "\U0010ffff"


def _match(fts: Any, expr: str) -> Any:
    return literal_column(fts.name).op("MATCH")(expr)


def _matching_rowids(fts: Any, expr: str) -> Any:
    return select(fts.c.rowid).where(_match(fts, expr))


def _trigram_candidates(fts: Any, q: str) -> Any:
    """The rowids of the best CANDIDATES rows sharing trigrams with the query's words."""
    expr = text.trigram_match(q)
    if expr is None:
        return None
    return (
        select(fts.c.rowid)
        .where(_match(fts, expr))
        .order_by(literal_column("rank"))
        .limit(CANDIDATES)
    )


async def post_matches(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[Hit]:
    """Full-text matches, best bm25 first."""
    expr = text.fts5_match(q)
    if expr is None:
        return []
    ranked = (
        select(Post.id, (-func.bm25(literal_column("search_posts"), *WEIGHTS)).label("score"))
        .select_from(SEARCH_POSTS)
        .join(Post, SEARCH_POSTS.c.rowid == POSTS_ROWID)
        .join(User, User.id == Post.author_id)
        .where(_match(SEARCH_POSTS, expr), findable_posts())
        .subquery()
    )
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
    candidates = _trigram_candidates(SEARCH_POST_TITLES, q)
    if candidates is None:
        return []
    stmt = (
        select(Post.id, Post.title)
        .join(User, User.id == Post.author_id)
        .where(POSTS_ROWID.in_(candidates), findable_posts())
    )
    expr = text.fts5_match(q)
    if expr is not None:
        stmt = stmt.where(not_(POSTS_ROWID.in_(_matching_rowids(SEARCH_POSTS, expr))))
    hits = []
    for post_id, title in (await session.execute(stmt)).all():
        score = text.word_similarity(q, title)
        if score >= WORD_SIMILARITY_THRESHOLD:
            hits.append(Hit(post_id, score))
    return page_in_python(hits, pos, limit)


async def post_rows(
    session: AsyncSession, q: str, ids: Sequence[uuid.UUID], matched: set[uuid.UUID]
) -> dict[uuid.UUID, PostRow]:
    """The page's posts; `snippet()` of body (or excerpt) for full-text matches, the opening
    words of the body for the others."""
    if not ids:
        return {}
    rows = await session.execute(
        post_rows_statement(ids, POSTS_ROWID, func.substr(Post.content_text, 1, 2000))
    )
    out: dict[uuid.UUID, PostRow] = {}
    by_rowid: dict[int, uuid.UUID] = {}
    for r in rows.all():
        out[r[0]] = PostRow(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[5], r[7], text.lead_text(r[9] or r[3])
        )
        by_rowid[r[8]] = r[0]
    expr = text.fts5_match(q)
    wanted = [rowid for rowid, pid in by_rowid.items() if pid in matched]
    if expr is None or not wanted:
        return out
    snippets = select(
        SEARCH_POSTS.c.rowid,
        func.snippet(
            literal_column("search_posts"), 2, text.MARK_START, text.MARK_END, "…", SNIPPET_TOKENS
        ),
        func.snippet(
            literal_column("search_posts"), 1, text.MARK_START, text.MARK_END, "…", SNIPPET_TOKENS
        ),
    ).where(_match(SEARCH_POSTS, expr), SEARCH_POSTS.c.rowid.in_(wanted))
    for rowid, body, excerpt in (await session.execute(snippets)).all():
        out[by_rowid[rowid]].snippet = body or excerpt or ""
    return out


async def users(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[tuple[Hit, UserHit]]:
    """Users by username prefix and by trigram similarity of username or display name."""
    ql = q.lower()
    uname = func.lower(User.username)
    ids = set(
        (
            await session.scalars(
                select(User.id)
                .where(uname >= ql, uname < ql + TOP, User.deleted_at.is_(None))
                .order_by(uname)
                .limit(CANDIDATES)
            )
        ).all()
    )
    by_username = _trigram_candidates(SEARCH_USERNAMES, q)
    if by_username is not None:
        by_display_name = _trigram_candidates(SEARCH_DISPLAY_NAMES, q)
        ids.update(
            (
                await session.scalars(
                    select(User.id).where(literal_column("users.rowid").in_(by_username))
                )
            ).all()
        )
        ids.update(
            (
                await session.scalars(
                    select(Profile.user_id).where(
                        literal_column("profiles.rowid").in_(by_display_name)
                    )
                )
            ).all()
        )
    scored: dict[uuid.UUID, tuple[Hit, UserHit]] = {}
    for user, profile in (await users_by_id(session, list(ids))).values():
        display_name = profile.display_name if profile else user.username
        score = user_score(
            ql,
            user.username,
            display_name,
            text.similarity(ql, user.username),
            text.word_similarity(ql, display_name),
        )
        if score is not None:
            scored[user.id] = (
                Hit(user.id, score),
                UserHit(
                    id=user.id,
                    username=user.username,
                    display_name=display_name,
                    avatar_url=profile.avatar_url if profile else None,
                ),
            )
    return [scored[h.id] for h in page_in_python((s[0] for s in scored.values()), pos, limit)]


async def tags(
    session: AsyncSession, q: str, pos: Position | None, limit: int
) -> list[tuple[Hit, TagHit]]:
    """Tags by name prefix and by trigram similarity of their name."""
    ql = q.lower()
    stmt = (
        select(Tag).where(Tag.name >= ql, Tag.name < ql + TOP).order_by(Tag.name).limit(CANDIDATES)
    )
    found = {t.id: t for t in (await session.scalars(stmt)).all()}
    candidates = _trigram_candidates(SEARCH_TAG_NAMES, q)
    if candidates is not None:
        stmt = select(Tag).where(literal_column("tags.rowid").in_(candidates))
        found.update({t.id: t for t in (await session.scalars(stmt)).all()})
    scored: dict[uuid.UUID, tuple[Hit, TagHit]] = {}
    for tag in found.values():
        score = tag_score(ql, tag.name, text.similarity(ql, tag.name))
        if score is not None:
            scored[tag.id] = (
                Hit(tag.id, score),
                TagHit(name=tag.name, slug=tag.slug, usage_count=tag.usage_count),
            )
    return [scored[h.id] for h in page_in_python((s[0] for s in scored.values()), pos, limit)]
