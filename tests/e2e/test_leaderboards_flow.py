"""A writes a post, B likes it → the hourly leaderboard update runs → A opens /leaderboards
and sees themself ranked first, highlighted, with the top-ten chart; the tabs switch boards
over HTMX; B sees that they are not ranked — in headless Chromium against a real uvicorn
server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from sparkle.core.db import create_engine, session_scope, utcnow
from sparkle.core.db.engine import sessionmaker
from sparkle.leaderboards import service
from sparkle.leaderboards.scoring import POST_POINTS, REACTION_POINTS
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
SHOT = Path("/tmp/leaderboards.png")


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async for running in running_server(tmp_path_factory, "e2e-leaderboards"):
        yield running


async def run_update(server: Server) -> None:
    """What the hourly `leaderboard.update` does, on the server's database."""
    engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'sparkle.db'}")
    try:
        async with session_scope(sessionmaker(engine)) as session:
            await service.update(session, now=utcnow())
    finally:
        await engine.dispose()


async def test_ranked_member_sees_the_board_and_chart(server: Server, browser: Browser) -> None:  # noqa: F811
    base = server.base_url
    author_context, page = await sign_up(browser, base, "lena_lumen")
    problems = watch_console(page)
    await write_post(page, base)
    await expect(page.get_by_test_id("post-title")).to_have_text(TITLE)
    post_url = page.url

    fan_context, fan = await sign_up(browser, base, "milo_fan")
    problems += watch_console(fan)
    await fan.goto(post_url)
    await fan.get_by_role("button", name=re.compile(r"^Like: ")).click()
    await expect(fan.get_by_role("button", name="Like: 1")).to_have_attribute(
        "aria-pressed", "true"
    )

    await run_update(server)

    # The author follows the header link to the weekly board.
    await page.get_by_role("link", name="Leaderboards").click()
    await expect(page).to_have_url(f"{base}/leaderboards")
    await expect(page.get_by_role("heading", name="Leaderboards")).to_be_visible()
    table = page.get_by_test_id("leaderboard-table")
    first = table.get_by_test_id("leaderboard-row").first
    await expect(first).to_contain_text("lena_lumen")
    await expect(first.locator(".lb-rank")).to_have_text("1")
    await expect(first.locator(".lb-score")).to_have_text(str(POST_POINTS + REACTION_POINTS))
    await expect(first).to_have_attribute("aria-current", "true")
    await expect(page.get_by_test_id("my-rank")).to_contain_text("#1")

    chart = page.get_by_role("img", name=re.compile("Top 1 scores"))
    await expect(chart).to_be_visible()
    bars = page.get_by_test_id("chart-bar")
    await expect(bars).to_have_count(1)
    await expect(bars.first).to_contain_text("lena_lumen")
    box = await bars.first.locator("rect").bounding_box()
    assert box is not None and box["width"] > 100
    await page.screenshot(path=str(SHOT), full_page=True)

    # Tabs swap the board over HTMX and keep the address in step.
    await page.get_by_role("link", name="All time").click()
    await expect(page).to_have_url(f"{base}/leaderboards?period=all_time")
    await expect(page.get_by_role("link", name="All time")).to_have_attribute(
        "aria-current", "page"
    )
    await expect(page.get_by_test_id("leaderboard-row").first).to_contain_text("lena_lumen")

    # The fan, who only gave a like, is not ranked.
    await fan.goto(f"{base}/leaderboards")
    await expect(fan.get_by_test_id("my-rank")).to_contain_text("not ranked")
    await expect(fan.get_by_test_id("leaderboard-row")).to_have_count(1)

    await fan_context.close()
    await author_context.close()
    assert problems == []
