"""Leaderboard queries: standings recomputed in one INSERT … SELECT per board, archives, and
the reads behind the API (a page by position, one user's row, user summaries)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.leaderboards import scoring
from sparkle.leaderboards.models import (
    LeaderboardArchiveEntry,
    LeaderboardPeriod,
    LeaderboardStanding,
)

Table = type[LeaderboardStanding] | type[LeaderboardArchiveEntry]
# Serialises leaderboard writers on PostgreSQL (SQLite writers are serialised by BEGIN
# IMMEDIATE): an update and a reset that overlap would otherwise insert the same keys.
LOCK_KEY = 0x53504C42  # "SPLB"


@dataclass(frozen=True)
class Ranked:
    user_id: uuid.UUID
    score: int
    rank: int
    position: int


@dataclass(frozen=True)
class UserSummary:
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None


async def lock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


async def fill(
    session: AsyncSession,
    table: Table,
    period: str,
    start: datetime,
    end: datetime | None,
) -> int:
    """Write the standings of `period` starting at `start` into `table`, computed in the
    database from `scoring.scores`; returns how many users are ranked."""
    source = scoring.scores(start, end).subquery("scores")
    ranked = select(
        literal(period, String(16)),
        literal(start, table.period_start.type),
        source.c.user_id,
        source.c.score,
        func.rank().over(order_by=source.c.score.desc()),
        func.row_number().over(order_by=(source.c.score.desc(), source.c.user_id.desc())),
    ).where(source.c.score > 0)
    columns = ["period", "period_start", "user_id", "score", "rank", "position"]
    await session.execute(insert(table).from_select(columns, ranked))
    return await count(session, table, period, start)


async def count(session: AsyncSession, table: Table, period: str, start: datetime) -> int:
    stmt = select(func.count()).where(table.period == period, table.period_start == start)
    return int(await session.scalar(stmt) or 0)


async def clear(session: AsyncSession, table: Table, period: str, start: datetime | None) -> None:
    """Delete `period`'s rows of `table` (of one period start, or all of them)."""
    stmt = delete(table).where(table.period == period)
    if start is not None:
        stmt = stmt.where(table.period_start == start)
    await session.execute(stmt.execution_options(synchronize_session=False))


async def save_period(session: AsyncSession, **values: Any) -> None:
    """Insert or update the row of (`period`, `period_start`) in `leaderboard_periods`."""
    dialect = session.get_bind().dialect.name
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dml(LeaderboardPeriod).values(**values)
    keys = ("period", "period_start")
    changes = {k: getattr(stmt.excluded, k) for k in values if k not in keys}
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))


async def get_period(
    session: AsyncSession, period: str, start: datetime
) -> LeaderboardPeriod | None:
    return await session.scalar(
        select(LeaderboardPeriod)
        .where(LeaderboardPeriod.period == period, LeaderboardPeriod.period_start == start)
        # Rows are written by Core upserts: never serve a stale copy from the identity map.
        .execution_options(populate_existing=True)
    )


async def latest_archived(session: AsyncSession, period: str) -> LeaderboardPeriod | None:
    return await session.scalar(
        select(LeaderboardPeriod)
        .where(LeaderboardPeriod.period == period, LeaderboardPeriod.archived_at.is_not(None))
        .order_by(LeaderboardPeriod.period_start.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def archived_starts(session: AsyncSession, period: str, limit: int) -> list[datetime]:
    """The newest archived period starts of `period`, newest first."""
    rows = await session.scalars(
        select(LeaderboardPeriod.period_start)
        .where(LeaderboardPeriod.period == period, LeaderboardPeriod.archived_at.is_not(None))
        .order_by(LeaderboardPeriod.period_start.desc())
        .limit(limit)
    )
    return list(rows.all())


async def page(
    session: AsyncSession, table: Table, period: str, start: datetime, after: int, limit: int
) -> list[Ranked]:
    """Up to `limit` rows after position `after`, in order (the unique position index)."""
    rows = await session.execute(
        select(table.user_id, table.score, table.rank, table.position)
        .where(table.period == period, table.period_start == start, table.position > after)
        .order_by(table.position)
        .limit(limit)
    )
    return [Ranked(*row) for row in rows.all()]


async def standing(
    session: AsyncSession, table: Table, period: str, start: datetime, user_id: uuid.UUID
) -> Ranked | None:
    row = (
        await session.execute(
            select(table.user_id, table.score, table.rank, table.position).where(
                table.period == period, table.period_start == start, table.user_id == user_id
            )
        )
    ).first()
    return Ranked(*row) if row else None


async def users(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, UserSummary]:
    """Name, display name and avatar of the live accounts among `ids` (one query)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.username, Profile.display_name, Profile.avatar_url)
        .join(Profile, Profile.user_id == User.id)
        .where(User.id.in_(ids), User.deleted_at.is_(None))
    )
    return {row[0]: UserSummary(*row) for row in rows.all()}
