"""Search: a weighted tsvector with pg_trgm indexes on PostgreSQL, FTS5 tables kept by triggers
on SQLite.

PostgreSQL: `posts.search_vector` is a stored generated column (title A, excerpt B, body C)
with a GIN index; trigram GIN indexes serve typo tolerance on titles, usernames, display names
and tag names. The pg_trgm extension stays on downgrade: it may predate this revision.

SQLite: `search_posts` (porter stemming) and `search_post_titles` (trigrams) index published,
non-deleted posts; `search_usernames`, `search_display_names` and `search_tag_names` (trigrams)
index every row. All are external-content tables keyed by the source table's rowid. A later
batch migration that recreates one of the source tables drops its triggers and may renumber
its rowids: it must recreate the triggers below and refill the tables ('delete-all' + insert).

None of these objects is in the models; `sparkle.search.schema.include_name` keeps them out of
autogenerate.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(excerpt, '')), 'B')
        || setweight(to_tsvector('english', coalesce(content_text, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
    "CREATE INDEX ix_posts_title_trgm ON posts USING gin (title gin_trgm_ops)",
    "CREATE INDEX ix_users_username_trgm ON users USING gin (lower(username) gin_trgm_ops)",
    "CREATE INDEX ix_profiles_display_name_trgm ON profiles "
    "USING gin (lower(display_name) gin_trgm_ops)",
    "CREATE INDEX ix_tags_name_trgm ON tags USING gin (name gin_trgm_ops)",
]

PG_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_tags_name_trgm",
    "DROP INDEX IF EXISTS ix_profiles_display_name_trgm",
    "DROP INDEX IF EXISTS ix_users_username_trgm",
    "DROP INDEX IF EXISTS ix_posts_title_trgm",
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]

# Only published, non-deleted posts are indexed, so an index row exists exactly when this
# holds for the row's old values; FTS5's 'delete' must be given the values that were indexed.
_INDEXED_OLD = "old.status = 'PUBLISHED' AND old.deleted_at IS NULL"
_INDEXED_NEW = "new.status = 'PUBLISHED' AND new.deleted_at IS NULL"
_UNINDEX_POST = f"""
    INSERT INTO search_posts(search_posts, rowid, title, excerpt, content_text)
        SELECT 'delete', old.rowid, old.title, old.excerpt, old.content_text WHERE {_INDEXED_OLD};
    INSERT INTO search_post_titles(search_post_titles, rowid, title)
        SELECT 'delete', old.rowid, old.title WHERE {_INDEXED_OLD};"""
_INDEX_POST = f"""
    INSERT INTO search_posts(rowid, title, excerpt, content_text)
        SELECT new.rowid, new.title, new.excerpt, new.content_text WHERE {_INDEXED_NEW};
    INSERT INTO search_post_titles(rowid, title)
        SELECT new.rowid, new.title WHERE {_INDEXED_NEW};"""

# (fts table, source table, source column): trigram indexes of every row of a small table.
_TRIGRAM_TABLES = [
    ("search_usernames", "users", "username"),
    ("search_display_names", "profiles", "display_name"),
    ("search_tag_names", "tags", "name"),
]


def _sqlite_upgrade() -> list[str]:
    stmts = [
        """CREATE VIRTUAL TABLE search_posts USING fts5(
            title, excerpt, content_text, content='posts', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2')""",
        """CREATE VIRTUAL TABLE search_post_titles USING fts5(
            title, content='posts', content_rowid='rowid', tokenize='trigram')""",
        f"CREATE TRIGGER search_posts_ai AFTER INSERT ON posts BEGIN {_INDEX_POST} END",
        f"CREATE TRIGGER search_posts_ad AFTER DELETE ON posts BEGIN {_UNINDEX_POST} END",
        # Counter updates (views, reactions) leave the index alone.
        f"""CREATE TRIGGER search_posts_au
            AFTER UPDATE OF title, excerpt, content_text, status, deleted_at ON posts
            BEGIN {_UNINDEX_POST} {_INDEX_POST} END""",
        """INSERT INTO search_posts(rowid, title, excerpt, content_text)
            SELECT rowid, title, excerpt, content_text FROM posts
            WHERE status = 'PUBLISHED' AND deleted_at IS NULL""",
        """INSERT INTO search_post_titles(rowid, title)
            SELECT rowid, title FROM posts WHERE status = 'PUBLISHED' AND deleted_at IS NULL""",
    ]
    for fts, source, col in _TRIGRAM_TABLES:
        unindex = f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.rowid, old.{col});"
        index = f"INSERT INTO {fts}(rowid, {col}) VALUES (new.rowid, new.{col});"
        stmts += [
            f"""CREATE VIRTUAL TABLE {fts} USING fts5(
                {col}, content='{source}', content_rowid='rowid', tokenize='trigram')""",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {index} END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {unindex} END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {col} ON {source} "
            f"BEGIN {unindex} {index} END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    return stmts


def _sqlite_downgrade() -> list[str]:
    stmts = [f"DROP TRIGGER IF EXISTS search_posts_{e}" for e in ("ai", "ad", "au")]
    stmts += ["DROP TABLE IF EXISTS search_posts", "DROP TABLE IF EXISTS search_post_titles"]
    for fts, _source, _col in _TRIGRAM_TABLES:
        stmts += [f"DROP TRIGGER IF EXISTS {fts}_{e}" for e in ("ai", "ad", "au")]
        stmts.append(f"DROP TABLE IF EXISTS {fts}")
    return stmts


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in PG_UPGRADE if dialect == "postgresql" else _sqlite_upgrade():
        op.execute(stmt)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in PG_DOWNGRADE if dialect == "postgresql" else _sqlite_downgrade():
        op.execute(stmt)
