"""Persisted jobs: the transactional outbox (`job_outbox`). The queues themselves live in the
broker (Redis, SAQ's own PostgreSQL tables, or the embedded SQLite jobs file).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sparkle.core.db.base import JSONType, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("run_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index(
        "ix_job_outbox_sent_at_created_at", "job_outbox", ["sent_at", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_job_outbox_sent_at_created_at", table_name="job_outbox")
    op.drop_table("job_outbox")
