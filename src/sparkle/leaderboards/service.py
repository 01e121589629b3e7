"""Leaderboard rules: recomputing the current standings, archiving finished periods, copying
standings into the Redis mirror, and the reads behind the API and the page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import cursors
from sparkle.core.db import utcnow
from sparkle.core.errors import ValidationFailed
from sparkle.leaderboards import repository
from sparkle.leaderboards.errors import PeriodNotArchived, UnknownPeriod
from sparkle.leaderboards.models import LeaderboardArchiveEntry, LeaderboardStanding
from sparkle.leaderboards.periods import RESETTABLE, Period, end_of, previous_start, start_of
from sparkle.leaderboards.repository import Ranked
from sparkle.leaderboards.schemas import (
    ArchivedLeaderboardPage,
    LeaderboardEntry,
    LeaderboardPage,
    LeaderboardStandingRead,
    LeaderboardUser,
)
from sparkle.leaderboards.store import RedisMirror, Snapshot

MAX_LIMIT = 100
MIRROR_CHUNK = 5000


def parse_period(value: str | Period, *, archived: bool = False) -> Period:
    """`value` as a Period (one that ends, when `archived`); a 400 naming `period` if not."""
    try:
        period = Period(value)
    except ValueError:
        raise UnknownPeriod(archived=archived) from None
    if archived and period not in RESETTABLE:
        raise UnknownPeriod(archived=True)
    return period


def encode_cursor(position: int) -> str:
    return cursors.seal(["p", position])


def decode_cursor(token: str | None) -> int:
    """The position a page continues after (0 for the first page)."""
    if not token:
        return 0
    tag, position = cursors.unseal(token, 2)
    if tag != "p":
        raise cursors.InvalidCursor()
    return cursors.as_int(position, minimum=0)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(fields={"limit": f"Must be between 1 and {MAX_LIMIT}"})


# --- writing: the jobs' work ------------------------------------------------------------------


async def update(
    session: AsyncSession, *, now: datetime | None = None, periods: Iterable[Period] | None = None
) -> dict[Period, int]:
    """Recompute the current standings of `periods` (every board by default) in the database,
    one INSERT … SELECT each; returns how many members each board ranks."""
    now = now or utcnow()
    await repository.lock(session)
    ranked: dict[Period, int] = {}
    for period in periods or list(Period):
        start = start_of(period, now)
        end = end_of(period, start)
        # Rows of an earlier period start go too: the board now shows the new period.
        await repository.clear(session, LeaderboardStanding, period.value, None)
        # Up to now: activity dated later (a post scheduled ahead) counts once it happens.
        upto = now if end is None else min(end, now)
        count = await repository.fill(session, LeaderboardStanding, period.value, start, upto)
        await repository.save_period(
            session,
            period=period.value,
            period_start=start,
            period_end=end,
            entry_count=count,
            computed_at=now,
        )
        ranked[period] = count
    return ranked


async def reset(
    session: AsyncSession,
    period: str | Period,
    *,
    now: datetime | None = None,
    period_start: datetime | None = None,
) -> bool:
    """Archive the finished period of `period` (the one before `now`'s, or the one containing
    `period_start`) and start the new one. An archived period is never written again, so a
    second run changes nothing; returns whether this run archived it."""
    period = parse_period(period, archived=True)
    now = now or utcnow()
    start = start_of(period, period_start) if period_start else previous_start(period, now)
    end = end_of(period, start)
    assert end is not None
    if end > now:
        raise ValidationFailed(fields={"periodStart": "That period has not ended yet"})
    await repository.lock(session)
    existing = await repository.get_period(session, period.value, start)
    archived = existing is None or existing.archived_at is None
    if archived:
        await repository.clear(session, LeaderboardArchiveEntry, period.value, start)
        count = await repository.fill(session, LeaderboardArchiveEntry, period.value, start, end)
        await repository.save_period(
            session,
            period=period.value,
            period_start=start,
            period_end=end,
            entry_count=count,
            computed_at=now,
            archived_at=now,
        )
    await update(session, now=now, periods=[period])
    return archived


async def mirror_current(
    session: AsyncSession,
    mirror: RedisMirror,
    *,
    now: datetime,
    periods: Iterable[Period] | None = None,
) -> None:
    """Copy the committed current standings of `periods` into the Redis mirror."""
    for period in periods or list(Period):
        start = start_of(period, now)
        meta = await repository.get_period(session, period.value, start)
        if meta is None:
            continue
        snapshot = Snapshot(start, meta.computed_at, meta.entry_count)
        await mirror.replace(period.value, snapshot, _chunks(session, period, start))


async def _chunks(
    session: AsyncSession, period: Period, start: datetime
) -> AsyncIterator[list[tuple[uuid.UUID, int]]]:
    after = 0
    while rows := await repository.page(
        session, LeaderboardStanding, period.value, start, after, MIRROR_CHUNK
    ):
        yield [(row.user_id, row.score) for row in rows]
        after = rows[-1].position


# --- reading ----------------------------------------------------------------------------------


async def _entries(
    session: AsyncSession, rows: list[Ranked], limit: int
) -> tuple[list[LeaderboardEntry], str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    people = await repository.users(session, [row.user_id for row in rows])
    entries = [
        LeaderboardEntry(
            rank=row.rank,
            score=row.score,
            user=LeaderboardUser.model_validate(people[row.user_id], from_attributes=True),
        )
        for row in rows
        if row.user_id in people  # an account deleted since the last update
    ]
    return entries, encode_cursor(rows[-1].position) if more else None


async def board(
    session: AsyncSession,
    mirror: RedisMirror | None,
    period: str | Period,
    *,
    cursor: str | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> LeaderboardPage:
    """One page of the current standings of `period`, best first (from the Redis mirror when
    it holds the current period, else from the database)."""
    period = parse_period(period)
    _check_limit(limit)
    after = decode_cursor(cursor)
    start = start_of(period, now or utcnow())
    snapshot = await mirror.snapshot(period.value, start) if mirror else None
    if snapshot is not None and mirror is not None:
        rows = await mirror.page(period.value, after, limit + 1)
    else:
        meta = await repository.get_period(session, period.value, start)
        if meta is not None:
            snapshot = Snapshot(start, meta.computed_at, meta.entry_count)
        rows = await repository.page(
            session, LeaderboardStanding, period.value, start, after, limit + 1
        )
    items, next_cursor = await _entries(session, rows, limit)
    return LeaderboardPage(
        period=period,
        period_start=start,
        period_end=end_of(period, start),
        computed_at=snapshot.computed_at if snapshot else None,
        entry_count=snapshot.entry_count if snapshot else 0,
        items=items,
        next_cursor=next_cursor,
    )


async def my_standing(
    session: AsyncSession,
    mirror: RedisMirror | None,
    user_id: uuid.UUID,
    period: str | Period,
    *,
    now: datetime | None = None,
) -> LeaderboardStandingRead:
    """The rank and score of `user_id` on the current board of `period` (rank null: not ranked)."""
    period = parse_period(period)
    start = start_of(period, now or utcnow())
    snapshot = await mirror.snapshot(period.value, start) if mirror else None
    if snapshot is not None and mirror is not None:
        row = await mirror.standing(period.value, user_id)
    else:
        meta = await repository.get_period(session, period.value, start)
        if meta is not None:
            snapshot = Snapshot(start, meta.computed_at, meta.entry_count)
        row = await repository.standing(session, LeaderboardStanding, period.value, start, user_id)
    return LeaderboardStandingRead(
        period=period,
        period_start=start,
        period_end=end_of(period, start),
        computed_at=snapshot.computed_at if snapshot else None,
        entry_count=snapshot.entry_count if snapshot else 0,
        rank=row.rank if row else None,
        score=row.score if row else 0,
    )


async def history(
    session: AsyncSession,
    period: str | Period,
    *,
    period_start: datetime | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> ArchivedLeaderboardPage:
    """The final standings of an archived period: the one containing `period_start`, or the
    latest one; 404 when that period was not archived."""
    period = parse_period(period, archived=True)
    _check_limit(limit)
    after = decode_cursor(cursor)
    if period_start is None:
        meta = await repository.latest_archived(session, period.value)
    else:
        meta = await repository.get_period(session, period.value, start_of(period, period_start))
    if meta is None or meta.archived_at is None:
        raise PeriodNotArchived(f"No archived {period.value} leaderboard for that period")
    rows = await repository.page(
        session, LeaderboardArchiveEntry, period.value, meta.period_start, after, limit + 1
    )
    items, next_cursor = await _entries(session, rows, limit)
    return ArchivedLeaderboardPage(
        period=period,
        period_start=meta.period_start,
        period_end=meta.period_end,
        computed_at=meta.computed_at,
        entry_count=meta.entry_count,
        archived_at=meta.archived_at,
        items=items,
        next_cursor=next_cursor,
    )


async def archived_starts(session: AsyncSession, period: Period, limit: int = 12) -> list[datetime]:
    """The newest archived period starts of `period` (none for all_time)."""
    if period not in RESETTABLE:
        return []
    return await repository.archived_starts(session, period.value, limit)
