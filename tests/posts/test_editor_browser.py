"""The post editor in headless Chromium against a real server: posts with links publish, a
published post can be edited, every error shows next to the button that caused it, and every
node and mark the real editor can produce (toolbar, input rules, autolinks and pasted HTML, with
and without their optional attributes) passes the server's document validator."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, Route, expect

from sparkle.core.html import LINK_REL
from sparkle.posts import content
from tests.e2e import test_signup_flow as e2e
from tests.e2e.test_signup_flow import PASSWORD, Server, watch_console
from tests.media import samples
from tests.social.test_follow_browser import register_verified

# The sign-up flow's live server and browser, shared rather than repeated.
server, browser, chromium_path = e2e.server, e2e.browser, e2e.chromium_path
pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = [pytest.param(WIDE, id="laptop"), pytest.param(PHONE, id="phone")]
EXTERNAL_IMAGES = "https://images.example/**"

# The editor's schema, read from the live editor (Tiptap keeps its instance on the editable
# element): every node and mark type with its attributes' defaults.
SCHEMA_JS = """() => {
  const editor = document.querySelector("[data-testid=editor]").editor;
  const describe = (types) => Object.fromEntries(Object.entries(types).map(([name, type]) => [
    name,
    Object.fromEntries(Object.entries(type.attrs).map(([attr, spec]) => [attr, spec.default])),
  ]));
  return { nodes: describe(editor.schema.nodes), marks: describe(editor.schema.marks) };
}"""

# A paste, exactly as the browser delivers one: a ClipboardEvent carrying text/html.
PASTE_JS = """(html) => {
  const target = document.querySelector("[data-testid=editor]");
  const data = new DataTransfer();
  data.setData("text/html", html);
  data.setData("text/plain", html.replace(/<[^>]+>/g, ""));
  const paste = { clipboardData: data, bubbles: true, cancelable: true };
  target.dispatchEvent(new ClipboardEvent("paste", paste));
}"""

# HTML as other sites and editors write it, with every optional attribute the schema reads.
PASTED = (
    '<p><a href="https://sparkle.example/titled" title="The channel page" target="_self" '
    'rel="me" class="external text-blue-600 hover:underline">titled link</a> and '
    '<a href="mailto:luna@example.com">a mail link</a></p>'
    '<ol start="3" type="a"><li><p>third</p></li><li><p>fourth</p></li></ol>'
    '<pre><code class="language-Python">print("sparkle")</code></pre>'
    '<img src="https://images.example/wide.png" alt="A wide sky" title="Wide" width="640" '
    'height="360">'
    "<h3>Pasted heading</h3>"
    "<p><strong>b</strong> <em>i</em> <s>s</s> <u>u</u> <code>c</code> <mark>m</mark>"
    "<br>after a break</p>"
    "<blockquote><p>pasted quote</p></blockquote><ul><li><p>pasted item</p></li></ul><hr>"
)

# Attributes the editor always sets, so their default never reaches a document.
ALWAYS_SET = {("link", "href"), ("image", "src")}


@pytest.fixture(scope="module")
def writer(server: Server) -> str:
    """One member for the whole module (registration is rate-limited per address)."""
    register_verified(server, "editor_writer")
    return "editor_writer@example.com"


async def sign_in(browser: Browser, base: str, email: str, viewport: dict[str, int]) -> Page:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/signin"))
    return page


def answer_prompts(page: Page, answers: list[str]) -> None:
    """Accept the editor's prompts with `answers`, in order (a dialog past them fails)."""

    async def on_dialog(dialog: Dialog) -> None:
        assert answers, f"unexpected dialog: {dialog.type} {dialog.message}"
        await dialog.accept(answers.pop(0))

    page.on("dialog", on_dialog)


async def serve_external_images(context: BrowserContext) -> None:
    png = samples.png(64, 36)

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="image/png", body=png)

    await context.route(EXTERNAL_IMAGES, fulfil)


def toolbar(page: Page) -> Any:
    return page.get_by_role("toolbar", name="Formatting")


async def select_back(page: Page, characters: int) -> None:
    for _ in range(characters):
        await page.keyboard.press("Shift+ArrowLeft")


