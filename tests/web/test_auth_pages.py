"""Sign-up, sign-in (with 2FA), sign-out, e-mail verification and password reset pages."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pyotp
from fastapi import Request, Response
from httpx import AsyncClient

from sparkle.accounts import service as accounts_service
from sparkle.auth import service as auth_service
from sparkle.auth.pages import set_session_cookies
from sparkle.auth.schemas import Tokens
from sparkle.core.config import Settings
from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from tests.auth import bearer, link_token, mails_to
from tests.web.pages import HTML, csrf_token, field_error, post_form, sign_in

NEW_PASSWORD = "starlight-over-the-bay-7"


async def sign_up(client: AsyncClient, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "email": "nova@example.com",
        "username": "nova_star",
        "password": NEW_PASSWORD,
        **overrides,
    }
    return await post_form(client, "/signup", data, token=await csrf_token(client, "/signup"))


class TestSignUp:
    async def test_form_renders_with_csrf(self, client: AsyncClient) -> None:
        response = await client.get("/signup", headers=HTML)
        assert response.status_code == 200
        assert 'action="/signup"' in response.text
        token = response.cookies.get("sparkle_csrf")
        assert token and f'<meta name="csrf-token" content="{token}">' in response.text
        assert f'name="csrf_token" value="{token}"' in response.text

    async def test_creates_account_and_signs_in(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        response = await sign_up(client)
        assert response.status_code == 303
        assert response.headers["location"] == "/check-email"
        cookies = response.headers.get_list("set-cookie")
        for name in ("sparkle_access", "sparkle_refresh"):
            cookie = next(c for c in cookies if c.startswith(name + "="))
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        refresh = next(c for c in cookies if c.startswith("sparkle_refresh="))
        assert f"Max-Age={settings.refresh_token_days * 86400}" in refresh
        [mail] = mails_to(settings, "nova@example.com")
        assert link_token(mail, "/verify-email")

        page = await client.get("/check-email", headers=HTML)
        assert "nova@example.com" in page.text
        assert 'href="/dev/mail"' in page.text
        assert "Please confirm your email address" in page.text  # the unverified banner

    async def test_invalid_input_is_shown_inline_and_kept(self, client: AsyncClient) -> None:
        response = await sign_up(client, email="not-an-email", username="x", password="password")
        assert response.status_code == 400
        html = response.text
        assert field_error(html, "email")
        assert field_error(html, "username") == "Username must be 3 to 30 characters"
        assert field_error(html, "password") == "This password is too common; choose another"
        assert 'value="not-an-email"' in html and 'value="x"' in html
        assert 'value="password"' not in html  # the password is never echoed
        assert 'aria-describedby="f-username-hint f-username-error" aria-invalid="true"' in html

    async def test_taken_email_names_the_field(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        response = await sign_up(client, email=owner.user.email)
        assert response.status_code == 409
        assert field_error(response.text, "email") == "An account with this email already exists"

    async def test_without_csrf_token_is_refused(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        await client.get("/signup", headers=HTML)
        data = {"email": "nova@example.com", "username": "nova_star", "password": NEW_PASSWORD}
        response = await client.post("/signup", data=data, headers=HTML)
        assert response.status_code == 403
        assert "Form expired" in response.text
        assert mails_to(settings, "nova@example.com") == []

    async def test_with_wrong_csrf_token_is_refused(self, client: AsyncClient) -> None:
        await client.get("/signup", headers=HTML)
        response = await post_form(client, "/signup", {"email": "a@example.com"}, token="forged")
        assert response.status_code == 403


class TestVerifyEmail:
    async def test_link_verifies_once(self, client: AsyncClient, settings: Settings) -> None:
        await sign_up(client)
        token = link_token(mails_to(settings, "nova@example.com")[0], "/verify-email")
        response = await client.get(f"/verify-email?token={token}", headers=HTML)
        assert response.status_code == 200
        assert "Your email is verified" in response.text
        assert "Please confirm your email address" not in response.text
        again = await client.get(f"/verify-email?token={token}", headers=HTML)
        assert again.status_code == 400
        assert "This link is invalid or has expired" in again.text

    async def test_bad_token(self, client: AsyncClient) -> None:
        response = await client.get("/verify-email?token=nope", headers=HTML)
        assert response.status_code == 400
        assert "invalid or has expired" in response.text

    async def test_resend_sends_a_new_link(self, client: AsyncClient, settings: Settings) -> None:
        await sign_up(client)
        response = await post_form(client, "/check-email/resend", {"email": "nova@example.com"})
        assert response.status_code == 303
        assert len(mails_to(settings, "nova@example.com", "erif")) == 2


class TestSignIn:
    async def test_success_sets_cookies_and_follows_next(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        data = {"email": owner.user.email, "password": owner.password, "next": "/settings/sessions"}
        response = await post_form(client, "/signin", data)
        assert response.status_code == 303
        assert response.headers["location"] == "/settings/sessions"
        page = await client.get("/settings/sessions", headers=HTML)
        assert page.status_code == 200
        assert "Welcome back, owner_user!" in page.text  # the flash message
        assert "Welcome back" not in (await client.get("/", headers=HTML)).text  # shown once

    async def test_next_must_stay_on_site(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            client.cookies.clear()
            data = {"email": owner.user.email, "password": owner.password, "next": target}
            response = await post_form(client, "/signin", data)
            assert response.headers["location"] == "/"

    async def test_wrong_password(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        response = await post_form(
            client, "/signin", {"email": owner.user.email, "password": "wrong-password"}
        )
        assert response.status_code == 401
        assert "Invalid credentials" in response.text
        assert f'value="{owner.user.email}"' in response.text
        assert "sparkle_access" not in response.cookies

    async def test_missing_fields(self, client: AsyncClient) -> None:
        response = await post_form(client, "/signin", {"email": "", "password": ""})
        assert response.status_code == 400
        assert field_error(response.text, "email") == "This field is required"
        assert field_error(response.text, "password") == "This field is required"

    async def test_unverified_account_is_told_to_verify(
        self, client: AsyncClient, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        account = await make_account(username="unverified", verified=False)
        response = await post_form(
            client, "/signin", {"email": account.user.email, "password": account.password}
        )
        assert response.status_code == 403
        assert "Please verify your email before logging in" in response.text
        assert 'action="/check-email/resend"' in response.text

    async def test_signed_in_user_is_sent_on(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await client.get("/signin?next=/settings/profile", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/settings/profile"


class TestTwoFactorSignIn:
    async def enrol(self, rt: Runtime, account) -> str:  # type: ignore[no-untyped-def]
        async with session_scope(rt.sessions) as db:
            user = await accounts_service.get(db, account.id)
            setup = await auth_service.setup_two_factor(db, rt, user, account.password)
            await auth_service.confirm_two_factor(db, rt, user, pyotp.TOTP(setup.secret).now())
        return setup.secret

    async def test_code_step(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        secret = await self.enrol(rt, owner)
        first = await post_form(
            client,
            "/signin",
            {"email": owner.user.email, "password": owner.password, "next": "/settings/security"},
        )
        assert first.status_code == 200
        assert 'action="/signin/2fa"' in first.text
        assert "sparkle_access" not in first.cookies
        challenge = first.text.split('name="challenge_token" value="')[1].split('"')[0]

        wrong = await post_form(
            client,
            "/signin/2fa",
            {"challenge_token": challenge, "code": "000000", "next": "/settings/security"},
        )
        assert wrong.status_code == 401
        assert field_error(wrong.text, "code")

        # Codes are single use: enrolment spent this time step's code, so take the next one.
        code = pyotp.TOTP(secret).at(time.time() + 30)
        ok = await post_form(
            client,
            "/signin/2fa",
            {"challenge_token": challenge, "code": code, "next": "/settings/security"},
        )
        assert ok.status_code == 303
        assert ok.headers["location"] == "/settings/security"
        assert (await client.get("/settings/security", headers=HTML)).status_code == 200

    async def test_forged_challenge_restarts_sign_in(self, client: AsyncClient) -> None:
        response = await post_form(
            client, "/signin/2fa", {"challenge_token": "forged", "code": "123456"}
        )
        assert response.status_code == 401
        assert 'action="/signin"' in response.text
        assert "sign in again" in response.text


class TestSignOut:
    async def test_revokes_the_session_and_clears_cookies(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        access = client.cookies.get("sparkle_access")
        token = await csrf_token(client, "/")
        response = await post_form(client, "/signout", {}, token=token)
        assert response.status_code == 303
        assert 'sparkle_access=""' in response.headers.get("set-cookie", "")
        assert "sparkle_access" not in client.cookies
        client.cookies.clear()
        me = await client.get("/api/auth/me", headers=bearer(access))
        assert me.status_code == 401
        home = await client.get("/", headers=HTML)
        assert 'href="/signin"' in home.text

    async def test_without_csrf_is_refused(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        response = await client.post("/signout", headers=HTML)
        assert response.status_code == 403
        assert (await client.get("/settings/profile", headers=HTML)).status_code == 200


class TestPasswordReset:
    async def test_full_flow(self, client: AsyncClient, settings: Settings, owner) -> None:  # type: ignore[no-untyped-def]
        sent = await post_form(client, "/forgot-password", {"email": owner.user.email})
        assert sent.status_code == 200
        assert "Check your inbox" in sent.text
        token = link_token(mails_to(settings, owner.user.email, "assword")[0], "/reset-password")

        form = await client.get(f"/reset-password?token={token}", headers=HTML)
        assert form.status_code == 200
        assert f'name="token" value="{token}"' in form.text

        weak = await post_form(client, "/reset-password", {"token": token, "password": "short"})
        assert weak.status_code == 400
        assert field_error(weak.text, "password") == "Password must be 8 to 128 characters"

        done = await post_form(
            client, "/reset-password", {"token": token, "password": NEW_PASSWORD}
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/signin"
        old = await post_form(
            client, "/signin", {"email": owner.user.email, "password": owner.password}
        )
        assert old.status_code == 401
        new = await post_form(
            client, "/signin", {"email": owner.user.email, "password": NEW_PASSWORD}
        )
        assert new.status_code == 303

    async def test_unknown_email_looks_the_same(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        response = await post_form(client, "/forgot-password", {"email": "nobody@example.com"})
        assert response.status_code == 200
        assert "Check your inbox" in response.text
        assert mails_to(settings, "nobody@example.com") == []

    async def test_used_or_bad_token(self, client: AsyncClient) -> None:
        response = await post_form(
            client, "/reset-password", {"token": "bad", "password": NEW_PASSWORD}
        )
        assert response.status_code == 400
        assert "This link is invalid or has expired" in response.text
        missing = await client.get("/reset-password", headers=HTML)
        assert missing.status_code == 400


class TestCookies:
    def test_secure_in_production(self, settings: Settings) -> None:
        production = settings.model_copy(update={"env": "production"})
        app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(settings=production)))
        request = Request({"type": "http", "app": app, "headers": []})
        response = Response()
        tokens = Tokens(access_token="a", refresh_token="r", expires_in=900)
        set_session_cookies(request, response, tokens)
        cookies = response.headers.getlist("set-cookie")
        assert len(cookies) == 2
        assert all("Secure" in c and "HttpOnly" in c and "SameSite=lax" in c for c in cookies)
