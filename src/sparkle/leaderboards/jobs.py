"""Leaderboard jobs on the seed's `leaderboard` queue: `leaderboard.update` (hourly) recomputes
every current board, `leaderboard.reset` (daily and weekly at 00:00 UTC as the seed schedules,
and monthly on the 1st) archives the period that just ended. Both are idempotent; after the
commit the Redis mirror, when configured, receives the new standings."""

from __future__ import annotations

from datetime import datetime

import structlog
from pydantic import BaseModel, ConfigDict, Field

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.leaderboards import service, store
from sparkle.leaderboards.periods import RESETTABLE, Period

log = structlog.get_logger(__name__)

QUEUE = "leaderboard"
UPDATE = "leaderboard.update"
RESET = "leaderboard.reset"


class Update(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    periods: list[Period] | None = Field(None, description="Boards to recompute; all by default")


class Reset(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period: Period
    period_start: datetime | None = Field(
        None,
        alias="periodStart",
        description="Archive the period containing this instant instead of the one just ended",
    )


async def _mirror(now: datetime, periods: list[Period]) -> None:
    rt = runtime.get()
    mirror = store.get(rt)
    if mirror is None:
        return
    async with rt.sessions() as session:
        await service.mirror_current(session, mirror, now=now, periods=periods)


@jobs.job(UPDATE, queue=QUEUE, payload=Update)
async def update(payload: Update) -> None:
    """Recompute the current standings (one transaction), then refresh the Redis mirror."""
    now = utcnow()
    periods = payload.periods or list(Period)
    async with session_scope(runtime.get().sessions) as session:
        ranked = await service.update(session, now=now, periods=periods)
    await _mirror(now, periods)
    log.info("leaderboards_updated", **{p.value: n for p, n in ranked.items()})


@jobs.job(RESET, queue=QUEUE, payload=Reset)
async def reset(payload: Reset) -> None:
    """Archive the finished period and start the new one, then refresh the Redis mirror."""
    if payload.period not in RESETTABLE:
        log.warning("leaderboard_reset_ignored", period=payload.period.value)
        return
    now = utcnow()
    async with session_scope(runtime.get().sessions) as session:
        archived = await service.reset(
            session, payload.period, now=now, period_start=payload.period_start
        )
    await _mirror(now, [payload.period])
    log.info("leaderboard_reset", period=payload.period.value, archived=archived)


jobs.cron(UPDATE, "0 * * * *", description="Leaderboard standings, hourly")
jobs.cron(RESET, "0 0 * * *", {"period": "daily"}, description="Daily leaderboard reset, 00:00")
jobs.cron(
    RESET, "0 0 * * 1", {"period": "weekly"}, description="Weekly leaderboard reset, Mon 00:00"
)
jobs.cron(
    RESET, "0 0 1 * *", {"period": "monthly"}, description="Monthly leaderboard reset, 1st 00:00"
)
