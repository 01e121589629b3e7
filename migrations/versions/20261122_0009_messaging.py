"""Conversations, messages, blocks and watch parties.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sparkle.core.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("direct_key", sa.String(length=73), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("last_message_id", sa.Uuid(), nullable=True),
        sa.Column(
            "last_message_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('direct', 'group')", name=op.f("ck_conversations_kind")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_conversations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("direct_key", name=op.f("uq_conversations_direct_key")),
    )
    op.create_table(
        "messaging_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("dm_policy", sa.String(length=10), nullable=False),
        sa.Column("read_receipts", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "dm_policy IN ('everyone', 'following', 'nobody')",
            name=op.f("ck_messaging_settings_dm_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_messaging_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_messaging_settings")),
    )
    op.create_table(
        "user_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("blocker_id", sa.Uuid(), nullable=False),
        sa.Column("blocked_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("blocker_id != blocked_id", name=op.f("ck_user_blocks_no_self_block")),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocked_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_blocks")),
        sa.UniqueConstraint(
            "blocker_id", "blocked_id", name=op.f("uq_user_blocks_blocker_id_blocked_id")
        ),
    )
    op.create_index("ix_user_blocks_blocked", "user_blocks", ["blocked_id"], unique=False)
    op.create_table(
        "watch_parties",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("youtube_video_id", sa.String(length=11), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scheduled_for", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("slow_mode_seconds", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.String(length=11), nullable=False),
        sa.Column("playback_status", sa.String(length=10), nullable=False),
        sa.Column("position_seconds", sa.Double(), nullable=False),
        sa.Column("playback_rate", sa.Double(), nullable=False),
        sa.Column(
            "state_updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("queue", JSON, nullable=False),
        sa.Column("present_count", sa.Integer(), nullable=False),
        sa.Column("empty_since", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "playback_status IN ('playing', 'paused', 'ended')",
            name=op.f("ck_watch_parties_playback_status"),
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'ended')", name=op.f("ck_watch_parties_status")
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'followers', 'invite')",
            name=op.f("ck_watch_parties_visibility"),
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["users.id"],
            name=op.f("fk_watch_parties_host_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_parties")),
    )
    op.create_index(op.f("ix_watch_parties_host_id"), "watch_parties", ["host_id"], unique=False)
    op.create_index(
        "ix_watch_parties_status_scheduled",
        "watch_parties",
        ["status", "scheduled_for", "id"],
        unique=False,
    )
    op.create_table(
        "conversation_participants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("muted_until", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_read_message_id", sa.Uuid(), nullable=True),
        sa.Column("last_read_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member')", name=op.f("ck_conversation_participants_role")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_participants_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversation_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_participants")),
        sa.UniqueConstraint(
            "conversation_id",
            "user_id",
            name=op.f("uq_conversation_participants_conversation_id_user_id"),
        ),
    )
    op.create_index(
        "ix_conversation_participants_user_active",
        "conversation_participants",
        ["user_id", "is_active"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("reply_to_id", sa.Uuid(), nullable=True),
        sa.Column("edited_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('text', 'image', 'file', 'system')", name=op.f("ck_messages_type")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["messages.id"],
            name=op.f("fk_messages_reply_to_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_messages_sender_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        "ix_messages_conversation_created",
        "messages",
        ["conversation_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_messages_sender_id"), "messages", ["sender_id"], unique=False)
    op.create_table(
        "watch_party_moments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("video_id", sa.String(length=11), nullable=False),
        sa.Column("video_position", sa.Double(), nullable=False),
        sa.Column("deleted_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('chat', 'reaction')", name=op.f("ck_watch_party_moments_kind")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["watch_parties.id"],
            name=op.f("fk_watch_party_moments_party_id_watch_parties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_watch_party_moments_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_party_moments")),
    )
    op.create_index(
        "ix_watch_party_moments_party_created",
        "watch_party_moments",
        ["party_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "watch_party_participants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("invited_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_chat_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('host', 'cohost', 'guest')", name=op.f("ck_watch_party_participants_role")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_watch_party_participants_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["watch_parties.id"],
            name=op.f("fk_watch_party_participants_party_id_watch_parties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_watch_party_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_party_participants")),
        sa.UniqueConstraint(
            "party_id", "user_id", name=op.f("uq_watch_party_participants_party_id_user_id")
        ),
    )
    op.create_index(
        "ix_watch_party_participants_user",
        "watch_party_participants",
        ["user_id", "party_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_watch_party_participants_user", table_name="watch_party_participants")
    op.drop_table("watch_party_participants")
    op.drop_index("ix_watch_party_moments_party_created", table_name="watch_party_moments")
    op.drop_table("watch_party_moments")
    op.drop_index(op.f("ix_messages_sender_id"), table_name="messages")
    op.drop_index("ix_messages_conversation_created", table_name="messages")
    op.drop_table("messages")
    op.drop_index(
        "ix_conversation_participants_user_active", table_name="conversation_participants"
    )
    op.drop_table("conversation_participants")
    op.drop_index("ix_watch_parties_status_scheduled", table_name="watch_parties")
    op.drop_index(op.f("ix_watch_parties_host_id"), table_name="watch_parties")
    op.drop_table("watch_parties")
    op.drop_index("ix_user_blocks_blocked", table_name="user_blocks")
    op.drop_table("user_blocks")
    op.drop_table("messaging_settings")
    op.drop_table("conversations")
