"""Leaderboard snapshots per period.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sparkle.core.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_CHECK = "period IN ('daily', 'weekly', 'monthly', 'all_time')"


def _when() -> sparkle.core.db.base.UTCDateTime:
    return sparkle.core.db.base.UTCDateTime(timezone=True)


def _entries(name: str) -> None:
    """Current standings and the archive share their shape."""
    op.create_table(
        name,
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", _when(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f(f"ck_{name}_valid_period")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("period", "period_start", "user_id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(
            f"uq_{name}_position", ["period", "period_start", "position"], unique=True
        )
        batch_op.create_index(batch_op.f(f"ix_{name}_user_id"), ["user_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "leaderboard_periods",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", _when(), nullable=False),
        sa.Column("period_end", _when(), nullable=True),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", _when(), nullable=False),
        sa.Column("archived_at", _when(), nullable=True),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f("ck_leaderboard_periods_valid_period")),
        sa.PrimaryKeyConstraint("period", "period_start", name=op.f("pk_leaderboard_periods")),
    )
    with op.batch_alter_table("leaderboard_periods", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leaderboard_periods_archived", ["period", "archived_at"], unique=False
        )
    _entries("leaderboard_standings")
    _entries("leaderboard_archive")


def downgrade() -> None:
    for name in ("leaderboard_archive", "leaderboard_standings"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_user_id"))
            batch_op.drop_index(f"uq_{name}_position")
        op.drop_table(name)
    with op.batch_alter_table("leaderboard_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_leaderboard_periods_archived")
    op.drop_table("leaderboard_periods")
