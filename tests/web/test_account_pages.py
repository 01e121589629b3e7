"""Home page, profile settings (full form and HTMX) and public profiles at /u/{username}."""

from __future__ import annotations

import json

from httpx import AsyncClient

from sparkle.accounts import service as accounts_service
from sparkle.accounts.schemas import ProfileUpdate
from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from tests.web.pages import HTML, csrf_token, field_error, post_form, sign_in

PROFILE_FORM = {
    "display_name": "Luna Lovegood",
    "pronouns": "she/her",
    "bio": "Fan since the very first video.\nI draw the sparkle sprites.",
    "location": "Lisbon",
    "website": "https://luna.example.com",
    "timezone": "Europe/Lisbon",
    "avatar_url": "",
    "banner_url": "",
    "social_youtube": "https://youtube.com/@luna",
    "theme": "dark",
    "accent_color": "#EC4899",
    "is_public": "on",
}


async def set_profile(rt: Runtime, account, **changes) -> None:  # type: ignore[no-untyped-def]
    async with session_scope(rt.sessions) as db:
        user = await accounts_service.get(db, account.id)
        await accounts_service.update_profile(db, user, user, ProfileUpdate(**changes))


class TestHome:
    async def test_anonymous_sees_the_landing_page(self, client: AsyncClient) -> None:
        response = await client.get("/", headers=HTML)
        assert response.status_code == 200
        assert "Join the community" in response.text
        assert 'href="/signup"' in response.text and 'href="/signin"' in response.text
        assert 'data-signed-in="false"' in response.text

    async def test_signed_in_user_sees_their_dashboard(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await client.get("/", headers=HTML)
        assert "Hi, owner_user" in response.text
        for link in (
            'href="/u/owner_user"',
            'href="/settings/sessions"',
            'href="/settings/security"',
            'action="/signout"',
        ):
            assert link in response.text
        assert 'href="/admin/users"' not in response.text

    async def test_admin_gets_the_admin_link(self, client: AsyncClient, admin) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        assert 'href="/admin/users"' in (await client.get("/", headers=HTML)).text

    async def test_layout_uses_the_profile_theme_and_accent(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await set_profile(rt, owner, theme="dark", accent_color="#fde047")
        await sign_in(client, owner)
        html = (await client.get("/", headers=HTML)).text
        assert (
            '<html lang="en" data-theme="dark" style="--accent: #fde047; --on-accent: #111827;">'
            in html
        )


class TestEditProfile:
    async def test_anonymous_is_sent_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/settings/profile", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/settings/profile"

    async def test_form_shows_current_values(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await set_profile(rt, owner, bio="Hello there", accent_color="#10b981", show_email=True)
        await sign_in(client, owner)
        html = (await client.get("/settings/profile", headers=HTML)).text
        assert ">Hello there</textarea>" in html
        assert 'type="color" name="accent_color" value="#10b981"' in html
        assert 'name="show_email" value="on" checked' in html
        assert 'name="theme" value="system" checked' in html

    async def test_save_updates_every_field(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await post_form(client, "/settings/profile", PROFILE_FORM)
        assert response.status_code == 303
        page = await client.get("/settings/profile", headers=HTML)
        assert "Profile saved." in page.text
        assert 'data-theme="dark" style="--accent: #ec4899;' in page.text
        async with session_scope(rt.sessions) as db:
            p = (await accounts_service.get(db, owner.id)).profile
        assert (p.display_name, p.pronouns, p.location, p.timezone) == (
            "Luna Lovegood",
            "she/her",
            "Lisbon",
            "Europe/Lisbon",
        )
        assert p.bio == PROFILE_FORM["bio"]
        assert (p.website, p.social_links) == (
            "https://luna.example.com",
            {"youtube": "https://youtube.com/@luna"},
        )
        assert (p.theme, p.accent_color, p.is_public, p.show_email) == (
            "dark",
            "#ec4899",
            True,
            False,
        )

    async def test_empty_optional_fields_clear_them(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await set_profile(
            rt,
            owner,
            bio="Old bio",
            website="https://old.example.com",
            social_links={"twitch": "https://twitch.tv/x"},
        )
        await sign_in(client, owner)
        form = {**PROFILE_FORM, "bio": "", "website": "", "social_youtube": ""}
        assert (await post_form(client, "/settings/profile", form)).status_code == 303
        async with session_scope(rt.sessions) as db:
            p = (await accounts_service.get(db, owner.id)).profile
        assert (p.bio, p.website, p.social_links) == (None, None, {})

    async def test_invalid_values_are_shown_inline(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        form = {
            **PROFILE_FORM,
            "display_name": "",
            "website": "ftp://files.example.com",
            "timezone": "Mars/Olympus",
            "accent_color": "red",
            "bio": "x" * 501,
            "social_youtube": "javascript:alert(1)",
        }
        response = await post_form(client, "/settings/profile", form)
        assert response.status_code == 400
        html = response.text
        assert field_error(html, "display_name")
        assert field_error(html, "website") == "Must be an http(s) URL"
        assert "Unknown time zone" in field_error(html, "timezone")
        assert field_error(html, "accent_color")
        assert field_error(html, "bio")
        assert 'id="social-error"' in html
        assert 'value="Mars/Olympus"' in html and 'value="ftp://files.example.com"' in html
        async with session_scope(rt.sessions) as db:
            assert (await accounts_service.get(db, owner.id)).profile.display_name == "owner_user"

    async def test_htmx_save_returns_the_form_and_the_new_look(
        self, client: AsyncClient, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await post_form(client, "/settings/profile", PROFILE_FORM, htmx=True)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<form id="profile-form"')
        assert "<html" not in response.text
        assert 'data-testid="profile-saved"' in response.text
        trigger = json.loads(response.headers["HX-Trigger"])
        assert trigger == {
            "sparkle:profile-saved": {
                "theme": "dark",
                "accentColor": "#ec4899",
                "onAccent": "#111827",
            }
        }

    async def test_htmx_errors_come_back_as_the_form(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await post_form(
            client, "/settings/profile", {**PROFILE_FORM, "website": "nope"}, htmx=True
        )
        assert response.status_code == 400
        assert response.text.lstrip().startswith('<form id="profile-form"')
        assert field_error(response.text, "website")

    async def test_without_csrf_is_refused(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await client.post("/settings/profile", data=PROFILE_FORM, headers=HTML)
        assert response.status_code == 403
        async with session_scope(rt.sessions) as db:
            assert (await accounts_service.get(db, owner.id)).profile.display_name == "owner_user"

    async def test_theme_toggle_saves_the_theme(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        token = await csrf_token(client)
        response = await client.post(
            "/settings/theme", data={"theme": "light"}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code == 204
        async with session_scope(rt.sessions) as db:
            assert (await accounts_service.get(db, owner.id)).profile.theme == "light"
        bad = await client.post(
            "/settings/theme", data={"theme": "neon"}, headers={"X-CSRF-Token": token}
        )
        assert bad.status_code == 400
        assert (await client.post("/settings/theme", data={"theme": "dark"})).status_code == 403


class TestPublicProfile:
    async def test_shows_the_public_fields(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await set_profile(
            rt,
            owner,
            display_name="Owner Star",
            bio="I love sparkles",
            location="Oslo",
            accent_color="#22c55e",
            social_links={"github": "https://github.com/owner"},
        )
        response = await client.get("/u/owner_user", headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert "<h1>Owner Star</h1>" in html and "@owner_user" in html
        assert "I love sparkles" in html and "Oslo" in html
        assert 'style="--profile-accent: #22c55e;"' in html
        assert 'href="https://github.com/owner"' in html
        assert owner.user.email not in html  # show_email is off

    async def test_lookup_ignores_case(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        assert (await client.get("/u/OWNER_USER", headers=HTML)).status_code == 200

    async def test_email_only_when_shown(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await set_profile(rt, owner, show_email=True)
        assert owner.user.email in (await client.get("/u/owner_user", headers=HTML)).text

    async def test_private_profile(
        self, client: AsyncClient, rt: Runtime, owner, other, admin
    ) -> None:  # type: ignore[no-untyped-def]
        await set_profile(
            rt, owner, is_public=False, bio="Secret diary", display_name="Hidden Owner"
        )
        anonymous = await client.get("/u/owner_user", headers=HTML)
        assert "This profile is private." in anonymous.text
        assert "Hidden Owner" in anonymous.text and "Secret diary" not in anonymous.text
        await sign_in(client, other)
        assert "Secret diary" not in (await client.get("/u/owner_user", headers=HTML)).text
        client.cookies.clear()
        await sign_in(client, owner)
        own = (await client.get("/u/owner_user", headers=HTML)).text
        assert (
            "Secret diary" in own
            and "Your profile is private" in own
            and 'href="/settings/profile"' in own
        )
        client.cookies.clear()
        await sign_in(client, admin)
        assert "Secret diary" in (await client.get("/u/owner_user", headers=HTML)).text

    async def test_unknown_user_is_a_404_page(self, client: AsyncClient) -> None:
        response = await client.get("/u/nobody_here", headers=HTML)
        assert response.status_code == 404
        assert "Profile not found" in response.text
        assert "nobody_here" in response.text

    async def test_markup_in_fields_is_escaped(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await set_profile(rt, owner, bio="<script>alert(1)</script>", display_name="<b>bold</b>")
        html = (await client.get("/u/owner_user", headers=HTML)).text
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
        assert "<b>bold</b>" not in html
