"""Two server processes sharing PostgreSQL and Redis: rooms, emits and presence span both; a
killed process's users go offline within the presence TTL; workers emit write-only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from sparkle import realtime
from sparkle.core import jobs, runtime
from tests.conftest import make_settings
from tests.factories.accounts import create_account
from tests.factories.content import create_post
from tests.fixtures.database import (
    ROOT,
    empty_database,
    postgres_admin_url,
    redis_url,
    run_alembic,
    skip_or_fail,
)
from tests.realtime.conftest import Client, free_port

SECRET = "scale-out-secret-key-that-is-long-enough-0123456789"
TTL = 3


def redis_db_url() -> str:
    url = redis_url() or ""
    base, _, _ = url.rpartition("/")
    return f"{base}/7"


def start(port: int, data_dir: Path, database_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARKLE_TEST_", "PYTEST"))}
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        SPARKLE_BASE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=database_url,
        REDIS_URL=redis_db_url(),
        SECRET_KEY=SECRET,
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        SPARKLE_RATE_LIMITS="false",
        REALTIME_HEARTBEAT_SECONDS="1",
        REALTIME_PRESENCE_TTL=str(TTL),
        REALTIME_PRESENCE_THROTTLE="0.2",
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "sparkle.app:create_app",
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws-per-message-deflate",
        "false",
    ]
    log = (data_dir.parent / f"server-{port}.log").open("wb")  # kept with the test's tmp_path
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240  # a busy machine imports slowly
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start")


@pytest.fixture
async def cluster(
    tmp_path: Path,
) -> AsyncIterator[tuple[list[str], list[subprocess.Popen[bytes]], runtime.Runtime]]:
    if not postgres_admin_url():
        skip_or_fail("PostgreSQL (SPARKLE_TEST_POSTGRES_URL)")
    if not redis_url():
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    r = aioredis.from_url(redis_db_url())
    async for key in r.scan_iter(match="sparkle:presence:*"):
        await r.delete(key)
    await r.aclose()
    async for url in empty_database("postgres", tmp_path, "scaleout"):
        await run_alembic(url, "upgrade", "head")
        data_dir = tmp_path / "var"
        data_dir.mkdir()
        ports = [free_port(), free_port()]
        processes = [start(p, data_dir, url) for p in ports]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        settings = make_settings(
            tmp_path / "test-var",
            DATABASE_URL=url,
            REDIS_URL=redis_db_url(),
            SECRET_KEY=SECRET,
            SPARKLE_RATE_LIMITS=False,
        )
        rt = runtime.build(settings)
        runtime.install(rt)
        jobs.configure(inline=True)
        try:
            for u, p in zip(urls, processes, strict=True):
                wait_up(u, p)
            yield urls, processes, rt
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            await rt.close()


async def test_two_processes_share_rooms_presence_and_emits(cluster) -> None:  # type: ignore[no-untyped-def]
    (url_a, url_b), processes, rt = cluster
    fan = await create_account(rt, username="scale_fan")
    star = await create_account(rt, username="scale_star")
    post = await create_post(rt, star.user)
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{url_b}/api/users/{star.id}/follow", headers=fan.headers)
        assert r.status_code == 200, r.text

        fan_client = Client()
        await fan_client.connect(url_a, fan.access_token)
        assert (await fan_client.call("subscribeToPost", str(post.id)))["ok"] is True

        # Presence computed on B reaches a follower on A.
        star_client = Client()
        await star_client.connect(url_b, star.access_token)
        assert (await fan_client.wait_for("userOnline", lambda d: d["userId"] == str(star.id)))[
            "status"
        ] == "online"

        # An HTTP call on B reaches a room member on A.
        r = await http.post(
            f"{url_b}/api/posts/{post.id}/comments",
            json={"content": "from B"},
            headers=star.headers,
        )
        assert r.status_code == 201, r.text
        assert (await fan_client.wait_for("commentCreated"))["content"] == "from B"

        # Both processes agree on presence.
        seen = []
        for u in (url_a, url_b):
            body = (
                await http.get(
                    f"{u}/api/presence",
                    params={"userIds": f"{star.id},{fan.id}"},
                    headers=fan.headers,
                )
            ).json()["presence"]
            seen.append({k: (v["status"], v["devices"]) for k, v in body.items()})
        assert seen[0] == seen[1] == {str(star.id): ("online", 1), str(fan.id): ("online", 1)}

        # A worker process (no hub here) emits through the write-only manager.
        await realtime.emit(
            "postUpdated",
            {"postId": str(post.id), "status": "PUBLISHED", "changes": ["x"]},
            f"post:{post.id}",
        )
        assert (await fan_client.wait_for("postUpdated"))["changes"] == ["x"]

        # B dies without a goodbye: its user goes offline within the TTL, A's users are unaffected.
        processes[1].send_signal(signal.SIGKILL)
        processes[1].wait()
        started = time.monotonic()
        offline = await fan_client.wait_for(
            "userOffline", lambda d: d["userId"] == str(star.id), timeout=TTL + 5
        )
        assert offline["userId"] == str(star.id)
        assert time.monotonic() - started <= TTL + 3
        body = (
            await http.get(
                f"{url_a}/api/presence",
                params={"userIds": f"{star.id},{fan.id}"},
                headers=fan.headers,
            )
        ).json()["presence"]
        assert body[str(star.id)]["status"] == "offline"
        assert body[str(fan.id)]["status"] == "online"
        assert fan_client.sio.connected
        assert (await fan_client.call("getPresence", [str(fan.id)]))[str(fan.id)]["devices"] == 1

        # A is stopped gracefully: its clients are told to reconnect elsewhere before it closes.
        processes[0].send_signal(signal.SIGTERM)
        assert await fan_client.wait_for("serverShutdown")
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert processes[0].wait(30) in (0, -signal.SIGTERM)
        await fan_client.close()
        await star_client.sio.eio.disconnect(abort=True)
    assert uuid.UUID(str(post.id))
