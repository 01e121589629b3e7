"""Write a formatted post with tags → publish → see it in the feed → comment and reply → react →
find it by search with a typo → follow its author from a second account and see it in the
following feed, in headless Chromium against a real uvicorn server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_signup_flow import (  # noqa: F401  (fixtures)
    PASSWORD,
    Server,
    browser,
    chromium_path,
    server,
    watch_console,
)

pytestmark = pytest.mark.e2e

EDITOR_SHOT = Path("/tmp/editor.png")
POST_SHOT = Path("/tmp/post.png")
TITLE = "Sparkle glitter theories"


async def sign_up(chromium: Browser, base: str, username: str) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base}/signup")
    await page.get_by_label("Email").fill(f"{username}@example.com")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{base}/check-email")
    return context, page


async def write_post(page: Page, base: str) -> None:
    """A title, bold text, a heading and a bullet list (toolbar and keyboard), two tags."""
    await page.get_by_role("link", name="Write").click()
    await expect(page).to_have_url(f"{base}/write")
    await page.get_by_placeholder("Your post's title").fill(TITLE)
    editor = page.get_by_test_id("editor")
    await editor.click()
    await page.keyboard.type("I have a theory about the ")
    await page.keyboard.press("Control+b")
    await page.keyboard.type("glitter trail")
    await page.keyboard.press("Control+b")
    await page.keyboard.type(" in the last video.")
    await page.keyboard.press("Enter")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    await toolbar.get_by_role("button", name="Heading 2").click()
    await expect(toolbar.get_by_role("button", name="Heading 2")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.keyboard.type("The clues")
    await page.keyboard.press("Enter")
    await toolbar.get_by_role("button", name="Bullet list").click()
    await expect(toolbar.get_by_role("button", name="Bullet list")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.keyboard.type("The sparkle appears at 3:14")
    await page.keyboard.press("Enter")
    await page.keyboard.type("It matches the channel logo")

    tags = page.get_by_role("textbox", name="Tags", exact=True)
    for tag in ("theories", "Glitter"):
        await tags.fill(tag)
        await tags.press("Enter")
    await expect(page.get_by_test_id("tag-chip")).to_have_text(
        [re.compile("#theories"), re.compile("#glitter")]
    )
    await expect(page).to_have_url(f"{base}/write")  # Enter added tags, it did not submit
    await page.screenshot(path=str(EDITOR_SHOT), full_page=True)
    await page.get_by_role("button", name="Publish").click()


async def test_write_publish_discuss_react_search_and_follow(
    server: Server,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server.base_url
    author_context, page = await sign_up(browser, base, "nova_writer")
    problems = watch_console(page)

    # Write and publish.
    await write_post(page, base)
    await expect(page.get_by_test_id("post-title")).to_have_text(TITLE)
    await expect(page).to_have_url(re.compile(rf"{base}/p/sparkle-glitter-theories-[a-z0-9]{{6}}$"))
    post_url = page.url
    content = page.get_by_test_id("post-content")
    await expect(content.locator("strong")).to_have_text("glitter trail")
    await expect(content.locator("h2")).to_have_text("The clues")
    await expect(content.locator("ul > li")).to_have_text(
        ["The sparkle appears at 3:14", "It matches the channel logo"]
    )
    await expect(page.get_by_role("link", name="#theories")).to_be_visible()
    await expect(page.get_by_role("link", name="#glitter")).to_be_visible()

    # It is in the feed.
    await page.get_by_role("link", name="Home feed").click()
    await expect(page.get_by_test_id("post-card").first).to_contain_text(TITLE)

    # Comment, then reply to the comment.
    await page.get_by_role("link", name=TITLE).click()
    await page.get_by_placeholder("Add to the discussion").fill("Who else noticed the logo?")
    await page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.get_by_test_id("comment").first
    await expect(comment.get_by_test_id("comment-body").first).to_have_text(
        "Who else noticed the logo?"
    )
    await comment.locator("summary", has_text="Reply").click()
    await comment.get_by_placeholder(re.compile("Reply to")).fill("Me! Frame by frame.")
    await comment.get_by_role("button", name="Reply", exact=True).click()
    reply = page.locator(".comment-replies [data-testid=comment]")
    await expect(reply.get_by_test_id("comment-body")).to_have_text("Me! Frame by frame.")
    await expect(page.locator("#comments-title")).to_contain_text("(2)")

    # React.
    love = page.get_by_role("button", name=re.compile(r"^Love: "))
    await love.click()
    await expect(page.get_by_role("button", name="Love: 1")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.reload()
    await expect(page.get_by_role("button", name="Love: 1")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.screenshot(path=str(POST_SHOT), full_page=True)

    # Search forgives a typo.
    await page.get_by_role("link", name="Search").click()
    await page.get_by_role("searchbox", name="Search").fill("sparkel")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("link", name=TITLE)).to_be_visible()

    # A second member follows the author and finds the post in the following feed.
    reader_context, reader = await sign_up(browser, base, "luna_reader")
    problems += watch_console(reader)
    await reader.goto(f"{base}/feed?tab=following")
    await expect(reader.get_by_test_id("empty")).to_be_visible()
    await reader.goto(post_url)
    card = reader.get_by_test_id("author-card")
    await card.get_by_role("button", name="Follow").click()
    await expect(card.get_by_role("button", name="Unfollow")).to_be_visible()
    await expect(card.get_by_test_id("follower-count")).to_have_text("1")
    await reader.get_by_role("link", name="Home feed").click()
    await reader.get_by_role("link", name="Following").click()
    await expect(reader.get_by_test_id("post-card")).to_have_count(1)
    await expect(reader.get_by_test_id("post-card")).to_contain_text(TITLE)

    await reader_context.close()
    await author_context.close()
    assert problems == []
