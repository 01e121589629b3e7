"""The `feed.recompute_trending` job, scheduled every 5 minutes, and a ticker that runs it in
a loop without a job broker."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from pydantic import BaseModel, ConfigDict

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope
from sparkle.feed import service

log = structlog.get_logger(__name__)

RECOMPUTE_TRENDING = "feed.recompute_trending"
TRENDING_INTERVAL_SECONDS = 300.0


class RecomputeTrending(BaseModel):
    model_config = ConfigDict(extra="forbid")


@jobs.job(RECOMPUTE_TRENDING, queue="analytics", payload=RecomputeTrending)
async def recompute_trending(payload: RecomputeTrending) -> None:
    """Replace the trending scores with fresh ones, in one transaction."""
    async with session_scope(runtime.get().sessions) as session:
        scored = await service.recompute_trending(session)
    log.info("trending_recomputed", posts=scored)


jobs.cron(RECOMPUTE_TRENDING, "*/5 * * * *", description="Trending scores, every 5 minutes")


async def _tick(interval: float) -> None:
    job = jobs.REGISTRY[RECOMPUTE_TRENDING]
    while True:
        try:
            await job.handler(job.payload())
        except Exception:
            # A failed run keeps the previous scores; the next tick tries again.
            log.exception("job_failed", job=RECOMPUTE_TRENDING)
        await asyncio.sleep(interval)


def start_ticker(interval: float = TRENDING_INTERVAL_SECONDS) -> asyncio.Task[None]:
    """Run the trending job now and then every `interval` seconds, in the background."""
    return asyncio.get_running_loop().create_task(_tick(interval), name="trending-ticker")


async def stop_ticker(task: asyncio.Task[None]) -> None:
    """Stop the ticker, waiting for a run in progress to be cancelled (its transaction rolls
    back, keeping the previous scores)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
