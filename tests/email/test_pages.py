"""Unsubscribe without signing in (page, one-click, fine-tuning, bad tokens), open and click
tracking (signed ids, no open redirect, analytics events) and the admin template previews."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from sparkle.core import events, runtime
from sparkle.email import catalog, tokens
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType
from tests.email.steps import logs, outbox, run

NOTE = {
    "title": "Big news",
    "message": "Read all about it.",
    "url": "http://testserver/news?a=1&b=2",
}


async def prefs(rt: runtime.Runtime, user_id: Any) -> preferences.Preferences:
    async with rt.sessions() as session:
        return await preferences.get_preferences(session, user_id)


def email_on(p: preferences.Preferences, t: NotificationType) -> bool:
    return p.channels[t][preferences.Channel.EMAIL]


class TestUnsubscribe:
    async def test_page_without_signing_in(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        token = tokens.unsubscribe_token(rt.settings, owner.id, "POST_LIKED")
        r = await client.get(f"/unsubscribe?token={token}")
        assert r.status_code == 200
        assert "Unsubscribe from “Likes on my posts” emails" in r.text
        assert 'name="email_POST_LIKED" value="on" checked' in r.text
        assert r.headers["cache-control"] == "no-store, private"

    async def test_one_click(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        token = tokens.unsubscribe_token(rt.settings, owner.id, "POST_LIKED")
        r = await client.post(f"/unsubscribe?token={token}", data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
        p = await prefs(rt, owner.id)
        assert not email_on(p, NotificationType.POST_LIKED)
        assert email_on(p, NotificationType.MENTION) and p.digest == "weekly"

    async def test_digest_and_all(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        token = tokens.unsubscribe_token(rt.settings, owner.id, "digest")
        r = await client.post(f"/unsubscribe?token={token}", data={"action": "scope"})
        assert r.status_code == 200 and "get the digest any more." in r.text
        assert (await prefs(rt, owner.id)).digest == "off"
        assert email_on(await prefs(rt, owner.id), NotificationType.MENTION)

        r = await client.post(f"/unsubscribe?token={token}", data={"action": "all"})
        assert r.status_code == 200
        p = await prefs(rt, owner.id)
        assert not any(email_on(p, t) for t in NotificationType)

    async def test_fine_tune(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        token = tokens.unsubscribe_token(rt.settings, owner.id, "all")
        form = {"token": token, "digest": "daily", "email_MENTION": "on", "email_LEVEL_UP": "on"}
        r = await client.post("/unsubscribe/preferences", data=form)
        assert r.status_code == 200 and "Your email preferences are saved." in r.text
        p = await prefs(rt, owner.id)
        assert p.digest == "daily"
        assert {t for t in NotificationType if email_on(p, t)} == {
            NotificationType.MENTION,
            NotificationType.LEVEL_UP,
        }
        # In-app notifications are untouched.
        assert all(p.channels[t][preferences.Channel.IN_APP] for t in NotificationType)

        bad = await client.post("/unsubscribe/preferences", data={**form, "digest": "hourly"})
        assert bad.status_code == 400

    @pytest.mark.parametrize("kind", ["missing", "garbage", "forged", "expired", "other_purpose"])
    async def test_bad_token_is_a_friendly_400(
        self,
        rt: runtime.Runtime,
        client: httpx.AsyncClient,
        owner: Any,
        kind: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        secret = rt.settings.secret_key.get_secret_value()
        token = {
            "missing": "",
            "garbage": "not-a-token",
            "forged": URLSafeTimedSerializer("another-secret", salt=tokens.UNSUBSCRIBE_SALT).dumps(
                {"u": str(owner.id), "s": "all"}
            ),
            "expired": tokens.unsubscribe_token(rt.settings, owner.id, "all"),
            "other_purpose": URLSafeTimedSerializer(secret, salt="sparkle.flash").dumps(
                {"u": str(owner.id), "s": "all"}
            ),
        }[kind]
        if kind == "expired":
            monkeypatch.setattr(rt.settings, "email_unsubscribe_days", -1)
        for r in (
            await client.get(f"/unsubscribe?token={quote(token)}"),
            await client.post(
                f"/unsubscribe?token={quote(token)}", data={"List-Unsubscribe": "One-Click"}
            ),
            await client.post("/unsubscribe/preferences", data={"token": token, "digest": "off"}),
        ):
            assert r.status_code == 400
            assert "This unsubscribe link doesn't work" in r.text
        assert (await prefs(rt, owner.id)).digest == "weekly"

    async def test_link_from_a_real_mail(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        await run(
            "email.send",
            {
                "userId": str(owner.id),
                "template": "system_notification",
                "context": {"notification": NOTE},
            },
        )
        [mail] = outbox(rt)
        link = re.search(
            r"<(http://testserver/unsubscribe\?token=[^>]+)>",
            dict(mail.headers)["List-Unsubscribe"],
        )
        assert link is not None
        r = await client.post(
            link.group(1).removeprefix("http://testserver"), data={"List-Unsubscribe": "One-Click"}
        )
        assert r.status_code == 200
        assert not email_on(await prefs(rt, owner.id), NotificationType.SYSTEM)


class TestTracking:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_TRACKING": True}

    async def _send(self, rt: runtime.Runtime, owner: Any) -> Any:
        await run(
            "email.send",
            {
                "userId": str(owner.id),
                "template": "system_notification",
                "context": {"notification": NOTE},
            },
        )
        return outbox(rt)[-1]

    async def test_links_point_at_signed_ids(self, rt: runtime.Runtime, owner: Any) -> None:
        mail = await self._send(rt, owner)
        [row] = await logs(rt)
        assert NOTE["url"] in row.links and "http://testserver" in row.links  # the logo's link
        assert 'href="http://testserver/email/c/' in mail.html
        assert 'href="http://testserver/news' not in mail.html
        assert "/email/o/" in mail.html
        assert owner.user.email not in mail.html.replace(f"To: {owner.user.email}", "")
        assert 'href="http://testserver/unsubscribe?token=' in mail.html  # never tracked

    async def test_open_and_click(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        mail = await self._send(rt, owner)
        pixel = re.search(r'src="http://testserver(/email/o/[^"]+)"', mail.html).group(1)  # type: ignore[union-attr]
        [row] = await logs(rt)
        index = row.links.index(NOTE["url"])
        click = re.search(rf'href="http://testserver(/email/c/[^"]+/{index})"', mail.html).group(1)  # type: ignore[union-attr]

        with events.capture_events() as seen:
            r = await client.get(pixel)
            assert r.status_code == 200 and r.headers["content-type"] == "image/gif"
            r = await client.get(click)
            assert r.status_code == 302 and r.headers["location"] == NOTE["url"]
        assert [e.name for e in seen] == ["email:opened", "email:clicked"]
        assert seen[1].payload["url"] == NOTE["url"] and seen[1].payload["userId"] == str(owner.id)
        [row] = await logs(rt)
        assert row.opened_at is not None and row.clicked_at is not None

    async def test_no_open_redirect(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, owner: Any
    ) -> None:
        mail = await self._send(rt, owner)
        click = re.search(r'href="http://testserver/email/c/([^"/]+)/0"', mail.html).group(1)  # type: ignore[union-attr]
        tracking_id, _, signature = click.rpartition(".")
        # A different first character always changes the signature's bytes (a changed last
        # character may only touch base64 padding bits).
        forged = ("A" if signature[0] != "A" else "B") + signature[1:]
        for path in (
            f"/email/c/{click}/99",
            f"/email/c/{click}/-1",
            f"/email/c/{tracking_id}.{forged}/0",
            f"/email/c/{tokens.sign_tracking(rt.settings, 'unknown')}/0",
            f"/email/o/{tracking_id}.forged.gif",
        ):
            assert (await client.get(path)).status_code == 400, path

    async def test_transactional_mail_is_not_tracked(self, rt: runtime.Runtime) -> None:
        await run(
            "email.send",
            {
                "to": "a@example.com",
                "template": "password_reset",
                "context": {"url": "http://testserver/reset?t=1"},
            },
        )
        assert "/email/" not in outbox(rt)[-1].html


class TestUntracked:
    async def test_tracking_off_by_default(self, rt: runtime.Runtime, owner: Any) -> None:
        await run(
            "email.send",
            {
                "userId": str(owner.id),
                "template": "system_notification",
                "context": {"notification": NOTE},
            },
        )
        [row] = await logs(rt)
        assert row.tracking_id is None and "/email/o/" not in outbox(rt)[0].html


class TestAdminPreviews:
    async def test_anonymous_is_sent_to_sign_in(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/admin/email/templates")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")

    async def test_members_are_refused(self, client: httpx.AsyncClient, other: Any) -> None:
        for path in (
            "/admin/email/templates",
            "/admin/email/templates/welcome",
            "/admin/email/templates/welcome/html",
        ):
            assert (await client.get(path, headers=other.headers)).status_code == 403, path

    async def test_list(self, client: httpx.AsyncClient, admin: Any) -> None:
        r = await client.get("/admin/email/templates", headers=admin.headers)
        assert r.status_code == 200
        for spec in catalog.SPECS:
            assert f'href="/admin/email/templates/{spec.name}"' in r.text
        assert "Achievement Unlocked: First Post!" in r.text

    async def test_every_preview(self, client: httpx.AsyncClient, admin: Any) -> None:
        for name in (s.name for s in catalog.SPECS):
            r = await client.get(f"/admin/email/templates/{name}", headers=admin.headers)
            assert r.status_code == 200 and 'data-testid="preview-text"' in r.text, name
            assert re.search(
                r'<iframe[^>]*sandbox="allow-popups[^"]*"[^>]*srcdoc="&lt;!DOCTYPE html', r.text
            )
            html = await client.get(f"/admin/email/templates/{name}/html", headers=admin.headers)
            assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
            text = await client.get(f"/admin/email/templates/{name}/text", headers=admin.headers)
            assert text.status_code == 200 and text.text.strip(), name

    async def test_unknown_template(self, client: httpx.AsyncClient, admin: Any) -> None:
        for path in ("/admin/email/templates/nope", "/admin/email/templates/nope/html"):
            assert (await client.get(path, headers=admin.headers)).status_code == 404
