"""Liveness and readiness probes, with and without Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from sparkle.core.runtime import Runtime
from tests.fixtures.database import redis_url, skip_or_fail


@pytest.fixture
async def dead_redis(rt: Runtime) -> AsyncIterator[None]:
    """A Redis client pointing at a port nothing listens on."""
    rt.redis = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        yield
    finally:
        await rt.redis.aclose()
        rt.redis = None


@pytest.fixture
async def live_redis(rt: Runtime) -> AsyncIterator[None]:
    url = redis_url()
    if not url:
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    rt.redis = aioredis.from_url(url)
    try:
        yield
    finally:
        await rt.redis.aclose()
        rt.redis = None


async def test_liveness(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


async def test_readiness_without_redis(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health/ready")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "components": {"database": "ok"}}


@pytest.mark.usefixtures("dead_redis")
async def test_readiness_names_dead_redis(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health/ready")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis"]
    assert body["components"]["database"] == "ok"
    assert body["components"]["redis"].startswith("error")


@pytest.mark.usefixtures("live_redis")
async def test_readiness_with_live_redis(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health/ready")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "components": {"database": "ok", "redis": "ok"}}
