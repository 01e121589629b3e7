"""Account and content flows in headless Chromium against a real uvicorn server, each on a
laptop and on a 390 px phone viewport: password reset through the mailed link, two-factor
enrolment and sign-in (authenticator code, then a recovery code), revoking another session,
an administrator changing a member's role and banning them, unsubscribing through a mailed
link, and a post's life from draft to deletion."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from sparkle.core.mail import OutboxMail, list_outbox
from tests.e2e import test_signup_flow as e2e
from tests.e2e.test_signup_flow import PASSWORD, Server, running_server, watch_console
from tests.fixtures.database import ROOT
from tests.social.test_follow_browser import register_verified

browser, chromium_path = e2e.browser, e2e.chromium_path
pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = [pytest.param(WIDE, id="laptop"), pytest.param(PHONE, id="phone")]
NEW_PASSWORD = "stardust-comet-lantern-77"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """The shared live server, without rate limits: these flows sign up a dozen members from
    one address in a minute, which the sign-up limit rightly refuses (it has tests of its own)."""
    starting = running_server(tmp_path_factory, "e2e-accounts")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARKLE_RATE_LIMITS", "false")  # read once, as the server process starts
        running = await anext(starting)
    yield running
    await starting.aclose()


def name(prefix: str, viewport: dict[str, int]) -> str:
    return f"{prefix}_{viewport['width']}"


async def open_page(chromium: Browser, viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(viewport=viewport)
    return context, await context.new_page()


async def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form (the caller checks where it leads)."""
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(f"{username}@example.com")
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def signed_in(page: Page, username: str) -> None:
    await expect(page.get_by_role("heading", name=f"Hi, {username} ✦")).to_be_visible()


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


async def mail_with(outbox: Path, address: str, fragment: str, within: float = 60) -> OutboxMail:
    """The first mail to `address` with a link containing `fragment`, once it has arrived
    (background jobs send mail after their transaction commits)."""
    deadline = time.monotonic() + within
    while True:
        for mail in list_outbox(outbox):
            if mail.to == address and any(fragment in url for url in mail.links):
                return mail
        assert time.monotonic() < deadline, f"no mail to {address} with {fragment!r}"
        await asyncio.sleep(0.2)


def unexpected(problems: list[str]) -> list[str]:
    """Console problems but the refusals (4xx) the flow provokes on purpose."""
    return [p for p in problems if not re.match(r"4\d\d ", p) and "status of 4" not in p]


def refusal(page: Page) -> Locator:
    """The form's error: a message by the field or for the whole form."""
    return page.locator(".field-error, .form-error, [role=alert]").first


def link(mail: OutboxMail, fragment: str) -> str:
    [url] = {u for u in mail.links if fragment in u}
    return url


