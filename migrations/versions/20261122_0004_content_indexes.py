"""Content indexes for the hot paths.

The popular sort, top-level comment pages (oldest and top), who-reacted lists, and one mention
per user per post or comment.

The popularity index repeats the expression of `sparkle.posts.repository.POPULARITY`; both
backends divide integers by truncation, so `view_count / 10` is the same value everywhere and
the planner matches the index to the query's ORDER BY. The mention indexes are partial because
the older unique constraint on (post_id, comment_id, mentioned_user_id) treats NULL comment ids
as distinct and so never stopped a duplicate mention in a post.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POPULARITY = "(reaction_count * 2 + comment_count * 3 + share_count * 2 + view_count / 10)"


def _where(condition: str) -> dict[str, sa.TextClause]:
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade() -> None:
    op.create_index("ix_posts_status_popularity", "posts", ["status", sa.text(POPULARITY), "id"])
    op.create_index(
        "ix_comments_post_roots",
        "comments",
        ["post_id", "created_at", "id"],
        **_where("parent_id IS NULL"),
    )
    op.create_index(
        "ix_comments_post_roots_top",
        "comments",
        ["post_id", sa.text("reaction_count DESC"), "created_at", "id"],
        **_where("parent_id IS NULL"),
    )
    op.create_index("ix_reactions_post_created", "reactions", ["post_id", "created_at", "id"])
    op.create_index(
        "uq_mentions_post_user",
        "mentions",
        ["post_id", "mentioned_user_id"],
        unique=True,
        **_where("comment_id IS NULL"),
    )
    op.create_index(
        "uq_mentions_comment_user",
        "mentions",
        ["comment_id", "mentioned_user_id"],
        unique=True,
        **_where("comment_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_mentions_comment_user", table_name="mentions")
    op.drop_index("uq_mentions_post_user", table_name="mentions")
    op.drop_index("ix_reactions_post_created", table_name="reactions")
    op.drop_index("ix_comments_post_roots_top", table_name="comments")
    op.drop_index("ix_comments_post_roots", table_name="comments")
    op.drop_index("ix_posts_status_popularity", table_name="posts")
