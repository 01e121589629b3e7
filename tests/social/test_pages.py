"""The follow block on public profiles (`/u/{username}`): counts, the Follow / Unfollow button
over HTMX with CSRF, and the fallbacks without HTMX or without a session."""

from __future__ import annotations

import re

from httpx import AsyncClient

from sparkle.core.runtime import Runtime
from sparkle.social import service as social_service
from tests.conftest import Account
from tests.social.helpers import follow
from tests.web.pages import HTML, HTMX, csrf_token, post_form, sign_in


def count(html: str, what: str) -> int:
    match = re.search(rf'data-testid="{what}-count">(\d+)<', html)
    assert match, html
    return int(match.group(1))


def button(html: str) -> str:
    match = re.search(r'data-testid="follow-button"[^>]*>([^<]+)<', html)
    assert match, html
    return match.group(1).strip()


async def follows(rt: Runtime, a: Account, b: Account) -> bool:
    async with rt.sessions() as db:
        return await social_service.is_following(db, a.id, b.id)


class TestProfilePage:
    async def test_anonymous_sees_counts_and_a_sign_in_link(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        await follow(client, other, owner)
        html = (await client.get("/u/owner_user", headers=HTML)).text
        assert count(html, "follower") == 1 and count(html, "following") == 0
        assert '<a class="btn btn-small btn-primary" href="/signin?next=/u/owner_user"' in html
        assert "hx-post" not in html

    async def test_own_profile_has_no_button(self, client: AsyncClient, owner: Account) -> None:
        await sign_in(client, owner)
        html = (await client.get("/u/owner_user", headers=HTML)).text
        assert count(html, "follower") == 0
        assert 'data-testid="follow-button"' not in html

    async def test_follows_you_badge(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        await follow(client, owner, other)
        await sign_in(client, other)
        html = (await client.get("/u/owner_user", headers=HTML)).text
        assert 'data-testid="follows-you"' in html
        assert button(html) == "Follow"


class TestFollowButton:
    async def test_follow_and_unfollow_over_htmx(
        self, client: AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        await sign_in(client, other)
        page = await client.get("/u/owner_user", headers=HTML)
        assert button(page.text) == "Follow"
        assert 'hx-post="/u/owner_user/follow"' in page.text
        token = await csrf_token(client, "/u/owner_user")

        resp = await post_form(client, "/u/owner_user/follow", {}, token=token, htmx=True)
        assert resp.status_code == 200
        assert resp.text.lstrip().startswith(
            f'<ul class="profile-meta follow-box" id="follow-{owner.id}"'
        )
        assert "<html" not in resp.text
        assert button(resp.text) == "Unfollow" and count(resp.text, "follower") == 1
        assert 'hx-post="/u/owner_user/unfollow"' in resp.text
        assert await follows(rt, other, owner)

        resp = await post_form(client, "/u/owner_user/unfollow", {}, token=token, htmx=True)
        assert button(resp.text) == "Follow" and count(resp.text, "follower") == 0
        assert not await follows(rt, other, owner)

    async def test_csrf_header_is_accepted(
        self, client: AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        # What the page script sends: the token in X-CSRF-Token, no form body.
        await sign_in(client, other)
        token = await csrf_token(client, "/u/owner_user")
        resp = await client.post(
            "/u/owner_user/follow", headers={**HTML, **HTMX, "X-CSRF-Token": token}
        )
        assert resp.status_code == 200
        assert await follows(rt, other, owner)

    async def test_without_csrf_is_refused(
        self, client: AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        await sign_in(client, other)
        for token in ("", "forged-token"):
            resp = await post_form(client, "/u/owner_user/follow", {}, token=token, htmx=True)
            assert resp.status_code == 403
        assert not await follows(rt, other, owner)

    async def test_without_htmx_redirects_to_the_profile(
        self, client: AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        await sign_in(client, other)
        resp = await post_form(client, "/u/owner_user/follow", {})
        assert resp.status_code == 303 and resp.headers["location"] == "/u/owner_user"
        html = (await client.get("/u/owner_user", headers=HTML)).text
        assert button(html) == "Unfollow" and count(html, "follower") == 1

    async def test_anonymous_is_sent_to_sign_in(
        self, client: AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        resp = await post_form(client, "/u/owner_user/follow", {})
        assert resp.status_code == 303
        assert resp.headers["location"] == "/signin?next=/u/owner_user"
        resp = await post_form(client, "/u/owner_user/follow", {}, htmx=True)
        assert resp.headers["HX-Redirect"] == "/signin?next=/u/owner_user"

    async def test_unknown_profile_is_404(self, client: AsyncClient, other: Account) -> None:
        await sign_in(client, other)
        resp = await post_form(client, "/u/nobody_here/follow", {})
        assert resp.status_code == 404

    async def test_following_yourself_changes_nothing(
        self, client: AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        await sign_in(client, owner)
        resp = await post_form(client, "/u/owner_user/follow", {}, htmx=True)
        assert resp.status_code == 400
        assert 'data-testid="follow-button"' not in resp.text
        assert not await follows(rt, owner, owner)
