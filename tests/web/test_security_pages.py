"""Session list and revocation, password change and two-factor enrolment pages."""

from __future__ import annotations

import re
import time

import pyotp
from httpx import AsyncClient

from tests.auth import bearer, session_id_of
from tests.web.pages import HTML, csrf_token, field_error, post_form, sign_in


class TestSessions:
    async def test_anonymous_is_sent_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/settings/sessions", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/settings/sessions"

    async def test_lists_sessions_and_marks_this_one(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        html = (await client.get("/settings/sessions", headers=HTML)).text
        assert html.count('data-testid="session"') == 2  # the factory's session and this one
        assert html.count("This device") == 1
        assert "IP 198.51.100.1" in html and "IP 203.0.113.7" in html  # factory and test client

    async def test_revoke_another_session_with_htmx(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        other_session = session_id_of(owner.access_token)
        response = await post_form(
            client, f"/settings/sessions/{other_session}/revoke", {}, htmx=True
        )
        assert response.status_code == 200
        assert response.text == ""
        assert (
            await client.get("/api/auth/me", headers=bearer(owner.access_token))
        ).status_code == 401
        html = (await client.get("/settings/sessions", headers=HTML)).text
        assert html.count('data-testid="session"') == 1

    async def test_revoke_without_htmx_redirects_with_a_message(
        self, client: AsyncClient, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await post_form(
            client, f"/settings/sessions/{session_id_of(owner.access_token)}/revoke", {}
        )
        assert response.status_code == 303
        assert "Session revoked." in (await client.get("/settings/sessions", headers=HTML)).text

    async def test_another_users_session_is_not_found(
        self, client: AsyncClient, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        target = session_id_of(other.access_token)
        response = await post_form(client, f"/settings/sessions/{target}/revoke", {}, htmx=True)
        assert response.status_code == 404
        assert (
            await client.get("/api/auth/me", headers=bearer(other.access_token))
        ).status_code == 200

    async def test_revoking_this_session_signs_out(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        current = session_id_of(client.cookies["sparkle_access"])
        response = await post_form(client, f"/settings/sessions/{current}/revoke", {})
        assert response.status_code == 303 and response.headers["location"] == "/signin"
        assert "sparkle_access" not in client.cookies

    async def test_sign_out_everywhere(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await post_form(client, "/settings/sessions/revoke-all", {})
        assert response.status_code == 303
        assert (
            await client.get("/api/auth/me", headers=bearer(owner.access_token))
        ).status_code == 401
        assert (await client.get("/settings/sessions", headers=HTML)).status_code == 303

    async def test_revoke_without_csrf_is_refused(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await client.post(
            f"/settings/sessions/{session_id_of(owner.access_token)}/revoke", headers=HTML
        )
        assert response.status_code == 403
        assert (
            await client.get("/api/auth/me", headers=bearer(owner.access_token))
        ).status_code == 200


class TestChangePassword:
    async def test_wrong_current_password(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        data = {"current_password": "not-my-password", "new_password": "a-brand-new-password"}
        response = await post_form(client, "/settings/security/password", data)
        assert response.status_code == 400
        assert field_error(response.text, "current_password") == "Incorrect password"

    async def test_weak_new_password(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        data = {"current_password": owner.password, "new_password": "short"}
        response = await post_form(client, "/settings/security/password", data)
        assert response.status_code == 400
        assert field_error(response.text, "new_password") == "Password must be 8 to 128 characters"

    async def test_changes_it_and_signs_out_other_devices(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        data = {"current_password": owner.password, "new_password": "a-brand-new-password"}
        response = await post_form(client, "/settings/security/password", data)
        assert response.status_code == 303
        page = await client.get("/settings/security", headers=HTML)
        assert page.status_code == 200 and "Password changed." in page.text
        assert (
            await client.get("/api/auth/me", headers=bearer(owner.access_token))
        ).status_code == 401


class TestTwoFactor:
    async def test_enrol_show_codes_and_disable(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        page = await client.get("/settings/security", headers=HTML)
        assert 'action="/settings/security/2fa/setup"' in page.text

        refused = await post_form(client, "/settings/security/2fa/setup", {"password": "nope-nope"})
        assert refused.status_code == 400
        assert field_error(refused.text, "setup-password") == "Incorrect password"
        setup = await post_form(
            client, "/settings/security/2fa/setup", {"password": owner.password}
        )
        assert setup.status_code == 200
        assert re.search(r'<div class="qr"[^>]*><svg', setup.text)
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', setup.text).group(1)

        wrong = await post_form(client, "/settings/security/2fa/confirm", {"code": "000000"})
        assert wrong.status_code == 400
        assert field_error(wrong.text, "code") == "The code is wrong or expired"
        assert f'data-testid="totp-secret">{secret}<' in wrong.text

        confirmed = await post_form(
            client, "/settings/security/2fa/confirm", {"code": pyotp.TOTP(secret).now()}
        )
        assert confirmed.status_code == 200
        codes = re.findall(r"<li>([0-9a-f]{8}-[0-9a-f]{8})</li>", confirmed.text)
        assert len(codes) == 10
        assert 'data-copy-target="#recovery-codes"' in confirmed.text
        assert (
            codes[0] not in (await client.get("/settings/security", headers=HTML)).text
        )  # shown once

        # Codes are single use: confirming spent this time step's code, so take the next one.
        next_code = pyotp.TOTP(secret).at(time.time() + 30)
        regenerated = await post_form(
            client, "/settings/security/2fa/recovery-codes", {"code": next_code}
        )
        assert regenerated.status_code == 200
        new_codes = re.findall(r"<li>([0-9a-f]{8}-[0-9a-f]{8})</li>", regenerated.text)
        assert len(new_codes) == 10 and not set(new_codes) & set(codes)

        bad = await post_form(
            client, "/settings/security/2fa/disable", {"password": "nope-nope", "code": "123456"}
        )
        assert bad.status_code == 400
        assert field_error(bad.text, "password") == "Incorrect password"
        off = await post_form(
            client,
            "/settings/security/2fa/disable",
            {"password": owner.password, "code": new_codes[0]},
        )
        assert off.status_code == 303
        assert (
            'action="/settings/security/2fa/setup"'
            in (await client.get("/settings/security", headers=HTML)).text
        )

    async def test_setup_needs_csrf(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        await csrf_token(client)
        response = await client.post("/settings/security/2fa/setup", headers=HTML)
        assert response.status_code == 403

    async def test_anonymous_is_sent_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/settings/security", headers=HTML)
        assert response.headers["location"] == "/signin?next=/settings/security"
