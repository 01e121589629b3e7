"""Two people in two browser contexts against a real uvicorn server: A messages B, B sees it
live and reads it, A sees the receipt; A hosts a watch party, B joins late at the right
position, A pauses and B's player is told to pause. The YouTube embed is blocked: the test
drives the party's state and checks the commands the player adapter issued."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

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


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async for running in running_server(tmp_path_factory, "e2e-messaging"):
        yield running


async def signed_in(chromium: Browser, base: str, username: str) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    await context.route(
        re.compile(r"https://www\.youtube(-nocookie)?\.com/.*"), lambda route: route.abort()
    )
    page = await context.new_page()
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(f"{username}@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/signin"))
    return context, page


def real_problems(problems: list[str]) -> list[str]:
    return [p for p in problems if "youtube" not in p and "ERR_FAILED" not in p]


async def test_messages_and_watch_party(server: Server, browser: Browser) -> None:
    base = server.base_url
    register_verified(server, "ana_e2e")
    register_verified(server, "ben_e2e")
    ctx_a, a = await signed_in(browser, base, "ana_e2e")
    ctx_b, b = await signed_in(browser, base, "ben_e2e")
    problems_a, problems_b = watch_console(a), watch_console(b)

    # A starts a conversation with B.
    await a.goto(f"{base}/messages")
    await a.get_by_label("New message to").fill("ben_e2e")
    await a.get_by_role("button", name="Start").click()
    await expect(a).to_have_url(re.compile(r"/messages/[0-9a-f-]{36}$"))
    thread_url = a.url
    # B has the thread open; A writes; B sees it without reloading.
    sockets_b: list[str] = []
    b.on("websocket", lambda ws: sockets_b.append(ws.url))
    await b.goto(thread_url)
    await expect(b.get_by_test_id("messages")).to_be_visible()
    for page in (a, b):  # both sockets subscribed to the conversation
        await expect(page.locator("[data-messaging]").first).to_have_attribute(
            "data-subscribed", re.compile(".+")
        )
    await a.get_by_test_id("composer").fill("Hello Ben, party tonight?")
    await a.get_by_test_id("composer").press("Enter")
    await expect(a.get_by_test_id("message").last).to_contain_text("Hello Ben, party tonight?")
    await expect(b.get_by_test_id("message").last).to_contain_text("Hello Ben, party tonight?")
    # B read it (the page marks it read); A sees the receipt.
    await expect(a.get_by_test_id("read-receipt")).to_be_visible()
    # The thread shares the page's one socket.
    assert len([u for u in sockets_b if "/socket.io/" in u]) == 1, sockets_b
    # B reacts; A sees the count live.
    last_b = b.get_by_test_id("message").last
    await last_b.get_by_test_id("message-react").click()
    await last_b.get_by_role("button", name="Like: 0").click()
    await expect(last_b.get_by_role("button", name="Like: 1")).to_be_visible()
    await expect(
        a.get_by_test_id("message").last.get_by_role("button", name="Like: 1")
    ).to_be_visible()
    # The conversation list shows no unread messages for B after reading.
    await b.reload()
    await expect(b.get_by_test_id("unread-badge").first).to_have_text("0")

    # A hosts a watch party and plays.
    await a.goto(f"{base}/watch-parties")
    await a.get_by_label("Title").fill("Sparkle premiere")
    await a.get_by_label("YouTube video id").fill("dQw4w9WgXcQ")
    await a.get_by_role("button", name="Create party").click()
    await expect(a).to_have_url(re.compile(r"/watch-parties/[0-9a-f-]{36}$"))
    party_url = a.url
    player_a = a.get_by_test_id("player")
    await expect(player_a).to_have_attribute("data-player-state", "paused")
    # Seek to 1:30 first (no waiting for the video to get somewhere), then play from there.
    await a.get_by_label("Seek to").fill("90")
    await a.get_by_role("button", name="Seek").click()
    await expect(player_a).to_have_attribute("data-player-position", "90")
    await a.get_by_role("button", name="Play").click()
    await expect(player_a).to_have_attribute("data-player-state", "playing")

    # B joins late: the player is told to seek to where the party is now (1:30 plus the time
    # it has been playing, a fraction of a second at least) and to play.
    await b.goto(party_url)
    player_b = b.get_by_test_id("player")
    await expect(player_b).to_have_attribute("data-player-state", "playing")
    position = float(await player_b.get_attribute("data-player-position") or "0")
    assert 90 <= position <= 96, position
    log = await b.evaluate("window.sparkleWatchParty.player.log")
    seeks = [c["args"][0] for c in log if c["func"] == "seekTo"]
    assert seeks and 90 < seeks[-1] <= 96, seeks
    assert log[-1]["func"] == "playVideo"
    await expect(b.get_by_test_id("participant-count")).to_have_text("2")
    await expect(b.get_by_test_id("host-controls")).to_be_hidden()

    # A pauses: B's player is told to pause.
    await a.get_by_role("button", name="Pause").click()
    await expect(player_b).to_have_attribute("data-player-state", "paused")
    await expect(player_b).to_have_attribute("data-last-command", "pauseVideo")
    await b.get_by_label("Say something").fill("best part")
    await b.get_by_role("button", name="Send").click()
    await expect(a.get_by_test_id("party-chat")).to_contain_text("best part")

    assert real_problems(problems_a) == []
    assert real_problems(problems_b) == []
    await ctx_a.close()
    await ctx_b.close()
