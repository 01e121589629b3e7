"""Rebuilding the search index from the tables it mirrors.

SQLite's FTS5 tables are external-content tables keyed by their source rows' rowids, kept by
triggers. A `VACUUM` or a batch migration that rebuilds `posts`, `users`, `profiles` or `tags`
may renumber rowids behind the triggers' back; `reindex()` rebuilds every search table from its
source. On PostgreSQL the post vector is a generated column and the trigram indexes are ordinary
GIN indexes, so nothing can drift: `reindex()` rebuilds those indexes (bloat after mass
updates) and refreshes the planner's statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Kept in step with migration 0003: the posts index holds only what search may show.
_INDEXED = "status = 'PUBLISHED' AND deleted_at IS NULL"
_SQLITE_TRIGRAM_TABLES = [
    ("search_usernames", "users"),
    ("search_display_names", "profiles"),
    ("search_tag_names", "tags"),
]
_POSTGRES_INDEXES = [
    ("ix_posts_search_vector", "posts"),
    ("ix_posts_title_trgm", "posts"),
    ("ix_users_username_trgm", "users"),
    ("ix_profiles_display_name_trgm", "profiles"),
    ("ix_tags_name_trgm", "tags"),
]


@dataclass(frozen=True)
class Rebuilt:
    index: str
    rows: int


async def reindex(session: AsyncSession) -> list[Rebuilt]:
    """Rebuild every search index; returns each index with the rows it now covers."""
    if session.get_bind().dialect.name == "postgresql":
        return await _postgres(session)
    return await _sqlite(session)


async def _count(session: AsyncSession, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


# The SQL below names tables and columns from this module's constants only (S608).
async def _sqlite(session: AsyncSession) -> list[Rebuilt]:
    out = []
    for fts, columns in (
        ("search_posts", "title, excerpt, content_text"),
        ("search_post_titles", "title"),
    ):
        await session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))  # noqa: S608
        await session.execute(
            text(
                f"INSERT INTO {fts}(rowid, {columns}) "  # noqa: S608
                f"SELECT rowid, {columns} FROM posts WHERE {_INDEXED}"
            )
        )
        out.append(
            Rebuilt(fts, await _count(session, f"SELECT count(*) FROM posts WHERE {_INDEXED}"))  # noqa: S608
        )
    for fts, source in _SQLITE_TRIGRAM_TABLES:
        await session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))  # noqa: S608
        out.append(Rebuilt(fts, await _count(session, f"SELECT count(*) FROM {source}")))  # noqa: S608
    for fts in ("search_posts", "search_post_titles", *(t for t, _ in _SQLITE_TRIGRAM_TABLES)):
        await session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('optimize')"))  # noqa: S608
    return out


async def _postgres(session: AsyncSession) -> list[Rebuilt]:
    out = []
    for index, table in _POSTGRES_INDEXES:
        await session.execute(text(f"REINDEX INDEX {index}"))
        rows = await _count(session, f"SELECT count(*) FROM {table}")  # noqa: S608
        out.append(Rebuilt(index, rows))
    await session.execute(text("ANALYZE posts, users, profiles, tags"))
    return out
