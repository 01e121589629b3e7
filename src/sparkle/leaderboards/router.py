"""`/api/leaderboards`: current standings per period, the caller's place, archived periods."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from sparkle.auth.deps import CurrentUser
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import Unauthorized, ValidationFailed, problem_responses
from sparkle.leaderboards import service, store
from sparkle.leaderboards.errors import PeriodNotArchived
from sparkle.leaderboards.periods import Period
from sparkle.leaderboards.schemas import (
    ArchivedLeaderboardPage,
    LeaderboardPage,
    LeaderboardStandingRead,
)

router = APIRouter(prefix="/api/leaderboards", tags=["leaderboards"])

Cursor = Annotated[str | None, Query(max_length=200, description="`nextCursor` of the last page")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_LIMIT)]


@router.get(
    "/{period}",
    response_model=LeaderboardPage,
    summary="A leaderboard's current standings",
    responses=problem_responses(ValidationFailed),
)
async def board(
    period: Period, db: DbSession, rt: RuntimeDep, cursor: Cursor = None, limit: Limit = 20
) -> LeaderboardPage:
    """`period`: `daily` (since 00:00 UTC), `weekly` (since Monday 00:00 UTC), `monthly`
    (since the 1st) or `all_time`. Standings are recomputed hourly from community activity:
    reactions and comments received, new followers, posts published. Best first; tied scores
    share a rank."""
    return await service.board(db, store.get(rt), period, cursor=cursor, limit=limit)


@router.get(
    "/{period}/me",
    response_model=LeaderboardStandingRead,
    summary="My rank and score on a leaderboard",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def my_standing(
    period: Period, db: DbSession, rt: RuntimeDep, user: CurrentUser
) -> LeaderboardStandingRead:
    """`rank` is null (and `score` 0) while the caller has no score on this board."""
    return await service.my_standing(db, store.get(rt), user.id, period)


@router.get(
    "/{period}/history",
    response_model=ArchivedLeaderboardPage,
    summary="The final standings of a finished period",
    responses=problem_responses(ValidationFailed, PeriodNotArchived),
)
async def history(
    period: Period,
    db: DbSession,
    period_start: Annotated[
        datetime | None,
        Query(
            alias="periodStart",
            description="Any instant of the wanted period (ISO 8601; naive means UTC); "
            "the latest archived period when absent",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> ArchivedLeaderboardPage:
    """Periods that end (`daily`, `weekly`, `monthly`) are archived by `leaderboard.reset`
    when they do; 404 for a period that was not."""
    if period_start is not None and period_start.tzinfo is None:
        period_start = period_start.replace(tzinfo=UTC)
    return await service.history(db, period, period_start=period_start, cursor=cursor, limit=limit)
