"""Upload an avatar on the profile page and an image into a post (toolbar upload, with its
progress bar), then see both on the public pages, in headless Chromium against a real
uvicorn server with the local storage backend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_content_flow import sign_up
from tests.e2e.test_signup_flow import (  # noqa: F401  (fixtures)
    Server,
    browser,
    chromium_path,
    server,
    watch_console,
)
from tests.media import samples

pytestmark = pytest.mark.e2e

MEDIA_SHOT = Path("/tmp/media-post.png")


async def loaded(page: Page, selector: str) -> int:
    """The natural width of the first image matching `selector` once it has loaded."""
    await page.wait_for_function(
        "s => { const i = document.querySelector(s); "
        "return i && i.complete && i.naturalWidth > 0; }",
        arg=selector,
    )
    return await page.eval_on_selector(selector, "i => i.naturalWidth")


async def test_avatar_and_post_image(
    server: Server,  # noqa: F811 - the fixtures imported above
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = server.base_url
    avatar = tmp_path / "me.jpg"
    avatar.write_bytes(samples.jpeg(900, 900, gps=True, color=(240, 80, 160)))
    photo = tmp_path / "glitter.png"
    photo.write_bytes(samples.png(1800, 1000))
    context, page = await sign_up(browser, base, "pixel_painter")
    problems = watch_console(page)

    # The avatar: upload, preview, save.
    await page.goto(f"{base}/settings/profile")
    await page.get_by_label("Upload an avatar").set_input_files(str(avatar))
    preview = page.get_by_test_id("avatar-preview")
    await expect(preview).to_have_attribute("src", re.compile(r"^/media/avatar/.+/small\.webp$"))
    await expect(page.get_by_label("Avatar image URL")).to_have_value(
        re.compile(r"^/media/avatar/")
    )
    await loaded(page, "[data-testid=avatar-preview]")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_test_id("profile-saved")).to_be_visible()

    await page.goto(f"{base}/u/pixel_painter")
    avatar_img = page.locator("img.avatar").first
    await expect(avatar_img).to_have_attribute("src", re.compile(r"^/media/avatar/.+/small\.webp$"))
    assert await loaded(page, "img.avatar") == 320

    # A post with an uploaded image (toolbar button → file chooser → progress → inserted).
    await page.goto(f"{base}/write")
    await page.get_by_placeholder("Your post's title").fill("Glitter in full resolution")
    await page.get_by_test_id("editor").click()
    await page.keyboard.type("Look at this sparkle:")
    async with page.expect_file_chooser() as chooser:
        await (
            page.get_by_role("toolbar", name="Formatting")
            .get_by_role("button", name="Upload an image")
            .click()
        )
    await (await chooser.value).set_files(str(photo))
    inserted = page.get_by_test_id("editor").locator("img")
    await expect(inserted).to_have_attribute("src", re.compile(r"^/media/post/.+/large\.webp$"))
    await expect(page.get_by_test_id("upload-progress")).to_contain_text("Image added")
    await page.screenshot(path=str(MEDIA_SHOT), full_page=True)
    await page.get_by_role("button", name="Publish").click()

    await expect(page.get_by_test_id("post-title")).to_have_text("Glitter in full resolution")
    content_img = page.get_by_test_id("post-content").locator("img")
    await expect(content_img).to_have_attribute("src", re.compile(r"^/media/post/.+/large\.webp$"))
    assert await loaded(page, "[data-testid=post-content] img") == 1280
    assert problems == []
    await context.close()
