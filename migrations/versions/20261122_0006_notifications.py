"""Notifications and notification preferences.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sparkle.core.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TYPES = (
    "POST_LIKED",
    "POST_COMMENTED",
    "COMMENT_LIKED",
    "USER_FOLLOWED",
    "ACHIEVEMENT_UNLOCKED",
    "LEVEL_UP",
    "MENTION",
    "SYSTEM",
    "GROUP_INVITE",
    "GROUP_POST",
    "EVENT_REMINDER",
    "WATCH_PARTY_INVITE",
    "DIRECT_MESSAGE",
    "YOUTUBE_PREMIERE",
    "QUEST_COMPLETE",
    "TRADE_REQUEST",
    "CONTENT_FEATURED",
    "MILESTONE_REACHED",
)


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    types = ", ".join(f"'{t}'" for t in TYPES)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor_ids", _json(), nullable=False),
        sa.Column("actor_count", sa.Integer(), nullable=False),
        sa.Column("recent_actors", _json(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=True),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("group_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("read_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"type IN ({types})", name=op.f("ck_notifications_notification_type")),
        sa.CheckConstraint(
            "actor_count >= 0", name=op.f("ck_notifications_actor_count_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "group_key", name="uq_notifications_user_group"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_user_created", ["user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read"], unique=False)
        batch_op.create_index("ix_notifications_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channels", _json(), nullable=False),
        sa.Column("digest", sa.String(length=10), nullable=False),
        sa.Column("quiet_hours_start", sa.Time(), nullable=True),
        sa.Column("quiet_hours_end", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=50), nullable=True),
        sa.Column("updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "digest IN ('off', 'daily', 'weekly')",
            name=op.f("ck_notification_preferences_digest_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_expires_at")
        batch_op.drop_index("ix_notifications_user_read")
        batch_op.drop_index("ix_notifications_user_created")
    op.drop_table("notifications")
