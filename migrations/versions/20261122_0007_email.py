"""The email log, tracking and suppression.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sparkle.core.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sparkle.core.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("template", sa.String(length=50), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("to_hash", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("context", _json(), nullable=False),
        sa.Column("links", _json(), nullable=False),
        sa.Column("tracking_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.Column("opened_at", _ts(), nullable=True),
        sa.Column("clicked_at", _ts(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_log")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_email_log_idempotency_key")),
        sa.UniqueConstraint("tracking_id", name=op.f("uq_email_log_tracking_id")),
    )
    with op.batch_alter_table("email_log", schema=None) as batch_op:
        batch_op.create_index("ix_email_log_status_sent_at", ["status", "sent_at"], unique=False)
        batch_op.create_index("ix_email_log_to_hash_sent_at", ["to_hash", "sent_at"], unique=False)
        batch_op.create_index("ix_email_log_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "email_suppressions",
        sa.Column("to_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("to_hash", name=op.f("pk_email_suppressions")),
    )

    op.create_table(
        "email_notification_log",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("email_log_id", sa.Uuid(), nullable=False),
        sa.Column("emailed_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_log_id"],
            ["email_log.id"],
            name=op.f("fk_email_notification_log_email_log_id_email_log"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_email_notification_log_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_email_notification_log")),
    )
    with op.batch_alter_table("email_notification_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_notification_log_email_log_id"), ["email_log_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("email_notification_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_notification_log_email_log_id"))
    op.drop_table("email_notification_log")
    op.drop_table("email_suppressions")
    with op.batch_alter_table("email_log", schema=None) as batch_op:
        batch_op.drop_index("ix_email_log_user_created")
        batch_op.drop_index("ix_email_log_to_hash_sent_at")
        batch_op.drop_index("ix_email_log_status_sent_at")
    op.drop_table("email_log")
