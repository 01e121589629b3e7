"""The PostgreSQL queue's sweep takes turns across processes: while another process sweeps a
queue this one leaves it alone, and a sweep holds the queue's lock only while it runs, so the
next sweep may come from any process (a lock kept on a pooled connection would be lost
silently when the pool recycles that connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from saq.job import Status
from saq.utils import now

from sparkle.core.queue.broker import Broker


@pytest.fixture(params=["postgres"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def another_process(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        yield conn
    finally:
        await conn.close()


async def try_sweep_lock(conn: asyncpg.Connection, keyspace: int, queue: str) -> bool:
    query = "SELECT pg_try_advisory_lock($1, hashtext($2))"
    return bool(await conn.fetchval(query, keyspace, queue))


async def test_sweeps_take_turns_and_hold_no_lock_between_them(
    broker: Broker, broker_database: str
) -> None:
    queue = broker.queue("analytics")
    job_queue, job = broker.make_job("testjobs.record", {"n": 1}, job_key="orphan")
    assert job_queue is queue and await queue.enqueue(job) is not None
    claimed = await queue.dequeue()  # started by a worker that then died, long ago
    assert claimed is not None
    await claimed.update(status=Status.ACTIVE, timeout=1, started=now() - 60_000, attempts=1)

    async with another_process(broker_database) as other:
        # Another process is sweeping this queue: this one leaves the orphan alone.
        assert await try_sweep_lock(other, queue.saq_lock_keyspace, queue.name)
        assert await queue.sweep(lock=1) == []
        assert (await queue.job("orphan")).status == Status.ACTIVE
        await other.execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))", queue.saq_lock_keyspace, queue.name
        )

        # Its sweep over, this process sweeps and queues the orphan again...
        assert await queue.sweep(lock=1) == [claimed.id]
        assert (await queue.job("orphan")).status == Status.QUEUED
        # ...and leaves the lock free for whichever process sweeps next.
        assert await try_sweep_lock(other, queue.saq_lock_keyspace, queue.name)
