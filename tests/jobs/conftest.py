"""Brokers for the job system's tests: the SQLite file and, when configured, Redis (a
database index of its own, emptied per test)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from sparkle.core import jobs
from sparkle.core.queue import spec
from sparkle.core.queue.broker import Broker
from tests.conftest import make_settings
from tests.fixtures.database import empty_database
from tests.jobs import handlers

BROKERS = ["sqlite", "redis", "postgres"]


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until `predicate()` is true, checking every 20 ms; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def redis_url() -> str | None:
    url = os.environ.get("SPARKLE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("SPARKLE_REQUIRE_SERVICES"):
            pytest.fail("SPARKLE_TEST_REDIS_URL is required")
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 11 + int(worker[2:] or 0) if worker.startswith("gw") else 11
    return url.rsplit("/", 1)[0] + f"/{index}"


def broker_env(kind: str, data_dir: Path) -> dict[str, str]:
    """Environment for settings (and worker processes) using broker `kind`."""
    env = {
        "SPARKLE_DATA_DIR": str(data_dir),
        "JOBS_BACKEND": kind,
        "JOBS_SWEEP_SECONDS": "1",
        "JOBS_ABORT_WAIT_SECONDS": "1",
        "JOBS_OUTBOX_SECONDS": "1",
    }
    if kind == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("Redis is not configured")
        env["REDIS_URL"] = url
    return env


@pytest.fixture(params=BROKERS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def broker_database(broker_kind: str, tmp_path: Path) -> AsyncIterator[str | None]:
    """A PostgreSQL database of its own for the PostgreSQL broker's tables."""
    if broker_kind != "postgres":
        yield None
        return
    async for url in empty_database("postgres", tmp_path, "jobs"):
        yield url


@pytest.fixture
async def broker(
    broker_kind: str, broker_database: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Broker]:
    """A connected, empty broker installed as the job system's (jobs are persisted)."""
    env = broker_env(broker_kind, tmp_path / "jobs")
    if broker_database:
        env["DATABASE_URL"] = broker_database
    settings = make_settings(
        tmp_path / "jobs", **{k: v for k, v in env.items() if k != "SPARKLE_DATA_DIR"}
    )
    b = Broker.from_settings(settings, poll_interval=0.01)
    await b.connect()
    if broker_kind == "redis":
        await b.queues["analytics"].redis.flushdb()
    for q in b.queues.values():
        q.abort_wait = 1
        q.pause_poll = 0.1
    monkeypatch.setattr(spec, "RETRY_DELAY", 0.05)
    handlers.RAN.clear()
    handlers.FAILED.clear()
    jobs.install(b)
    jobs.configure(inline=False)
    try:
        yield b
    finally:
        jobs.configure(inline=True)
        jobs.install(None)
        await b.close()
