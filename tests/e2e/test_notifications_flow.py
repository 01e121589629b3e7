"""B likes A's post → A sees the bell count and the notification, opens it (it is marked read)
→ A turns off email for likes on the preferences page and the preferences service agrees, in
headless Chromium against a real uvicorn server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from sparkle.accounts.models import User
from sparkle.core.db import create_engine
from sparkle.core.db.engine import sessionmaker
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType
from tests.e2e.test_content_flow import TITLE, sign_up, write_post
from tests.e2e.test_signup_flow import (  # noqa: F401  (fixtures)
    Server,
    browser,
    chromium_path,
    free_port,
    running_server,
    start_server,
    stop_server,
    wait_until_up,
    watch_console,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async for running in running_server(tmp_path_factory, "e2e-notifications"):
        yield running


async def bell_shows(page: Page, count: str, tries: int = 40) -> None:
    """Reload until the bell shows `count`: the notification is written by a background job."""
    badge = page.get_by_test_id("bell-count")
    for _ in range(tries):
        await page.reload()
        await expect(badge).to_have_attribute("data-unread-count", re.compile(r"\d+"))
        if await badge.get_attribute("data-unread-count") == count:
            return
        await asyncio.sleep(0.25)
    await expect(badge).to_have_attribute("data-unread-count", count)


async def test_like_bell_open_and_preferences(server: Server, browser: Browser) -> None:  # noqa: F811
    base = server.base_url
    author_context, page = await sign_up(browser, base, "ana_author")
    problems = watch_console(page)
    await write_post(page, base)
    await expect(page.get_by_test_id("post-title")).to_have_text(TITLE)
    post_url = page.url
    await expect(page.get_by_test_id("bell-count")).to_have_attribute("data-unread-count", "0")

    fan_context, fan = await sign_up(browser, base, "ben_fan")
    problems += watch_console(fan)
    await fan.goto(post_url)
    await fan.get_by_role("button", name=re.compile(r"^Like: ")).click()
    await expect(fan.get_by_role("button", name="Like: 1")).to_have_attribute(
        "aria-pressed", "true"
    )

    # A sees the count on the bell and the notification behind it.
    await bell_shows(page, "1")
    await expect(page.get_by_test_id("bell-count")).to_have_text("1")
    await page.get_by_test_id("bell").click()
    await expect(page).to_have_url(f"{base}/notifications")
    item = page.get_by_test_id("notification")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("ben_fan liked your post")
    await expect(item).to_contain_text(TITLE)
    await expect(item).to_have_attribute("data-read", "false")

    # Opening it goes to the post and marks it read.
    await item.get_by_test_id("notification-open").click()
    await expect(page).to_have_url(re.compile(re.escape(post_url.split("/p/")[0]) + r"/p/"))
    await expect(page.get_by_test_id("post-title")).to_have_text(TITLE)
    await expect(page.get_by_test_id("bell-count")).to_have_attribute("data-unread-count", "0")
    await page.goto(f"{base}/notifications")
    await expect(page.get_by_test_id("notification")).to_have_attribute("data-read", "true")

    # Email for likes off, through the preferences page.
    await page.get_by_role("link", name="Preferences").click()
    await expect(page).to_have_url(f"{base}/settings/notifications")
    email_likes = page.get_by_test_id("ch-POST_LIKED-email")
    await expect(email_likes).to_be_checked()
    await email_likes.uncheck()
    await page.get_by_test_id("save-preferences").click()
    await expect(page.get_by_text("Notification preferences saved.")).to_be_visible()
    await expect(page.get_by_test_id("ch-POST_LIKED-email")).not_to_be_checked()
    await expect(page.get_by_test_id("ch-POST_COMMENTED-email")).to_be_checked()

    engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'sparkle.db'}")
    try:
        async with sessionmaker(engine)() as session:
            ana = await session.scalar(select(User).where(User.username == "ana_author"))
            assert ana is not None
            assert not await preferences.wants(
                session, ana.id, NotificationType.POST_LIKED, "email"
            )
            assert await preferences.wants(session, ana.id, NotificationType.POST_LIKED, "in_app")
            assert await preferences.wants(session, ana.id, NotificationType.MENTION, "email")
    finally:
        await engine.dispose()

    await fan_context.close()
    await author_context.close()
    assert problems == []
