"""The named queues (seed 003) with their concurrency and per-attempt limits, and the job
options every job carries (DESIGN §7a: 3 attempts, exponential backoff from 2 s with jitter,
completed jobs kept 1 h / last 100, failed jobs kept 24 h with their traceback)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    name: str
    concurrency: int
    timeout: int  # seconds one attempt may run before it is abandoned
    heartbeat: int = 0  # seconds without a heartbeat after which a long job is taken as dead


QUEUES: dict[str, QueueSpec] = {
    spec.name: spec
    for spec in (
        QueueSpec("email", 5, 60),
        QueueSpec("notification", 10, 30),
        QueueSpec("image-processing", 2, 120),
        QueueSpec("video-processing", 1, 1800, heartbeat=60),
        QueueSpec("analytics", 20, 120),
        QueueSpec("cleanup", 1, 600),
        QueueSpec("achievement", 5, 30),
        QueueSpec("leaderboard", 3, 120),
        QueueSpec("youtube-sync", 2, 900, heartbeat=60),
        QueueSpec("content-moderation", 5, 60),
    )
}

ATTEMPTS = 3  # SAQ's `retries` counts attempts in total
RETRY_DELAY = 2.0
RETRY_BACKOFF = True
COMPLETED_TTL = 3600
COMPLETED_KEEP = 100
FAILED_TTL = 24 * 3600