async def settle(page: Page) -> None:
    """After a toolbar command: the editor takes the focus back (and puts its selection back)
    on the next animation frame, so keys pressed before that would land elsewhere."""
    await expect(page.get_by_test_id("editor")).to_be_focused()
    await page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


async def open_editor(page: Page, base: str, title: str) -> None:
    await page.goto(f"{base}/write")
    await page.get_by_placeholder("Your post's title").fill(title)
    await page.get_by_test_id("editor").click()


def editor_document(raw: str) -> dict[str, Any]:
    document = json.loads(raw)
    assert document["type"] == "doc"
    return document


def walk(node: dict[str, Any], found: dict[tuple[str, str], list[Any]], kinds: set[str]) -> None:
    """Every node and mark type of `node`, and every attribute value each one carried."""
    kinds.add(node["type"])
    for name, value in (node.get("attrs") or {}).items():
        found.setdefault((node["type"], name), []).append(value)
    for mark in node.get("marks", []):
        kinds.add(mark["type"])
        for name, value in (mark.get("attrs") or {}).items():
            found.setdefault((mark["type"], name), []).append(value)
    for child in node.get("content", []):
        walk(child, found, kinds)


def missing_coverage(
    schema: dict[str, dict[str, dict[str, Any]]], document: dict[str, Any]
) -> list[str]:
    """What the editor's schema allows that the document does not show: a type never used, or
    an attribute never seen both with its default and with another value."""
    found: dict[tuple[str, str], list[Any]] = {}
    kinds: set[str] = set()
    walk(document, found, kinds)
    missing = []
    for group in ("nodes", "marks"):
        for kind, attrs in schema[group].items():
            if kind not in kinds:
                missing.append(f"{group[:-1]} {kind}")
                continue
            for name, default in attrs.items():
                values = found.get((kind, name), [])
                if not any(v != default for v in values):
                    missing.append(f"{kind}.{name} set")
                if (kind, name) not in ALWAYS_SET and default not in values:
                    missing.append(f"{kind}.{name} left at its default")
    return missing


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_a_post_with_links_publishes(
    server: Server, browser: Browser, writer: str, viewport: dict[str, int]
) -> None:
    base = server.base_url
    page = await sign_in(browser, base, writer, viewport)
    problems = watch_console(page)
    await open_editor(page, base, "Links to the channel")
    await page.keyboard.type("Watch the channel")
    await select_back(page, len("channel"))
    answer_prompts(page, ["https://sparkle.example/channel"])
    await toolbar(page).get_by_role("button", name="Link").click()
    await expect(toolbar(page).get_by_role("button", name="Link")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.keyboard.press("End")
    await page.keyboard.type(" or the clip https://sparkle.example/clip today.")

    publish = page.get_by_role("button", name="Publish")
    await publish.scroll_into_view_if_needed()
    await publish.click()

    await expect(page.get_by_test_id("post-title")).to_have_text("Links to the channel")
    links = page.get_by_test_id("post-content").locator("a")
    await expect(links).to_have_text(["channel", "https://sparkle.example/clip"])
    await expect(links.first).to_have_attribute("href", "https://sparkle.example/channel")
    await expect(links.nth(1)).to_have_attribute("href", "https://sparkle.example/clip")
    for i in range(2):
        await expect(links.nth(i)).to_have_attribute("target", "_blank")
        await expect(links.nth(i)).to_have_attribute("rel", LINK_REL)
    await page.context.close()
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_save_changes_to_a_published_post(
    server: Server, browser: Browser, writer: str, viewport: dict[str, int]
) -> None:
    base = server.base_url
    page = await sign_in(browser, base, writer, viewport)
    problems = watch_console(page)
    await open_editor(page, base, "First thoughts")
    await page.keyboard.type("A first version.")
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_test_id("post-title")).to_have_text("First thoughts")
    post_url = page.url

    await page.goto(f"{post_url}/edit")
    await page.get_by_placeholder("Your post's title").fill("Second thoughts")
    await page.get_by_test_id("editor").click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type(" Now with a link: https://sparkle.example/more and more.")
    await page.get_by_role("button", name="Save changes").click()

    await expect(page.get_by_test_id("post-title")).to_have_text("Second thoughts")
    await expect(page.get_by_text("Changes saved.")).to_be_visible()
    body = page.get_by_test_id("post-content")
    await expect(body).to_contain_text("A first version. Now with a link")
    await expect(body.locator("a")).to_have_attribute("href", "https://sparkle.example/more")
    await page.goto(f"{page.url}/edit")
    await expect(page.get_by_text(re.compile(r"^\s*Published · revision"))).to_be_visible()
    await page.context.close()
    assert problems == []


