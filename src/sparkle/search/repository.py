"""What both search backends share: the hits they return, keyset positions, and the rows that
may be found (published, non-deleted posts by non-deleted authors; non-deleted users)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.posts.models import Post, PostStatus

# Typo tolerance: pg_trgm's default thresholds, applied the same way on SQLite.
SIMILARITY_THRESHOLD = 0.3  # `%`: similarity of a whole username or tag name
WORD_SIMILARITY_THRESHOLD = 0.6  # `<%`: the query against the best-matching words of a text
EXACT_BONUS, PREFIX_BONUS, NAME_PREFIX_BONUS = 1.0, 0.5, 0.25
# SQLite scores similarity in Python over the best trigram candidates of each field.
CANDIDATES = 200


@dataclass(frozen=True)
class Position:
    """Where a page ends: the score and id of its last item (keyset, best first)."""

    score: float
    id: uuid.UUID


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    score: float


@dataclass
class PostRow:
    id: uuid.UUID
    slug: str
    title: str
    excerpt: str | None
    published_at: datetime | None
    username: str
    display_name: str
    avatar_url: str | None
    # Plain text around the matches, the matches between text.MARK_START and text.MARK_END.
    snippet: str


def findable_posts() -> ColumnElement[bool]:
    return and_(
        Post.status == PostStatus.PUBLISHED.value,
        Post.deleted_at.is_(None),
        User.deleted_at.is_(None),
    )


def after(
    score: ColumnElement[Any], ident: ColumnElement[Any], pos: Position | None
) -> ColumnElement[bool]:
    """The keyset condition for rows that sort after `pos` (score desc, id desc)."""
    if pos is None:
        return true()
    return or_(score < pos.score, and_(score == pos.score, ident < pos.id))


def page_in_python(hits: Iterable[Hit], pos: Position | None, limit: int) -> list[Hit]:
    """Order scored candidates best first and cut the page after `pos`."""
    ordered = sorted(hits, key=lambda h: (h.score, h.id.bytes), reverse=True)
    if pos is not None:
        ordered = [h for h in ordered if (h.score, h.id.bytes) < (pos.score, pos.id.bytes)]
    return ordered[:limit]


def user_score(
    q: str, username: str, display_name: str, sim: float, word_sim: float
) -> float | None:
    """A user's score for `q` (lower-cased), or None when the user does not match."""
    username, display_name = username.lower(), display_name.lower()
    bonus = (
        EXACT_BONUS
        if username == q
        else PREFIX_BONUS
        if username.startswith(q)
        else NAME_PREFIX_BONUS
        if display_name.startswith(q)
        else 0.0
    )
    if not bonus and sim < SIMILARITY_THRESHOLD and word_sim < WORD_SIMILARITY_THRESHOLD:
        return None
    return max(sim, word_sim) + bonus


def tag_score(q: str, name: str, sim: float) -> float | None:
    bonus = EXACT_BONUS if name == q else PREFIX_BONUS if name.startswith(q) else 0.0
    if not bonus and sim < SIMILARITY_THRESHOLD:
        return None
    return sim + bonus


def post_rows_statement(ids: Sequence[uuid.UUID], *snippet_cols: Any) -> Select[Any]:
    return (
        select(
            Post.id,
            Post.slug,
            Post.title,
            Post.excerpt,
            Post.published_at,
            User.username,
            Profile.display_name,
            Profile.avatar_url,
            *snippet_cols,
        )
        .join(User, User.id == Post.author_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Post.id.in_(ids))
    )


async def users_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[User, Profile | None]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(User, Profile)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(ids), User.deleted_at.is_(None))
    )
    return {u.id: (u, p) for u, p in rows.all()}
