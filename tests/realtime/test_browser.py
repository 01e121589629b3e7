"""Two browser contexts against a real uvicorn server: A, on B's post, sees B come online;
B's typing shows and clears; B's comment appears on A's page without a reload; A's reaction
updates the count on B's page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e import test_signup_flow as e2e
from tests.e2e.test_signup_flow import (
    Server,
    running_server,
    watch_console,
)
from tests.social.test_follow_browser import PASSWORD, register_verified

browser, chromium_path = e2e.browser, e2e.chromium_path
pytestmark = pytest.mark.e2e

DOC = {
    "type": "doc",
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Glitter everywhere"}]}],
}


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async for running in running_server(tmp_path_factory, "e2e-realtime"):
        yield running


async def signed_in(
    chromium: Browser, base: str, username: str, path: str
) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base}/signin?next={path}")
    await page.get_by_label("Email").fill(f"{username}@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/signin"))
    return context, page


def publish_post(base: str, username: str) -> str:
    login = httpx.post(
        f"{base}/api/auth/login", json={"email": f"{username}@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = login.json()["tokens"]["accessToken"]
    r = httpx.post(
        f"{base}/api/posts",
        json={"title": "Live glitter", "content": DOC, "status": "PUBLISHED"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    # The API session is not a socket: the author is still offline.
    httpx.post(f"{base}/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    return f"/p/{r.json()['slug']}"


async def test_presence_typing_comments_and_reactions_live(
    server: Server, browser: Browser
) -> None:
    base = server.base_url
    register_verified(server, "rt_viewer")
    register_verified(server, "rt_author")
    path = publish_post(base, "rt_author")

    ctx_a, a = await signed_in(browser, base, "rt_viewer", path)
    problems = watch_console(a)
    await expect(a.get_by_test_id("post-title")).to_have_text("Live glitter")
    author_dot = a.get_by_test_id("author-card").get_by_test_id("presence-dot")
    await expect(author_dot).to_have_attribute("data-status", "offline")

    # B comes online (opens the same post); A sees it without reloading.
    ctx_b, b = await signed_in(browser, base, "rt_author", path)
    problems += watch_console(b)
    await expect(author_dot).to_have_attribute("data-status", "online", timeout=10_000)
    await expect(author_dot).to_have_attribute("title", "Online")
    await expect(b.locator("html")).to_have_attribute("data-realtime", "connected")

    # B types: A sees who; B posts: A sees the comment and the indicator clears.
    box = b.get_by_placeholder("Add to the discussion")
    await box.click()
    await box.press_sequentially("Thanks for reading", delay=20)
    typing = a.get_by_test_id("typing-indicator")
    await expect(typing).to_have_text("rt_author is typing…", timeout=10_000)
    await b.get_by_role("button", name="Comment", exact=True).click()
    await expect(b.get_by_test_id("comment-body").first).to_have_text("Thanks for reading")
    await expect(a.get_by_test_id("comment-body").first).to_have_text(
        "Thanks for reading", timeout=10_000
    )
    await expect(a.locator("#comments-title")).to_contain_text("(1)")
    await expect(typing).to_have_text("", timeout=10_000)

    # A reacts; B's counts follow.
    await a.get_by_role("button", name=re.compile(r"^Love: ")).click()
    await expect(a.get_by_role("button", name="Love: 1")).to_have_attribute("aria-pressed", "true")
    await expect(b.get_by_role("button", name="Love: 1")).to_be_visible(timeout=10_000)

    # B sets a status; A's dot follows.
    await b.get_by_test_id("status-menu").select_option("busy")
    await expect(author_dot).to_have_attribute("data-status", "busy", timeout=10_000)

    # B leaves: A sees B go offline.
    await ctx_b.close()
    await expect(author_dot).to_have_attribute("data-status", "offline", timeout=15_000)
    await a.screenshot(path="/tmp/realtime.png", full_page=True)
    await ctx_a.close()
    assert problems == []


def api_token(base: str, username: str) -> str:
    login = httpx.post(
        f"{base}/api/auth/login", json={"email": f"{username}@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    return str(login.json()["tokens"]["accessToken"])


def api_comment(base: str, token: str, post_path: str, text: str) -> None:
    slug = post_path.rsplit("/", 1)[1]
    post = httpx.get(f"{base}/api/posts/{slug}")
    assert post.status_code == 200, post.text
    r = httpx.post(
        f"{base}/api/posts/{post.json()['id']}/comments",
        json={"content": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text


async def test_a_live_comment_leaves_an_open_reply_form_alone(
    server: Server, browser: Browser
) -> None:
    base = server.base_url
    register_verified(server, "rt_reader")
    register_verified(server, "rt_poster")
    path = publish_post(base, "rt_poster")
    poster = api_token(base, "rt_poster")

    context, page = await signed_in(browser, base, "rt_reader", path)
    problems = watch_console(page)
    await expect(page.locator("html")).to_have_attribute("data-realtime", "connected")
    api_comment(base, poster, path, "First!")
    first = page.get_by_test_id("comment").first
    await expect(first.get_by_test_id("comment-body")).to_have_text("First!", timeout=10_000)

    # The reader starts a reply; meanwhile someone else comments.
    await first.locator("summary", has_text="Reply").click()
    reply_box = first.get_by_placeholder(re.compile("Reply to"))
    await reply_box.fill("Typing my reply")
    await reply_box.blur()  # reading the post again before sending
    api_comment(base, poster, path, "Second!")
    await expect(page.locator("#comments-title")).to_contain_text("(2)", timeout=10_000)
    # The form and its text stay; the thread waits.
    await expect(reply_box).to_be_visible()
    await expect(reply_box).to_have_value("Typing my reply")
    await expect(page.get_by_test_id("comment-body")).to_have_count(1)

    # Sending the reply shows the whole thread.
    await first.get_by_role("button", name="Reply", exact=True).click()
    bodies = page.get_by_test_id("comment-body")
    await expect(bodies).to_have_count(3)
    await expect(bodies.filter(has_text="Second!")).to_have_count(1)
    await expect(bodies.filter(has_text="Typing my reply")).to_have_count(1)
    await context.close()
    assert problems == []