async def create_admin(server: Server, username: str) -> None:
    """`sparkle create-admin` against the server's data directory, as an operator would."""
    unset = ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "SPARKLE_ENV")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(server.data_dir),
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
    )
    sparkle = str(Path(sys.executable).parent / "sparkle")
    command = [sparkle, "create-admin", "--email", f"{username}@example.com"]
    command += ["--username", username, "--password", PASSWORD]
    done = await asyncio.to_thread(
        subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_password_reset(server: Server, browser: Browser, viewport: dict[str, int]) -> None:
    base, username = server.base_url, name("reset", viewport)
    email = f"{username}@example.com"
    await asyncio.to_thread(register_verified, server, username)
    context, page = await open_page(browser, viewport)
    problems = watch_console(page)

    await page.goto(f"{base}/signin")
    await page.get_by_role("link", name="Forgot your password?").click()
    await expect(page).to_have_url(f"{base}/forgot-password")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    mail = await mail_with(server.data_dir / "mail", email, "/reset-password?token=")
    await page.goto(link(mail, "/reset-password?token="))
    await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set new password").click()
    await expect(page).to_have_url(f"{base}/signin")
    await expect(page.get_by_text("Password changed.")).to_be_visible()

    # The old password no longer works; the new one does.
    await sign_in(page, base, username, PASSWORD)
    await expect(page).to_have_url(re.compile(r"/signin"))
    await expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    await sign_in(page, base, username, NEW_PASSWORD)
    await signed_in(page, username)

    # The link is spent.
    await page.goto(link(mail, "/reset-password?token="))
    await page.get_by_label("New password").fill("another-sparkly-password-1")
    await page.get_by_role("button", name="Set new password").click()
    await expect(refusal(page)).to_be_visible()
    await context.close()
    assert unexpected(problems) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_two_factor_enrol_then_sign_in_with_a_code_and_a_recovery_code(
    server: Server, browser: Browser, viewport: dict[str, int]
) -> None:
    base, username = server.base_url, name("otp", viewport)
    await asyncio.to_thread(register_verified, server, username)
    context, page = await open_page(browser, viewport)
    problems = watch_console(page)
    await sign_in(page, base, username)
    await signed_in(page, username)

    # Enrol: the secret shown on the page goes into an authenticator (here pyotp).
    await page.get_by_role("link", name="Security").first.click()
    await expect(page).to_have_url(f"{base}/settings/security")
    await page.get_by_label("Confirm your password").fill(PASSWORD)
    await page.get_by_role("button", name="Set up two-factor").click()
    secret = (await page.get_by_test_id("totp-secret").inner_text()).strip()
    totp = pyotp.TOTP(secret)
    enrolled_at = time.time()
    await page.get_by_label("Code from the app").fill(totp.at(enrolled_at))
    await page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    await expect(codes.first).to_be_visible()
    recovery = [c.strip() for c in await codes.all_inner_texts()]
    assert len(recovery) >= 5 and len(set(recovery)) == len(recovery)
    await expect(page.locator(".badge", has_text="On")).to_be_visible()

    # Signing in now asks for a code. A code is good once: the next time step's (accepted for
    # clock drift) stands in for the code an authenticator would show half a minute later.
    await sign_out(page)
    await sign_in(page, base, username)
    await expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    await page.get_by_label("Authentication code").fill("000000")
    await page.get_by_role("button", name="Verify and sign in").click()
    await expect(refusal(page)).to_be_visible()
    await sign_in(page, base, username)
    await page.get_by_label("Authentication code").fill(totp.at(enrolled_at + 30))
    await page.get_by_role("button", name="Verify and sign in").click()
    await signed_in(page, username)

    # A recovery code signs in once.
    await sign_out(page)
    await sign_in(page, base, username)
    await page.get_by_label("Authentication code").fill(recovery[0])
    await page.get_by_role("button", name="Verify and sign in").click()
    await signed_in(page, username)
    await sign_out(page)
    await sign_in(page, base, username)
    await page.get_by_label("Authentication code").fill(recovery[0])
    await page.get_by_role("button", name="Verify and sign in").click()
    await expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    await expect(refusal(page)).to_be_visible()
    await context.close()
    assert unexpected(problems) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_revoking_a_session_signs_that_browser_out(
    server: Server, browser: Browser, viewport: dict[str, int]
) -> None:
    base, username = server.base_url, name("sessions", viewport)
    await asyncio.to_thread(register_verified, server, username)
    laptop_context, laptop = await open_page(browser, viewport)
    other_context, other = await open_page(browser, viewport)
    problems = watch_console(laptop)
    await sign_in(laptop, base, username)
    await signed_in(laptop, username)
    await laptop.get_by_role("link", name="Sessions").first.click()
    await expect(laptop).to_have_url(f"{base}/settings/sessions")
    sessions = laptop.get_by_test_id("session")
    await expect(sessions.filter(has_text="This device")).to_have_count(1)
    before = set(await sessions.evaluate_all("rows => rows.map(r => r.id)"))

    # The second browser signs in: its session is the new row on the first one's page.
    await sign_in(other, base, username)
    await signed_in(other, username)
    await laptop.reload()
    await expect(sessions).to_have_count(len(before) + 1)
    [new_id] = set(await sessions.evaluate_all("rows => rows.map(r => r.id)")) - before
    await (
        laptop.locator(f"#{new_id}")
        .get_by_role("button", name=re.compile("^Revoke session on"))
        .click()
    )
    await expect(laptop.locator(f"#{new_id}")).to_have_count(0)
    await expect(sessions).to_have_count(len(before))
    await expect(sessions.filter(has_text="This device")).to_have_count(1)

    # The other browser is signed out at its next request; this one is not.
    await other.goto(f"{base}/settings/sessions")
    await expect(other).to_have_url(re.compile(r"/signin"))
    await expect(other.get_by_role("link", name="Sign in")).to_be_visible()
    await laptop.reload()
    await expect(laptop.get_by_test_id("session")).to_have_count(len(before))
    await other_context.close()
    await laptop_context.close()
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_an_admin_changes_a_role_and_bans_a_member(
    server: Server, browser: Browser, viewport: dict[str, int]
) -> None:
    base = server.base_url
    admin, member = name("chief", viewport), name("member", viewport)
    await create_admin(server, admin)
    await asyncio.to_thread(register_verified, server, member)
    context, page = await open_page(browser, viewport)
    problems = watch_console(page)
    await sign_in(page, base, admin)
    await signed_in(page, admin)

    await page.get_by_role("link", name="Admin").click()
    await expect(page).to_have_url(f"{base}/admin/users")
    await page.get_by_label("Email or username").fill(member)
    row = page.get_by_test_id("user-row")
    await expect(row).to_have_count(1)  # the search narrowed the list (over HTMX)
    await expect(row).to_contain_text(f"@{member}")

    role = row.get_by_label(f"Role of {member}")
    await expect(role).to_have_value("USER")
    await role.select_option("MODERATOR")
    async with page.expect_response(re.compile(r"/admin/users/[0-9a-f-]+/role$")) as saved:
        await row.get_by_role("button", name="Save").click()
    assert (await saved.value).status == 200
    await expect(row.get_by_label(f"Role of {member}")).to_have_value("MODERATOR")

    await row.get_by_label(f"Ban {member}").select_option("7")
    await row.get_by_role("button", name="Apply").click()
    await expect(row.get_by_test_id("status")).to_contain_text("Banned until")

    # Both stick, and the banned member cannot sign in.
    await page.reload()
    await expect(row.get_by_label(f"Role of {member}")).to_have_value("MODERATOR")
    await expect(row.get_by_test_id("status")).to_contain_text("Banned until")
    member_context, member_page = await open_page(browser, viewport)
    await sign_in(member_page, base, member)
    await expect(member_page).to_have_url(re.compile(r"/signin"))
    await expect(member_page.get_by_text("suspended")).to_be_visible()
    await member_context.close()
    await context.close()
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_the_unsubscribe_link_in_a_mail(
    server: Server, browser: Browser, viewport: dict[str, int]
) -> None:
    base = server.base_url
    sender, reader = name("pen_pal", viewport), name("far_reader", viewport)
    email = f"{reader}@example.com"
    for who in (sender, reader):
        await asyncio.to_thread(register_verified, server, who)

    # A direct message the reader does not open is mailed to them (with an unsubscribe link).
    context, page = await open_page(browser, viewport)
    problems = watch_console(page)
    await sign_in(page, base, sender)
    await signed_in(page, sender)
    await page.goto(f"{base}/messages")
    await page.get_by_label("New message to").fill(reader)
    await page.get_by_role("button", name="Start").click()
    await expect(page).to_have_url(re.compile(r"/messages/[0-9a-f-]{36}$"))
    await page.get_by_test_id("composer").fill("Are you coming to the premiere?")
    await page.get_by_test_id("composer").press("Enter")
    await expect(page.get_by_test_id("message").last).to_contain_text("premiere")
    await context.close()

    mail = await mail_with(server.data_dir / "mail", email, "/unsubscribe?token=")
    context, page = await open_page(browser, viewport)
    problems += watch_console(page)
    await page.goto(link(mail, "/unsubscribe?token="))  # no sign-in needed
    card = page.get_by_test_id("unsubscribe")
    await expect(card.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    await card.get_by_role("button", name=re.compile(r"^Unsubscribe from (?!all)")).click()
    await expect(card.get_by_role("heading", name="You're unsubscribed")).to_be_visible()

    # Signed in, the settings page shows direct-message mail off, the rest as it was.
    await sign_in(page, base, reader)
    await signed_in(page, reader)
    await page.goto(f"{base}/settings/notifications")
    await expect(page.get_by_test_id("ch-DIRECT_MESSAGE-email")).not_to_be_checked()
    await expect(page.get_by_test_id("ch-DIRECT_MESSAGE-in_app")).to_be_checked()
    await expect(page.get_by_test_id("ch-POST_LIKED-email")).to_be_checked()
    await context.close()
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_a_post_from_draft_to_deletion(
    server: Server, browser: Browser, viewport: dict[str, int]
) -> None:
    base, username = server.base_url, name("drafter", viewport)
    title = f"Glitter notes {viewport['width']}"
    await asyncio.to_thread(register_verified, server, username)
    context, page = await open_page(browser, viewport)
    problems = watch_console(page)
    await sign_in(page, base, username)
    await signed_in(page, username)

    # Save a draft.
    await page.get_by_role("link", name="Write", exact=True).click()
    await expect(page).to_have_url(f"{base}/write")
    await page.get_by_placeholder("Your post's title").fill(title)
    await page.get_by_test_id("editor").click()
    await page.keyboard.type("Half a thought about the glitter.")
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.get_by_test_id("post-title")).to_have_text(title)
    await expect(page.get_by_text("This is a draft")).to_be_visible()

    # Find it among the drafts (and not in the feed).
    await page.get_by_role("link", name="Home feed").click()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)
    await page.get_by_role("link", name="Sparkle Universe").click()  # home, with "My drafts"
    await page.get_by_role("link", name="My drafts").click()
    await expect(page).to_have_url(f"{base}/me/drafts")
    await page.get_by_role("link", name=title).click()
    await expect(page.get_by_test_id("post-title")).to_have_text(title)

    # Publish it.
    await page.get_by_test_id("edit-post").click()
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_test_id("post-title")).to_have_text(title)
    await expect(page.get_by_text("This is a draft")).to_have_count(0)
    post_url = page.url
    await page.get_by_role("link", name="Home feed").click()
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    await page.get_by_role("link", name="Sparkle Universe").click()
    await page.get_by_role("link", name="My drafts").click()
    await expect(page.get_by_role("link", name=title)).to_have_count(0)

    # Edit it.
    await page.goto(post_url)
    await page.get_by_test_id("edit-post").click()
    await page.get_by_placeholder("Your post's title").fill(f"{title}, revised")
    await page.get_by_test_id("editor").click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type(" The whole thought now.")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_test_id("post-title")).to_have_text(f"{title}, revised")
    await expect(page.get_by_test_id("post-content")).to_contain_text(
        "Half a thought about the glitter. The whole thought now."
    )

    # Delete it (after the confirmation dialog): gone from its address and the feed.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_test_id("delete-post").click()
    await expect(page).to_have_url(f"{base}/u/{username}")
    await expect(page.get_by_text("Post deleted.")).to_be_visible()
    response = await page.goto(post_url)
    assert response is not None and response.status == 404
    await page.goto(f"{base}/feed")
    await expect(page.get_by_role("link", name=f"{title}, revised")).to_have_count(0)
    await context.close()
    assert unexpected(problems) == []
