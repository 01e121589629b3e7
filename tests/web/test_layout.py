"""The shared layout, HTML error pages, flash messages and the built assets the pages load."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from sparkle.accounts import service as accounts_service
from sparkle.accounts.schemas import AdminUserUpdate
from sparkle.admin import service as admin_service
from sparkle.core.db import session_scope, utcnow
from sparkle.web.rendering import FLASH_COOKIE
from tests.web.assets import REQUIRED, ensure_assets
from tests.web.pages import HTML, csrf_token, post_form, sign_in

PAGES = ["/", "/signin", "/signup", "/forgot-password", "/check-email"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


class TestLayout:
    @pytest.mark.parametrize("path", PAGES)
    async def test_pages_are_accessible_and_script_free_inline(
        self, client: AsyncClient, path: str
    ) -> None:
        response = await client.get(path, headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
        assert '<nav class="nav" aria-label="Main">' in html
        assert '<link rel="stylesheet" href="/static/dist/app.css">' in html
        assert '<script src="/static/dist/app.js" defer></script>' in html
        assert not INLINE_SCRIPT.search(html)  # the CSP allows only script-src 'self'
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "Sparkle Universe</title>" in html

    async def test_every_label_points_at_a_control(self, client: AsyncClient) -> None:
        html = (await client.get("/signup", headers=HTML)).text
        for target in re.findall(r'<label for="([^"]+)"', html):
            assert f'id="{target}"' in html

    async def test_navigation_follows_the_viewer(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        anonymous = (await client.get("/", headers=HTML)).text
        assert (
            'href="/signin"' in anonymous
            and 'href="/signup"' in anonymous
            and "Sign out" not in anonymous
        )
        await sign_in(client, owner)
        signed_in = (await client.get("/", headers=HTML)).text
        assert (
            'href="/u/owner_user"' in signed_in
            and "Sign out" in signed_in
            and 'href="/signup"' not in signed_in
        )
        assert 'data-signed-in="true"' in signed_in

    async def test_flash_cookie_is_signed(self, client: AsyncClient) -> None:
        client.cookies.set(FLASH_COOKIE, '[["success","forged message"]]')
        response = await client.get("/", headers=HTML)
        assert "forged message" not in response.text

    async def test_flash_after_sign_out(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        await post_form(client, "/signout", {}, token=await csrf_token(client))
        page = await client.get("/", headers=HTML)
        assert 'class="flash flash-success"' in page.text and "You are signed out" in page.text


class TestErrorPages:
    async def test_unknown_page_is_a_friendly_404(self, client: AsyncClient) -> None:
        response = await client.get("/no/such/page", headers=HTML)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Page not found" in response.text and 'href="/"' in response.text

    async def test_api_clients_still_get_problem_documents(self, client: AsyncClient) -> None:
        plain = await client.get("/no/such/page")
        assert plain.headers["content-type"] == "application/problem+json"
        api = await client.get("/api/users/nobody_at_all", headers=HTML)
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/problem+json"

    async def test_404_page_keeps_the_signed_in_navigation(
        self, client: AsyncClient, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, owner)
        html = (await client.get("/nothing-here", headers=HTML)).text
        assert 'href="/u/owner_user"' in html and "Sign out" in html

    async def test_unexpected_error_page(self, app: FastAPI) -> None:
        async def boom() -> None:
            raise RuntimeError("kaboom")

        app.add_api_route("/boom", boom)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.get("/boom", headers={**HTML, "X-Request-ID": "req-123"})
            assert response.status_code == 500
            assert "Server error" in response.text and "req-123" in response.text
            assert "kaboom" not in response.text
            assert (await c.get("/boom")).headers["content-type"] == "application/problem+json"


class TestAssets:
    async def test_built_assets_are_served(self, client: AsyncClient) -> None:
        dist = ensure_assets()
        for name in REQUIRED:
            response = await client.get(f"/static/dist/{name}")
            assert response.status_code == 200, name
            assert response.content == (dist / name).read_bytes()
        script = (dist / "app.js").read_text()
        # One self-contained bundle: HTMX included and exposed, the CSRF header on its requests.
        assert (
            "window.htmx=" in script and "htmx:configRequest" in script and "X-CSRF-Token" in script
        )
        assert not re.search(r"^\s*import\s", script, re.MULTILINE)
        css = (dist / "app.css").read_text()
        assert "--accent" in css and "prefers-color-scheme" in css

    async def test_docs_pages_point_at_the_built_assets(self, client: AsyncClient) -> None:
        ensure_assets()
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
                assert (await client.get(src)).status_code == 200, src

    async def test_dev_outbox_uses_the_layout(self, client: AsyncClient, admin) -> None:  # type: ignore[no-untyped-def]
        html = (await client.get("/dev/mail", headers={**HTML, **admin.headers})).text
        assert "<h1>Outbox</h1>" in html and '<a class="skip-link"' in html
        assert "<script" not in html


class TestSuspendedAccount:
    async def test_pages_explain_the_ban_and_drop_the_cookies(
        self,
        client: AsyncClient,
        rt,
        owner,
        admin,  # type: ignore[no-untyped-def]
    ) -> None:
        await sign_in(client, owner)
        async with session_scope(rt.sessions) as db:
            actor = await accounts_service.get(db, admin.id)
            update = AdminUserUpdate(banned_until=utcnow() + timedelta(days=3))
            await admin_service.update_user(db, actor, owner.id, update, ip=None)
        response = await client.get("/settings/profile", headers=HTML)
        assert response.status_code == 403
        assert "Account suspended until" in response.text
        assert "sparkle_access" not in client.cookies
        home = await client.get("/", headers=HTML)
        assert home.status_code == 200 and 'href="/signin"' in home.text
