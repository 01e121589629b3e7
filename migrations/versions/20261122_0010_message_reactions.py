"""Reactions on direct and group messages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sparkle.core.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_reactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reaction_type", sa.String(length=10), nullable=False),
        sa.Column("created_at", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reaction_type IN ('LIKE', 'LOVE', 'LAUGH', 'WOW', 'SAD', 'ANGRY')",
            name=op.f("ck_message_reactions_reaction_type"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_reactions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_reactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reactions")),
        sa.UniqueConstraint(
            "message_id",
            "user_id",
            "reaction_type",
            name=op.f("uq_message_reactions_message_id_user_id_reaction_type"),
        ),
    )
    op.create_index(
        op.f("ix_message_reactions_user_id"), "message_reactions", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_reactions_user_id"), table_name="message_reactions")
    op.drop_table("message_reactions")
