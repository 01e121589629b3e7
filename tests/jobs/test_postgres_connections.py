"""The PostgreSQL broker's connections stay bounded: two brokers (as two processes would have)
with workers on all ten queues hold at most `JOBS_PG_POOL_SIZE` pooled connections plus one
listening connection each, busy or idle, and the shared listener still wakes an idle worker
as soon as a job is enqueued."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import BaseModel

from sparkle.core import jobs
from sparkle.core.queue import spec
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.postgres import APPLICATION_NAME
from sparkle.core.queue.worker import JobWorker
from tests.conftest import make_settings
from tests.fixtures.database import empty_database

POOL_SIZE = 3
DONE: list[tuple[str, int, float]] = []


class Numbered(BaseModel):
    n: int


def register(queue: str) -> None:
    name = f"testjobs.pg.{queue}"
    if name in jobs.REGISTRY:
        return

    async def handle(p: Numbered) -> None:
        DONE.append((queue, p.n, time.monotonic()))

    jobs.job(name, queue=queue, payload=Numbered)(handle)


for _queue in spec.QUEUES:
    register(_queue)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[str]:
    async for url in empty_database("postgres", tmp_path, "jobconn"):
        yield url


async def connections(url: str) -> int:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                APPLICATION_NAME,
            )
        )
    finally:
        await conn.close()


async def listening(url: str) -> int:
    """Connections of the brokers whose last statement was a LISTEN (the listeners, idle)."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = $1 AND state = 'idle' AND query ILIKE 'LISTEN%'",
                APPLICATION_NAME,
            )
        )
    finally:
        await conn.close()


@pytest.fixture
async def workers(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[list[Broker]]:
    """Two brokers, each with workers on every queue."""
    monkeypatch.setattr(jobs, "SCHEDULES", [])
    DONE.clear()
    settings = make_settings(
        tmp_path,
        DATABASE_URL=database,
        JOBS_BACKEND="postgres",
        JOBS_PG_POOL_SIZE=POOL_SIZE,
    )
    brokers: list[Broker] = []
    runners: list[JobWorker] = []
    try:
        for _ in range(2):
            broker = Broker.from_settings(settings)
            await broker.connect()
            runner = JobWorker(broker, None, shutdown_grace=1)
            for w in runner.workers:
                # Without a notification an idle worker would look again only after 30 s.
                w.dequeue_timeout = 30
                w.timers["schedule"] = 30
            await runner.start()
            brokers.append(broker)
            runners.append(runner)
        yield brokers
    finally:
        for runner in runners:
            await runner.stop()
        for broker in brokers:
            await broker.close()


async def test_connections_stay_bounded_and_notifications_wake_idle_workers(
    workers: list[Broker], database: str
) -> None:
    bound = len(workers) * (POOL_SIZE + 1)
    producer = workers[0]
    deadline = time.monotonic() + 20
    while await listening(database) < len(workers):  # every broker's listener is up
        assert time.monotonic() < deadline, "the listeners did not start"
        await asyncio.sleep(0.02)
    assert await connections(database) <= bound

    # A burst on every queue at once.
    peak = 0
    count = 20
    for n in range(count):
        for queue in spec.QUEUES:
            await producer.enqueue(f"testjobs.pg.{queue}", {"n": n}, job_key=f"{queue}-{n}")
    deadline = time.monotonic() + 60
    while len(DONE) < count * len(spec.QUEUES):
        assert time.monotonic() < deadline, f"only {len(DONE)} jobs ran"
        peak = max(peak, await connections(database))
        await asyncio.sleep(0.05)
    assert sorted({(q, n) for q, n, _ in DONE}) == sorted(
        (q, n) for q in spec.QUEUES for n in range(count)
    )
    assert 0 < peak <= bound

    # Idle workers on every queue are woken by the enqueue's notification, not by a poll.
    # The pause is part of the behaviour under test, not synchronisation: a worker still in
    # its loop after the burst would find the job without any notification, and nothing
    # observable marks "every worker is back in its 30 s wait".
    await asyncio.sleep(1.5)
    DONE.clear()
    started = time.monotonic()
    for queue in spec.QUEUES:
        await producer.enqueue(f"testjobs.pg.{queue}", {"n": 99}, job_key=f"{queue}-late")
    deadline = started + 10
    while len(DONE) < len(spec.QUEUES):
        assert time.monotonic() < deadline, f"woken on {sorted(q for q, _, _ in DONE)} only"
        await asyncio.sleep(0.02)
    assert await connections(database) <= bound
