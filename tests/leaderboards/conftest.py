"""Leaderboard fixtures: the standings reader, SQL alone (embedded) or the Redis mirror
(distributed), installed in the runtime so jobs, the API and the page all use it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from sparkle.core.runtime import Runtime
from sparkle.leaderboards.periods import Period
from sparkle.leaderboards.store import RedisMirror
from tests.fixtures.database import redis_url, skip_or_fail


async def _installed_mirror(rt: Runtime) -> AsyncIterator[RedisMirror]:
    url = redis_url()
    if not url:
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    found = RedisMirror(client, prefix=f"test:{uuid.uuid4().hex}:leaderboard:")
    rt.extras["leaderboards.mirror"] = found
    try:
        yield found
    finally:
        rt.extras.pop("leaderboards.mirror", None)
        for period in Period:
            await client.delete(found._board(period.value), found._meta(period.value))
        await client.aclose()


@pytest.fixture
async def redis_mirror(rt: Runtime) -> AsyncIterator[RedisMirror]:
    """The distributed mode's mirror, on a key prefix of its own."""
    async for found in _installed_mirror(rt):
        yield found


@pytest.fixture(params=["sql", "redis"])
async def mirror(request: pytest.FixtureRequest, rt: Runtime) -> AsyncIterator[RedisMirror | None]:
    """Each mode in turn: None (SQL only, embedded) or the Redis mirror (distributed)."""
    if request.param == "sql":
        yield None
        return
    async for found in _installed_mirror(rt):
        yield found
