"""Leaderboard schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from sparkle.core.schemas import Schema
from sparkle.leaderboards.periods import Period


class LeaderboardUser(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class LeaderboardEntry(Schema):
    rank: int = Field(description="Competition rank: tied scores share a rank (1, 2, 2, 4)")
    score: int
    user: LeaderboardUser


class LeaderboardPage(Schema):
    """One page of a board's standings, best first."""

    period: Period
    period_start: datetime
    period_end: datetime | None = Field(None, description="Exclusive; null for all_time")
    computed_at: datetime | None = Field(
        None, description="When the standings were computed; null before the first update"
    )
    entry_count: int = Field(description="How many members are ranked on this board")
    items: list[LeaderboardEntry]
    next_cursor: str | None = None


class ArchivedLeaderboardPage(LeaderboardPage):
    """A finished period's final standings."""

    archived_at: datetime


class LeaderboardStandingRead(Schema):
    """The caller's place on a board; `rank` is null while they have no score there."""

    period: Period
    period_start: datetime
    period_end: datetime | None = None
    computed_at: datetime | None = None
    entry_count: int
    rank: int | None = None
    score: int = 0
