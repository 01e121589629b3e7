"""Leaderboard periods and their UTC boundaries: days start at 00:00, weeks on Monday 00:00,
months on the 1st; the all-time board has one period that never ends."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta


class Period(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ALL_TIME = "all_time"


# Periods that end, and so are archived by `leaderboard.reset`.
RESETTABLE = (Period.DAILY, Period.WEEKLY, Period.MONTHLY)
# Where the all-time period starts: before any activity.
ALL_TIME_START = datetime(1970, 1, 1, tzinfo=UTC)
LABELS = {
    Period.DAILY: "Today",
    Period.WEEKLY: "This week",
    Period.MONTHLY: "This month",
    Period.ALL_TIME: "All time",
}


def start_of(period: Period, at: datetime) -> datetime:
    """The start of the period of kind `period` that contains `at`."""
    at = at.astimezone(UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.DAILY:
        return day
    if period is Period.WEEKLY:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTHLY:
        return day.replace(day=1)
    return ALL_TIME_START


def end_of(period: Period, start: datetime) -> datetime | None:
    """The end (exclusive) of the period starting at `start`; None for all time."""
    if period is Period.DAILY:
        return start + timedelta(days=1)
    if period is Period.WEEKLY:
        return start + timedelta(days=7)
    if period is Period.MONTHLY:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return None


def previous_start(period: Period, at: datetime) -> datetime:
    """The start of the period just before the one containing `at`."""
    return start_of(period, start_of(period, at) - timedelta(microseconds=1))
