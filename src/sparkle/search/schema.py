"""The search objects that live in the database but not in the models (migration 0003), and the
filter that keeps them out of Alembic's autogenerate comparison."""

from __future__ import annotations

from typing import Any

# SQLite FTS5 tables; each keeps shadow tables named `<table>_<suffix>`.
FTS_TABLES = frozenset(
    {
        "search_posts",
        "search_post_titles",
        "search_usernames",
        "search_display_names",
        "search_tag_names",
    }
)
FTS_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")
# PostgreSQL: the generated column on posts and the GIN indexes.
GENERATED_COLUMNS = frozenset({("posts", "search_vector")})
INDEXES = frozenset(
    {
        "ix_posts_search_vector",
        "ix_posts_title_trgm",
        "ix_users_username_trgm",
        "ix_profiles_display_name_trgm",
        "ix_tags_name_trgm",
    }
)

_FTS_NAMES = FTS_TABLES | {f"{t}_{s}" for t in FTS_TABLES for s in FTS_SHADOW_SUFFIXES}


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic `include_name` hook: False for the search objects, True for everything else."""
    if type_ == "table":
        return name not in _FTS_NAMES
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in GENERATED_COLUMNS
    if type_ == "index":
        return name not in INDEXES
    return True
