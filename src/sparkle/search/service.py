"""Search: validates the query, picks the backend of the session's database and pages the
results with an opaque keyset cursor.

Posts come in two tiers: full-text matches (best rank first), then — only when full text
finds fewer than FEW_MATCHES posts — posts whose title is similar to the query (typos), best
similarity first. The cursor remembers the tier, so later pages follow the same list. On
PostgreSQL full text ranks only the newest matches (postgres.RANKED_CANDIDATES), so older
matches of an extremely common word are not reachable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import ModuleType

from limits import parse
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import cursors
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.search import postgres, sqlite
from sparkle.search.repository import Hit, Position, PostRow
from sparkle.search.schemas import AuthorRead, PostHit, SearchResults, SearchType
from sparkle.search.text import mark_snippet

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50
FEW_MATCHES = 5
SEARCH_PER_IP = parse("60/minute")


@dataclass(frozen=True)
class PageCursor:
    """The opaque `cursor`: where the previous page ended, for which query."""

    query_key: str
    fuzzy: bool
    tier: int
    position: Position

    def encode(self) -> str:
        raw = [
            self.query_key,
            int(self.fuzzy),
            self.tier,
            self.position.score,
            str(self.position.id),
        ]
        return cursors.seal(raw)

    @classmethod
    def decode(cls, token: str, query_key: str) -> PageCursor:
        key, fuzzy, tier, score, ident = cursors.unseal(token, 5)
        cursor = cls(
            cursors.as_str(key),
            bool(cursors.as_int(fuzzy)),
            cursors.as_int(tier),
            Position(cursors.as_float(score), cursors.as_uuid(ident)),
        )
        if cursor.query_key != query_key or cursor.tier not in (0, 1):
            raise ValidationFailed(
                "This cursor belongs to another search",
                fields={"cursor": "Cursor does not match the query"},
            )
        return cursor


def _query_key(q: str, kind: SearchType) -> str:
    return hashlib.sha256(f"{kind.value}\x00{q}".encode()).hexdigest()[:12]


def _backend(session: AsyncSession) -> ModuleType:
    return postgres if session.get_bind().dialect.name == "postgresql" else sqlite


def clean_query(q: str | None) -> str:
    """The query with surrounding and repeated whitespace removed; 400 naming `q` when empty
    or too long."""
    cleaned = " ".join((q or "").split())
    if not cleaned:
        raise ValidationFailed("Enter something to search for", fields={"q": "Must not be empty"})
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            "The search is too long", fields={"q": f"Must be at most {MAX_QUERY_LENGTH} characters"}
        )
    return cleaned


async def search(
    session: AsyncSession,
    limiter: Limiter,
    q: str | None,
    kind: SearchType,
    *,
    cursor: str | None = None,
    limit: int = 20,
    client_ip: str | None = None,
) -> SearchResults:
    """One page of posts, users or tags matching `q`."""
    await limiter.hit(SEARCH_PER_IP, "search-ip", client_ip or "-")
    q = clean_query(q)
    limit = max(1, min(limit, MAX_LIMIT))
    key = _query_key(q, kind)
    after = PageCursor.decode(cursor, key) if cursor else None
    backend = _backend(session)
    if kind is SearchType.POSTS:
        items, next_cursor = await _posts(session, backend, q, key, after, limit)
        return SearchResults(query=q, type=kind, items=items, next_cursor=next_cursor)
    find = backend.users if kind is SearchType.USERS else backend.tags
    found = await find(session, q, after.position if after else None, limit + 1)
    next_cursor = None
    if len(found) > limit:
        found = found[:limit]
        next_cursor = PageCursor(key, False, 0, _position(found[-1][0])).encode()
    return SearchResults(
        query=q, type=kind, items=[item for _, item in found], next_cursor=next_cursor
    )


async def _posts(
    session: AsyncSession,
    backend: ModuleType,
    q: str,
    key: str,
    cursor: PageCursor | None,
    limit: int,
) -> tuple[list[PostHit], str | None]:
    page: list[tuple[int, Hit]] = []
    fuzzy = cursor.fuzzy if cursor else False
    if cursor is None or cursor.tier == 0:
        # The first page reads far enough to tell whether full text found only a few posts.
        want = limit + 1 if cursor else max(limit, FEW_MATCHES) + 1
        matches = await backend.post_matches(session, q, cursor.position if cursor else None, want)
        fuzzy = fuzzy if cursor else len(matches) < FEW_MATCHES
        page = [(0, h) for h in matches[: limit + 1]]
    if fuzzy and len(page) <= limit:
        pos = cursor.position if cursor and cursor.tier == 1 else None
        page += [
            (1, h) for h in await backend.similar_posts(session, q, pos, limit + 1 - len(page))
        ]
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        tier, last = page[-1]
        next_cursor = PageCursor(key, fuzzy, tier, _position(last)).encode()
    matched = {h.id for tier, h in page if tier == 0}
    rows = await backend.post_rows(session, q, [h.id for _, h in page], matched)
    return [_post_hit(rows[h.id], h) for _, h in page if h.id in rows], next_cursor


def _position(hit: Hit) -> Position:
    return Position(hit.score, hit.id)


def _post_hit(row: PostRow, hit: Hit) -> PostHit:
    return PostHit(
        id=row.id,
        slug=row.slug,
        title=row.title,
        excerpt=row.excerpt,
        snippet=mark_snippet(row.snippet),
        author=AuthorRead(
            username=row.username, display_name=row.display_name, avatar_url=row.avatar_url
        ),
        published_at=row.published_at,
        rank=hit.score,
    )
