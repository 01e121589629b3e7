"""Live updates for a member who takes part, in two browser contexts against a real server: a
reader who has commented still gets new comments live (the hidden, pre-filled Edit form of
their own comment is not typing), and the bell's screen-reader text follows its live badge."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e import test_signup_flow as e2e
from tests.e2e.test_signup_flow import Server, watch_console
from tests.realtime.test_browser import api_comment, api_token, publish_post
from tests.social.test_follow_browser import PASSWORD, register_verified

# The sign-up flow's live server and browser, shared rather than repeated.
server, browser, chromium_path = e2e.server, e2e.browser, e2e.chromium_path
pytestmark = pytest.mark.e2e

VIEWPORTS = [
    pytest.param({"width": 1280, "height": 900}, id="laptop"),
    pytest.param({"width": 390, "height": 844}, id="phone"),
]


async def signed_in(
    browser: Browser, base: str, username: str, path: str, viewport: dict[str, int]
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{base}/signin?next={path}")
    await page.get_by_label("Email").fill(f"{username}@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/signin"))
    await expect(page.locator("html")).to_have_attribute("data-realtime", "connected")
    return context, page


@pytest.fixture(scope="module")
def members(server: Server) -> dict[str, str]:
    """The module's members, registered once (registration is rate-limited per address)."""
    names = {role: f"rd_{role}" for role in ("reader", "poster", "author", "fan")}
    for name in names.values():
        register_verified(server, name)
    return names


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_live_comments_reach_a_reader_who_has_commented(
    server: Server, browser: Browser, members: dict[str, str], viewport: dict[str, int]
) -> None:
    base = server.base_url
    path = publish_post(base, members["poster"])
    context, page = await signed_in(browser, base, members["reader"], path, viewport)
    problems = watch_console(page)

    # The reader comments: their comment comes with a hidden Edit form holding its text.
    await page.get_by_placeholder("Add to the discussion").fill("My own comment")
    await page.get_by_role("button", name="Comment", exact=True).click()
    bodies = page.get_by_test_id("comment-body")
    await expect(bodies).to_have_text(["My own comment"])
    await expect(page.locator("#comments details textarea")).not_to_have_count(0)

    # Someone else comments: the reader sees it without reloading.
    api_comment(base, api_token(base, members["poster"]), path, "A live reply from the author")
    await expect(page.locator("#comments-title")).to_contain_text("(2)", timeout=10_000)
    await expect(bodies.filter(has_text="A live reply from the author")).to_have_count(
        1, timeout=10_000
    )
    await context.close()
    assert problems == []


def read_all(base: str, username: str) -> None:
    token = api_token(base, username)
    done = httpx.post(
        f"{base}/api/notifications/read-all", headers={"Authorization": f"Bearer {token}"}
    )
    assert done.status_code in (200, 204), done.text


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_the_bells_spoken_count_follows_its_live_badge(
    server: Server, browser: Browser, members: dict[str, str], viewport: dict[str, int]
) -> None:
    base = server.base_url
    author, fan = members["author"], members["fan"]
    paths = [publish_post(base, author), publish_post(base, author)]
    read_all(base, author)
    context, page = await signed_in(browser, base, author, "/", viewport)
    problems = watch_console(page)
    badge = page.get_by_test_id("bell-count")
    spoken = page.get_by_test_id("bell").locator(".bell-slot .visually-hidden")
    await expect(badge).to_have_attribute("data-unread-count", "0")
    await expect(spoken).to_have_text("0 unread notifications")

    # A comment on each of two posts: two notifications, counted live.
    fan_token = api_token(base, fan)
    api_comment(base, fan_token, paths[0], "Lovely post!")
    await expect(badge).to_have_text("1", timeout=15_000)
    await expect(spoken).to_have_text("1 unread notification")
    api_comment(base, fan_token, paths[1], "This one too.")
    await expect(badge).to_have_text("2", timeout=15_000)
    await expect(spoken).to_have_text("2 unread notifications")
    await context.close()
    assert problems == []
