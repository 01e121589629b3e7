"""A lease on the email log's claims: a second run of the same mail waits instead of sending.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sparkle.core.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("email_log") as batch:
        batch.add_column(
            sa.Column(
                "claimed_until", sparkle.core.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("email_log") as batch:
        batch.drop_column("claimed_until")
