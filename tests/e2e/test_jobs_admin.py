"""An administrator opens the job queues page of a real server (embedded worker on the SQLite
jobs file): sees the counts per queue and a failed job with its error, retries it, and pauses
and resumes a queue, in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.test_signup_flow import (  # noqa: F401  (fixtures)
    Server,
    browser,
    chromium_path,
    free_port,
    stop_server,
    wait_until_up,
    watch_console,
)
from tests.fixtures.database import ROOT, run_alembic
from tests.web.assets import ensure_assets

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "queue-admin@example.com"
ADMIN_PASSWORD = "orbiting-sparkle-queues-42"


def server_env(data_dir: Path, port: int) -> dict[str, str]:
    unset = ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "SPARKLE_ENV")
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("JOBS_")}
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        SPARKLE_BASE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="e2e-secret-key-that-is-long-enough-0123456789",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        JOBS_IMPORT=json.dumps(["tests.jobs.handlers"]),
        JOBS_TEST_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
async def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    ensure_assets()
    data_dir = tmp_path_factory.mktemp("e2e-jobs") / "var"
    data_dir.mkdir()
    await run_alembic(f"sqlite+aiosqlite:///{data_dir / 'sparkle.db'}", "upgrade", "head")
    port = free_port()
    env = server_env(data_dir, port)
    sparkle = str(Path(sys.executable).parent / "sparkle")
    await asyncio.to_thread(
        subprocess.run,
        [
            sparkle,
            "create-admin",
            "--email",
            ADMIN_EMAIL,
            "--username",
            "queue_admin",
            "--password",
            ADMIN_PASSWORD,
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    app = ["--factory", "sparkle.app:create_app", "--no-access-log"]
    command = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port)]
    log = data_dir.parent / "server.log"
    process = spawn(command, env, log)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, process, log, timeout=60)
        yield Server(base_url=base_url, data_dir=data_dir)
    finally:
        stop_server(process)


async def test_admin_sees_retries_and_pauses_jobs(jobs_server: Server, browser: Browser) -> None:  # noqa: F811
    base = jobs_server.base_url
    async with httpx.AsyncClient(base_url=base) as api:
        r = await api.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['tokens']['accessToken']}"}
        r = await api.post(
            "/api/admin/jobs",
            json={"queue": "analytics", "job": "testjobs.fail", "data": {"n": 4}},
            headers=headers,
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["jobId"]
        for _ in range(150):  # three attempts with backoff
            stats = (await api.get("/api/admin/jobs", headers=headers)).json()
            if stats["analytics"]["failed"] == 1:
                break
            await asyncio.sleep(0.1)
        assert stats["analytics"]["failed"] == 1

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems = watch_console(page)
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(ADMIN_EMAIL)
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("link", name="Admin")).to_be_visible()

    await page.goto(f"{base}/admin/jobs")
    await expect(page.get_by_role("heading", name="Job queues")).to_be_visible()
    analytics = page.locator("[data-testid=queue-row][data-queue=analytics]")
    await expect(analytics.locator("[data-state=failed]")).to_have_text("1")
    failed = page.locator(f"[data-testid=failed-job][data-job-id='{job_id}']")
    await expect(failed.get_by_test_id("failed-error")).to_have_text(
        "RuntimeError: failure number 4"
    )
    await expect(failed).to_contain_text("3 of 3 attempts")

    await failed.get_by_role("button", name="Retry").click()
    await expect(page.get_by_test_id("jobs-notice")).to_have_text(f"Job {job_id} queued again.")
    # It runs again (and fails again, three more attempts later).
    await expect(analytics.locator("[data-state=failed]")).to_have_text("1", timeout=20_000)

    await analytics.get_by_role("button", name="Pause analytics").click()
    await expect(page.get_by_test_id("jobs-notice")).to_have_text("Queue analytics paused.")
    await expect(analytics.get_by_text("Paused")).to_be_visible()
    await analytics.get_by_role("button", name="Resume analytics").click()
    await expect(page.get_by_test_id("jobs-notice")).to_have_text("Queue analytics resumed.")
    await expect(analytics.get_by_text("Running")).to_be_visible()
    assert problems == []
    await context.close()