async def near(page: Page, message: Any, button: Any) -> None:
    """`message` is on screen, and right beside `button` (at most 120 px apart), which names it
    as its description."""
    await expect(message).to_be_visible()
    await expect(message).to_be_in_viewport()
    await expect(button).to_be_in_viewport()
    box, anchor = await message.bounding_box(), await button.bounding_box()
    assert box is not None and anchor is not None
    gap = max(box["y"] - (anchor["y"] + anchor["height"]), anchor["y"] - (box["y"] + box["height"]))
    assert gap <= 120, (box, anchor)
    described = (await button.get_attribute("aria-describedby") or "").split()
    assert await message.get_attribute("id") in described


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_errors_show_next_to_the_button_that_caused_them(
    server: Server, browser: Browser, writer: str, viewport: dict[str, int]
) -> None:
    base = server.base_url
    page = await sign_in(browser, base, writer, viewport)
    await open_editor(page, base, "")
    await page.keyboard.type("An insecure picture follows.")
    await page.evaluate(PASTE_JS, '<img src="http://insecure.example/a.png" alt="x">')

    # Publishing without a title, then with one: each refusal shows by the Publish button.
    await page.get_by_role("button", name="Publish").click()
    await expect(page).to_have_url(f"{base}/write")
    errors = page.get_by_test_id("editor-errors")
    await near(page, errors, page.get_by_role("button", name="Publish"))
    await expect(errors).to_contain_text("Title")
    await page.get_by_placeholder("Your post's title").fill("Insecure")
    await page.get_by_role("button", name="Publish").click()
    await near(page, errors, page.get_by_role("button", name="Publish"))
    await expect(errors).to_contain_text("Content: Must be an https URL")

    # The editor's own refusals show under the toolbar, not in a dialog.
    await page.get_by_test_id("editor").click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type("here")
    await select_back(page, 4)
    answer_prompts(page, ["javascript:alert(1)"])
    await toolbar(page).get_by_role("button", name="Link").click()
    await near(
        page,
        page.get_by_test_id("editor-message"),
        toolbar(page).get_by_role("button", name="Link"),
    )
    await expect(page.get_by_test_id("editor-message")).to_contain_text("https://")

    # Saving changes to a published post that the server refuses: shown by "Save changes".
    await page.get_by_placeholder("Your post's title").fill("Fine title")
    await page.evaluate(
        """() => {
          const editor = document.querySelector("[data-testid=editor]").editor;
          editor.commands.setContent("<p>Fine.</p>");
        }"""
    )
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_test_id("post-title")).to_have_text("Fine title")
    await page.goto(f"{page.url}/edit")
    await page.get_by_placeholder("Your post's title").fill("")
    await page.get_by_role("button", name="Save changes").click()
    await near(page, errors, page.get_by_role("button", name="Save changes"))
    await expect(errors).to_contain_text("Title")
    await page.context.close()


