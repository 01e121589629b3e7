"""Platform maintenance jobs: log rotation (`cleanup.old_logs`), and the seed's documented cron
schedules, which `sparkle jobs schedule` checks against what the domains registered."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, Field

from sparkle.core import jobs, runtime

log = structlog.get_logger(__name__)


class OldLogs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int | None = Field(None, ge=1, description="Age limit; LOG_RETENTION_DAYS by default")


def remove_old_logs(directory: Path, days: int, *, now: float | None = None) -> list[Path]:
    """Delete log files (rotated or not) under `directory` not written for `days` days. The
    live log is kept even when idle, truncated instead, so a writer's handle stays valid."""
    cutoff = (now or time.time()) - days * 86400
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        if path.name == "sparkle.log":
            path.write_bytes(b"")
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@jobs.job("cleanup.old_logs", queue="cleanup", payload=OldLogs)
async def old_logs(payload: OldLogs) -> None:
    settings = runtime.get().settings
    days = payload.days or settings.log_retention_days
    removed = remove_old_logs(settings.data_dir / "logs", days)
    log.info("old_logs_removed", files=len(removed), days=days)


jobs.cron("cleanup.old_logs", "0 3 * * 0", description="Old log files, Sundays 03:00")


@dataclass(frozen=True)
class SeedSchedule:
    queue: str
    cron: str
    what: str


# Seed 003 `scheduleRecurringJobs()` plus the weekly digest of issue 4.
SEED_SCHEDULES = [
    SeedSchedule("cleanup", "0 2 * * *", "expired notifications, daily 02:00"),
    SeedSchedule("cleanup", "0 3 * * 0", "old logs, Sundays 03:00"),
    SeedSchedule("cleanup", "0 * * * *", "temporary files, hourly"),
    SeedSchedule("leaderboard", "0 * * * *", "leaderboard update, hourly"),
    SeedSchedule("leaderboard", "0 0 * * *", "daily leaderboard reset, midnight"),
    SeedSchedule("leaderboard", "0 0 * * 1", "weekly leaderboard reset, Mondays 00:00"),
    SeedSchedule("email", "*", "weekly email digest"),
]


def seed_coverage() -> list[tuple[SeedSchedule, jobs.Schedule | None]]:
    """Each documented schedule with the registered schedule that serves it, if any."""
    out = []
    for seed in SEED_SCHEDULES:
        match = next(
            (
                s
                for s in jobs.SCHEDULES
                if s.name in jobs.REGISTRY
                and jobs.REGISTRY[s.name].queue == seed.queue
                and (seed.cron == "*" or s.cron == seed.cron)
                and (seed.cron != "*" or "digest" in s.name)
            ),
            None,
        )
        out.append((seed, match))
    return out
