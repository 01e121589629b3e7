"""Following from a profile page in headless Chromium: the HTMX button swaps in place under the
page's CSP, the counts follow, and the state survives a reload."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from sparkle.core.mail import list_outbox
from tests.e2e import test_signup_flow as e2e
from tests.e2e.test_signup_flow import Server, watch_console

# The sign-up flow's live server and browser, shared rather than repeated.
server, browser, chromium_path = e2e.server, e2e.browser, e2e.chromium_path
pytestmark = pytest.mark.e2e
PASSWORD = "moonlit-glitter-parade-21"
SCREENSHOT = Path("/tmp/follow.png")


def register_verified(server: Server, username: str) -> None:
    email = f"{username}@example.com"
    resp = httpx.post(
        f"{server.base_url}/api/auth/register",
        json={"email": email, "username": username, "password": PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    deadline = time.monotonic() + 10
    while not (mails := [m for m in list_outbox(server.data_dir / "mail") if m.to == email]):
        assert time.monotonic() < deadline, "no verification mail"
        time.sleep(0.1)
    [link] = [url for url in mails[0].links if "/verify-email?token=" in url]
    token = link.split("token=", 1)[1]
    resp = httpx.post(f"{server.base_url}/api/auth/verify-email", json={"token": token})
    assert resp.status_code == 200, resp.text


async def test_follow_and_unfollow_from_a_profile(server: Server, browser: Browser) -> None:
    base = server.base_url
    register_verified(server, "nova_star")
    register_verified(server, "orbit_fan")
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems = watch_console(page)

    await page.goto(f"{base}/u/nova_star")
    await page.get_by_test_id("follow-button").click()  # anonymous: off to sign in
    await expect(page).to_have_url(f"{base}/signin?next=/u/nova_star")
    await page.get_by_label("Email").fill("orbit_fan@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{base}/u/nova_star")

    box = page.get_by_test_id("follow")
    await expect(box.get_by_test_id("follower-count")).to_have_text("0")
    async with page.expect_response(f"{base}/u/nova_star/follow") as followed:
        await box.get_by_role("button", name="Follow").click()
    assert (await followed.value).status == 200
    await expect(box.get_by_role("button", name="Unfollow")).to_be_visible()
    await expect(box.get_by_test_id("follower-count")).to_have_text("1")
    await page.screenshot(path=str(SCREENSHOT), full_page=True)

    await page.reload()
    await expect(box.get_by_role("button", name="Unfollow")).to_be_visible()
    await box.get_by_role("button", name="Unfollow").click()
    await expect(box.get_by_role("button", name="Follow")).to_be_visible()
    await expect(box.get_by_test_id("follower-count")).to_have_text("0")

    await page.goto(f"{base}/u/orbit_fan")
    await expect(page.get_by_test_id("following-count")).to_have_text("0")
    await expect(page.get_by_test_id("follow-button")).to_have_count(0)
    await context.close()
    assert problems == []
