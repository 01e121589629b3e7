"""Concurrent writers on the embedded SQLite database: every unit of work commits, none is
lost to a read-modify-write race or a "database is locked" error, and a writer that fails
or is cancelled lets the next one go at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core.db import create_engine, session_scope
from sparkle.core.db.engine import sessionmaker

WRITERS = 60


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writes.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        await conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    await engine.dispose()


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT n FROM counter"))).scalar_one())


async def increment(engine: AsyncEngine, *, fail: bool = False) -> None:
    """Read, yield to the loop, then write what was read plus one."""
    async with session_scope(sessionmaker(engine)) as session:
        n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
        await asyncio.sleep(0)
        await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        if fail:
            raise RuntimeError("handler failed after writing")


async def test_concurrent_writers_all_commit_without_losing_an_update(
    engine: AsyncEngine,
) -> None:
    async with asyncio.timeout(60):
        await asyncio.gather(*(increment(engine) for _ in range(WRITERS)))
    assert await count(engine) == WRITERS


async def test_a_failed_or_cancelled_writer_lets_the_next_one_go(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        await increment(engine, fail=True)
    assert await count(engine) == 0  # rolled back

    started = asyncio.Event()

    async def stuck() -> None:
        async with session_scope(sessionmaker(engine)) as session:
            await session.execute(text("UPDATE counter SET n = n + 100"))
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # Well inside SQLite's 30 s busy timeout: the lock was handed on, not waited out.
    async with asyncio.timeout(5):
        await asyncio.gather(*(increment(engine) for _ in range(5)))
    assert await count(engine) == 5


def test_writers_work_again_in_a_new_event_loop(tmp_path: Path) -> None:
    async def scenario() -> int:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'loops.db'}")
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER)")
                )
                await conn.execute(text("INSERT OR IGNORE INTO counter VALUES (1, 0)"))
            await asyncio.gather(*(increment(engine) for _ in range(3)))
            return await count(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == 3
    assert asyncio.run(scenario()) == 6
