"""Sign up → open the verification mail from the outbox → verify → sign in → edit the profile →
see the public profile, in headless Chromium against a real uvicorn server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from sparkle.core.mail import OutboxMail, list_outbox
from tests.fixtures.database import ROOT, run_alembic, skip_or_fail
from tests.web.assets import ensure_assets

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/profile.png")
PASSWORD = "moonlit-glitter-parade-21"


@dataclass
class Server:
    base_url: str
    data_dir: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not start within {timeout} s:\n{log.read_text()[-3000:]}")


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`python -m uvicorn --factory sparkle.app:create_app` on loopback, logging to a file."""
    unset = ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "SPARKLE_ENV")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        SPARKLE_BASE_URL=f"http://127.0.0.1:{port}",
        SPARKLE_DEBUG_PAGES="1",
        SECRET_KEY="e2e-secret-key-that-is-long-enough-0123456789",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
    )
    app = ["--factory", "sparkle.app:create_app", "--no-access-log"]
    command = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port)]
    with (data_dir.parent / "server.log").open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def running_server(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> AsyncIterator[Server]:
    """A real uvicorn process on a free loopback port, with its own migrated SQLite data dir
    (a generous start-up time: the machine may be busy, and the job workers start with it)."""
    ensure_assets()
    data_dir = tmp_path_factory.mktemp(name) / "var"
    data_dir.mkdir()
    await run_alembic(f"sqlite+aiosqlite:///{data_dir / 'sparkle.db'}", "upgrade", "head")
    port = free_port()
    process = start_server(data_dir, port)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, process, data_dir.parent / "server.log", timeout=120)
        yield Server(base_url=base_url, data_dir=data_dir)
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async for running in running_server(tmp_path_factory, "e2e"):
        yield running


@pytest.fixture(scope="module")
def chromium_path() -> Iterator[str]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail("Chromium (/usr/bin/chromium)")
    yield CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


def watch_console(page: Page) -> list[str]:
    """Collect script errors and CSP violations: the pages must run clean under the CSP."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    return problems


async def mail_to(outbox: Path, address: str, timeout: float = 20.0) -> list[OutboxMail]:
    """The outbox's mail to `address`, once some has arrived (jobs send it after commit)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [m for m in list_outbox(outbox) if m.to == address]
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_sign_up_verify_sign_in_edit_and_view_profile(
    server: Server, browser: Browser
) -> None:
    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems = watch_console(page)

    # Sign up.
    await page.goto(f"{base}/")
    await page.get_by_role("link", name="Join the community").click()
    await page.get_by_label("Email").fill("stella@example.com")
    await page.get_by_label("Username").fill("stella_fan")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{base}/check-email")
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await expect(page.get_by_text("stella@example.com")).to_be_visible()

    # The outbox has the mail as an .eml file; open it through the dev viewer like a person would.
    # The mail is sent by a background job of the server's embedded worker: wait for it.
    [mail] = await mail_to(server.data_dir / "mail", "stella@example.com")
    [link] = [url for url in mail.links if "/verify-email?token=" in url]
    await page.get_by_role("button", name="Sign out").click()
    await page.goto(f"{base}/dev/mail")
    await page.get_by_role("link", name=mail.subject).click()
    await page.get_by_test_id("mail-links").get_by_role("link", name=link).click()
    await expect(page.get_by_role("heading", name="Your email is verified")).to_be_visible()

    # Sign in.
    await page.get_by_role("link", name="Sign in").last.click()
    await expect(page).to_have_url(f"{base}/signin")
    await page.get_by_label("Email").fill("stella@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Hi, stella_fan ✦")).to_be_visible()
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["sparkle_access"]["httpOnly"] and cookies["sparkle_access"]["sameSite"] == "Lax"

    # Edit the profile (saved over HTMX; the new theme applies without a reload).
    await page.get_by_role("link", name="Edit profile").click()
    await page.get_by_label("Display name").fill("Stella Starlight")
    await page.get_by_label("Pronouns").fill("she/her")
    await page.get_by_label("Bio").fill(
        "Sparkle fan since the first upload. I paint the channel's mascots."
    )
    await page.get_by_label("Location").fill("Porto, Portugal")
    await page.get_by_label("Website").fill("https://stella.example.com")
    await page.locator(".segmented label", has_text="Dark").click()
    await expect(page.get_by_label("Dark")).to_be_checked()
    await page.get_by_label("Accent colour").fill("#ec4899")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_test_id("profile-saved")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert "--accent: #ec4899" in (await page.locator("html").get_attribute("style") or "")

    # The public profile shows the changes, to its owner and to an anonymous visitor.
    await page.get_by_role("link", name="My profile").click()
    await expect(page).to_have_url(f"{base}/u/stella_fan")
    profile = page.get_by_test_id("profile")
    await expect(profile.get_by_role("heading", name="Stella Starlight")).to_be_visible()
    await expect(profile.get_by_test_id("bio")).to_have_text(
        re.compile("I paint the channel's mascots")
    )
    await expect(profile.get_by_text("Porto, Portugal")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    accent = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == "#ec4899"
    await page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The header's theme toggle saves the next theme (dark → system) to the profile.
    async with page.expect_response(f"{base}/settings/theme") as saved:
        await page.locator("[data-theme-toggle]").click()
    assert (await saved.value).status == 204
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("data-theme", "system")

    visitor = await browser.new_context()
    anonymous = await visitor.new_page()
    await anonymous.goto(f"{base}/u/stella_fan")
    await expect(anonymous.get_by_role("heading", name="Stella Starlight")).to_be_visible()
    await expect(anonymous.get_by_text("she/her")).to_be_visible()
    await visitor.close()
    await context.close()
    assert problems == []