async def test_every_node_and_mark_of_the_editor_passes_the_validator(
    server: Server, browser: Browser, writer: str, tmp_path: Path
) -> None:
    """The round trip: the live editor writes every node and mark its schema has, through its
    toolbar, input rules, autolinks, uploads and pasted HTML, each with and without optional
    attributes; the server's validator accepts the document and publishing renders it."""
    base = server.base_url
    photo = tmp_path / "upload.png"
    photo.write_bytes(samples.png(320, 200))
    page = await sign_in(browser, base, writer, WIDE)
    await serve_external_images(page.context)
    problems = watch_console(page)
    await open_editor(page, base, "Everything the toolbar makes")
    editor = page.get_by_test_id("editor")
    answers: list[str] = []
    answer_prompts(page, answers)

    async def press(label: str) -> None:
        await toolbar(page).get_by_role("button", name=label).click()
        await settle(page)

    # Marks from the toolbar, each switched on, typed with, switched off.
    for label, word in [
        ("Bold", "bold"),
        ("Italic", "italic"),
        ("Strikethrough", "struck"),
        ("Inline code", "code"),
        ("Highlight", "marked"),
    ]:
        await press(label)
        await page.keyboard.type(word)
        await press(label)
        await page.keyboard.type(" ")
    # A link from the toolbar, autolinks of a URL and an address, a line break.
    await page.keyboard.type("channel")
    await select_back(page, len("channel"))
    answers.append("https://sparkle.example/channel")
    await press("Link")
    await expect(editor.get_by_role("link", name="channel")).to_be_visible()
    await page.keyboard.press("End")
    await page.keyboard.type(" https://sparkle.example/clip and luna@example.com ")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("after a line break")
    await page.keyboard.press("Enter")
    # Blocks from the toolbar.
    for label, words in [
        ("Heading 1", ["Big"]),
        ("Heading 2", ["Medium"]),
        ("Bullet list", ["one", "two", ""]),
        ("Numbered list", ["first", ""]),
        ("Quote", ["quoted", ""]),
    ]:
        await press(label)
        for word in words:
            await page.keyboard.type(word)
            await page.keyboard.press("Enter")
    # Blocks from the editor's input rules.
    await page.keyboard.type("### Small")
    await page.keyboard.press("Enter")
    await page.keyboard.type("```js ")
    await page.keyboard.type("let sparkle = 1;")
    for _ in range(3):
        await page.keyboard.press("Enter")
    await page.keyboard.type("``` ")
    await page.keyboard.type("plain code")
    for _ in range(3):
        await page.keyboard.press("Enter")
    await page.keyboard.type("---")
    await page.keyboard.type("after the rule")
    # Images: from a URL with and without a description, and an upload; each on its own line.
    images = [
        ["https://images.example/star.png", "A star"],
        ["https://images.example/plain.png", ""],
    ]
    for count, image in enumerate(images, start=1):
        answers.extend(image)
        await press("Image from a URL")
        await expect(editor.locator("img")).to_have_count(count)
        await editor.locator("> p").last.click()  # the empty line the editor keeps at the end
        await page.keyboard.type("below the image")
    async with page.expect_file_chooser() as chooser:
        await toolbar(page).get_by_role("button", name="Upload an image").click()
    await (await chooser.value).set_files(str(photo))
    await expect(page.get_by_test_id("upload-progress")).to_contain_text("Image added")
    await expect(editor.locator("img")).to_have_count(3)
    await press("Undo")
    await expect(editor.locator("img")).to_have_count(2)
    await press("Redo")
    await expect(editor.locator("img")).to_have_count(3)
    # Pasted HTML with every optional attribute, on the empty line at the end.
    await editor.locator("> p").last.click()
    await page.evaluate(PASTE_JS, PASTED)
    await expect(editor.locator("img")).to_have_count(4)
    assert answers == []

    schema = await page.evaluate(SCHEMA_JS)
    field = page.locator("[data-editor-content]")
    await expect(field).to_have_value(re.compile("Pasted heading"))
    document = editor_document(await field.input_value())
    assert missing_coverage(schema, document) == [], json.dumps(document, indent=1)
    parsed = content.parse(document, media_origin=base)  # raises naming any refused path
    assert parsed.images == 4

    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_test_id("post-title")).to_have_text("Everything the toolbar makes")
    body = page.get_by_test_id("post-content")
    titled = body.get_by_role("link", name="titled link")
    await expect(titled).to_have_attribute("title", "The channel page")
    await expect(titled).to_have_attribute("target", "_blank")
    await expect(titled).to_have_attribute("rel", LINK_REL)
    await expect(titled).not_to_have_attribute("class", re.compile("."))
    await expect(body.get_by_role("link", name="a mail link")).to_have_attribute(
        "href", "mailto:luna@example.com"
    )
    await expect(body.locator("ol[start='3']")).to_have_attribute("type", "a")
    await expect(body.locator("code.language-python")).to_have_text('print("sparkle")')
    await expect(body.locator("code.language-js")).to_have_text("let sparkle = 1;")
    await expect(body.locator("img[title='Wide']")).to_have_attribute("alt", "A wide sky")
    await expect(body.locator("h1, h2, h3")).to_have_text(
        ["Big", "Medium", "Small", "Pasted heading"]
    )
    await page.context.close()
    assert problems == []
