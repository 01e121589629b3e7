"""The development pages (the outbox viewer) are served to loopback requests, judged by the
socket peer, and to signed-in administrators; anyone else is refused with the rule stated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from sparkle.core import runtime
from tests.web.pages import HTML, sign_in

PAGES = ["/dev/mail", "/dev/mail/nope.eml", "/dev/mail/nope.eml/html", "/dev/mail/nope.eml/raw"]


@asynccontextmanager
async def client_from(
    app, peer: str, base_url: str = "http://127.0.0.1:8000"
) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
        yield c


async def _send_a_mail(rt: runtime.Runtime) -> None:
    await rt.mailer.send_template(
        "ann@example.com", "welcome", {"username": "ann", "url": "http://testserver/u/ann"}
    )


class TestOutboxAccess:
    @pytest.mark.parametrize("peer", ["203.0.113.7", "192.168.1.20", "10.0.0.2", "::ffff:8.8.8.8"])
    async def test_network_peer_is_refused(self, app, peer) -> None:  # type: ignore[no-untyped-def]
        async with client_from(app, peer) as c:
            for path in PAGES:
                r = await c.get(path)
                assert r.status_code == 403, (path, r.status_code)
                assert r.json()["code"] == "debug_page_refused"
                assert "loopback" in r.json()["detail"]
            page = await c.get("/dev/mail", headers=HTML)
            assert page.status_code == 403
            assert "signed-in administrator" in page.text

    @pytest.mark.parametrize(
        "header",
        [
            {"X-Forwarded-For": "127.0.0.1"},
            {"X-Real-IP": "127.0.0.1"},
            {"Forwarded": "for=127.0.0.1"},
        ],
    )
    async def test_forwarding_headers_never_make_a_request_local(self, app, header) -> None:  # type: ignore[no-untyped-def]
        async with client_from(app, "203.0.113.7") as c:
            assert (await c.get("/dev/mail", headers=header)).status_code == 403
        # A proxy on this machine: the peer is loopback but the client is elsewhere.
        async with client_from(app, "127.0.0.1") as c:
            assert (await c.get("/dev/mail", headers=header)).status_code == 403

    async def test_a_rebound_host_name_is_refused(self, app) -> None:  # type: ignore[no-untyped-def]
        async with client_from(app, "127.0.0.1", "http://attacker.example:8000") as c:
            assert (await c.get("/dev/mail")).status_code == 403

    @pytest.mark.parametrize(
        ("peer", "base_url"),
        [
            ("127.0.0.1", "http://127.0.0.1:8000"),
            ("127.0.0.1", "http://localhost:8000"),
            ("127.0.0.5", "http://localhost"),
            ("::1", "http://[::1]:8000"),
            ("::ffff:127.0.0.1", "http://127.0.0.1:8000"),
        ],
    )
    async def test_loopback_is_served(self, app, rt, peer, base_url) -> None:  # type: ignore[no-untyped-def]
        await _send_a_mail(rt)
        async with client_from(app, peer, base_url) as c:
            page = await c.get("/dev/mail", headers=HTML)
            assert page.status_code == 200, page.text
            assert "ann@example.com" in page.text
            assert "loopback" in page.text and "signed-in administrator" in page.text
            assert (await c.get("/dev/mail/nope.eml")).status_code == 404

    async def test_admin_is_served_from_anywhere(self, app, rt, admin) -> None:  # type: ignore[no-untyped-def]
        await _send_a_mail(rt)
        async with client_from(app, "203.0.113.7", "http://sparkle.example") as c:
            r = await c.get("/dev/mail", headers={**HTML, **admin.headers})
            assert r.status_code == 200 and "ann@example.com" in r.text
            await sign_in(c, admin)
            assert (await c.get("/dev/mail", headers=HTML)).status_code == 200

    async def test_members_are_refused(self, app, owner, moderator) -> None:  # type: ignore[no-untyped-def]
        async with client_from(app, "203.0.113.7", "http://sparkle.example") as c:
            for account in (owner, moderator):
                r = await c.get("/dev/mail", headers=account.headers)
                assert r.status_code == 403 and r.json()["code"] == "debug_page_refused"
            await sign_in(c, owner)
            page = await c.get("/dev/mail", headers=HTML)
            assert page.status_code == 403 and "administrator" in page.text

    @pytest.mark.parametrize("settings_overrides", [{"SPARKLE_DEBUG_PAGES": False}])
    async def test_off_is_a_404_even_on_loopback(self, app, admin) -> None:  # type: ignore[no-untyped-def]
        async with client_from(app, "127.0.0.1") as c:
            assert (await c.get("/dev/mail")).status_code == 404
            assert (await c.get("/dev/mail", headers=admin.headers)).status_code == 404
