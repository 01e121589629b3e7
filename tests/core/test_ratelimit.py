"""The limiter on both storages: in-process memory and Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from limits import parse

from sparkle.core.errors import TooManyRequests
from sparkle.core.ratelimit import Limiter
from tests.fixtures.database import redis_url, skip_or_fail

THREE_PER_MINUTE = parse("3/minute")


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        yield Limiter.from_url(None)
        return
    url = redis_url()
    if not url:
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    yield Limiter.from_url(url)


def key() -> str:
    """Keys are unique per test so runs never share counters in a shared Redis."""
    return f"test-{uuid.uuid4().hex}"


async def test_storage_kind(limiter: Limiter, request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["limiter"]
    assert type(limiter.storage).__name__ == (
        "MemoryStorage" if kind == "memory" else "RedisStorage"
    )
    assert await limiter.ping() is True


async def test_allows_up_to_the_limit_then_429(limiter: Limiter) -> None:
    k = key()
    for _ in range(3):
        await limiter.hit(THREE_PER_MINUTE, "scope", k)
    with pytest.raises(TooManyRequests) as info:
        await limiter.hit(THREE_PER_MINUTE, "scope", k)
    err = info.value
    assert err.status == 429
    retry_after = int(err.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert err.to_problem()["retryAfter"] == retry_after


async def test_keys_are_independent(limiter: Limiter) -> None:
    first, second = key(), key()
    for _ in range(3):
        await limiter.hit(THREE_PER_MINUTE, "scope", first)
    await limiter.hit(THREE_PER_MINUTE, "scope", second)
    await limiter.hit(THREE_PER_MINUTE, "other-scope", first)
    with pytest.raises(TooManyRequests):
        await limiter.hit(THREE_PER_MINUTE, "scope", first)


async def test_clear_resets_the_window(limiter: Limiter) -> None:
    k = key()
    for _ in range(3):
        await limiter.hit(THREE_PER_MINUTE, "scope", k)
    await limiter.clear(THREE_PER_MINUTE, "scope", k)
    await limiter.hit(THREE_PER_MINUTE, "scope", k)


async def test_disabled_limiter_never_refuses(limiter: Limiter) -> None:
    limiter.enabled = False
    k = key()
    for _ in range(10):
        await limiter.hit(THREE_PER_MINUTE, "scope", k)


async def test_two_limiters_share_redis_counters() -> None:
    """In the distributed mode every process sees the same counters."""
    url = redis_url()
    if not url:
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    one, two = Limiter.from_url(url), Limiter.from_url(url)
    k = key()
    for _ in range(3):
        await one.hit(THREE_PER_MINUTE, "scope", k)
    with pytest.raises(TooManyRequests):
        await two.hit(THREE_PER_MINUTE, "scope", k)
