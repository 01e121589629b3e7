"""Leaderboard tables: the state of each period, the current standings, and the final standings
of finished periods."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base

PERIOD_CHECK = "period IN ('daily', 'weekly', 'monthly', 'all_time')"


class LeaderboardPeriod(Base):
    """One period of one board: when its standings were last computed and, once it has ended
    and been archived, when."""

    __tablename__ = "leaderboard_periods"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK, name="valid_period"),
        # The latest archived periods of a board (history without a periodStart).
        Index("ix_leaderboard_periods_archived", "period", "archived_at"),
    )

    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(primary_key=True)
    period_end: Mapped[datetime | None]
    entry_count: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class _Entry:
    """Columns shared by current and archived standings. `rank` is the competition rank (ties
    share it: 1, 2, 2, 4); `position` is the row's unique place in the order (score down, then
    user id down, the order of a Redis sorted set read in reverse), used for paging."""

    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int]
    rank: Mapped[int]
    position: Mapped[int]


class LeaderboardStanding(_Entry, Base):
    """The current period's standings of each board, replaced by every update."""

    __tablename__ = "leaderboard_standings"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK, name="valid_period"),
        # A board's top N and any page after it; one user's rank is the primary key.
        Index(
            "uq_leaderboard_standings_position", "period", "period_start", "position", unique=True
        ),
    )


class LeaderboardArchiveEntry(_Entry, Base):
    """The final standings of a finished period, written once when it is archived."""

    __tablename__ = "leaderboard_archive"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK, name="valid_period"),
        Index("uq_leaderboard_archive_position", "period", "period_start", "position", unique=True),
    )
