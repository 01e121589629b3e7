"""Notification pages: the bell's count, the list (open marks read and redirects, mark read,
delete, mark all read) and the preferences form."""

from __future__ import annotations

import re
import uuid

from sparkle.core.db import session_scope
from sparkle.notifications import preferences, service
from sparkle.notifications.models import NotificationType
from sparkle.notifications.service import Target
from tests.web.pages import HTML, csrf_token, post_form, sign_in


async def seed(rt, recipient, actor, n=1):  # type: ignore[no-untyped-def]
    ids = []
    async with session_scope(rt.sessions) as session:
        for _ in range(n):
            post_id = uuid.uuid4()
            row = await service.notify(
                session,
                recipient_id=recipient.id,
                type=NotificationType.MENTION,
                actor_id=actor.id,
                target=Target("post", post_id),
                phrase="mentioned you",
                content="A thread",
                data={"postId": str(post_id)},
            )
            ids.append(row.id)
    return ids


def bell_count(html: str) -> int:
    match = re.search(r'data-unread-count="(\d+)"', html)
    assert match, html
    return int(match.group(1))


async def unread(rt, user_id) -> int:  # type: ignore[no-untyped-def]
    async with rt.sessions() as db:
        return await service.unread_count(db, user_id)


class TestBell:
    async def test_nav_has_bell_for_signed_in(self, client, owner) -> None:
        assert "data-notification-bell" not in (await client.get("/feed", headers=HTML)).text
        await sign_in(client, owner)
        html = (await client.get("/feed", headers=HTML)).text
        assert "data-notification-bell" in html
        assert 'hx-get="/notifications/bell"' in html

    async def test_count(self, client, rt, owner, other) -> None:
        await seed(rt, owner, other, 3)
        await sign_in(client, owner)
        assert bell_count((await client.get("/notifications/bell", headers=HTML)).text) == 3

    async def test_anonymous(self, client) -> None:
        assert (await client.get("/notifications/bell")).status_code == 204


class TestList:
    async def test_anonymous_goes_to_sign_in(self, client) -> None:
        r = await client.get("/notifications", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/signin?next=/notifications")

    async def test_lists_own(self, client, rt, owner, other) -> None:
        await seed(rt, owner, other, 2)
        await seed(rt, other, owner, 1)
        await sign_in(client, owner)
        html = (await client.get("/notifications", headers=HTML)).text
        assert html.count('data-testid="notification"') == 2
        assert "other_user mentioned you" in html
        assert "Today" in html

    async def test_open_marks_read_and_redirects(self, client, rt, owner, other) -> None:
        [nid] = await seed(rt, owner, other)
        await sign_in(client, owner)
        r = await client.get(f"/notifications/{nid}/open", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/p/")
        assert await unread(rt, owner.id) == 0

    async def test_open_someone_elses(self, client, rt, owner, other) -> None:
        [nid] = await seed(rt, owner, other)
        await sign_in(client, other)
        r = await client.get(f"/notifications/{nid}/open", headers=HTML)
        assert r.status_code == 404
        assert await unread(rt, owner.id) == 1

    async def test_mark_read_htmx(self, client, rt, owner, other) -> None:
        ids = await seed(rt, owner, other, 2)
        await sign_in(client, owner)
        token = await csrf_token(client, "/notifications")
        r = await post_form(client, f"/notifications/{ids[0]}/read", {}, token=token, htmx=True)
        assert r.status_code == 200
        assert 'data-read="true"' in r.text
        assert '"sparkle:unread-count": 1' in r.headers["HX-Trigger"]

    async def test_mark_read_without_csrf(self, client, rt, owner, other) -> None:
        [nid] = await seed(rt, owner, other)
        await sign_in(client, owner)
        r = await client.post(f"/notifications/{nid}/read", headers=HTML)
        assert r.status_code == 403
        assert await unread(rt, owner.id) == 1

    async def test_delete_and_read_all(self, client, rt, owner, other) -> None:
        ids = await seed(rt, owner, other, 3)
        await sign_in(client, owner)
        token = await csrf_token(client, "/notifications")
        r = await post_form(client, f"/notifications/{ids[0]}/delete", {}, token=token)
        assert r.status_code == 303
        r = await post_form(client, "/notifications/read-all", {}, token=token)
        assert r.status_code == 303
        assert await unread(rt, owner.id) == 0
        html = (await client.get("/notifications", headers=HTML)).text
        assert html.count('data-testid="notification"') == 2

    async def test_other_user_cannot_delete(self, client, rt, owner, other) -> None:
        [nid] = await seed(rt, owner, other)
        await sign_in(client, other)
        r = await post_form(client, f"/notifications/{nid}/delete", {})
        assert r.status_code == 404
        assert await unread(rt, owner.id) == 1


class TestPreferencesPage:
    async def test_anonymous(self, client) -> None:
        r = await client.get("/settings/notifications", headers=HTML)
        assert r.status_code == 303

    async def test_matrix_and_save(self, client, rt, owner) -> None:
        await sign_in(client, owner)
        html = (await client.get("/settings/notifications", headers=HTML)).text
        assert html.count('type="checkbox"') == 18 * 3
        # Everything on except email for likes; digest daily; quiet hours at night in Paris.
        form = {
            f"ch.{t.value}.{c}": "on" for t in NotificationType for c in ("in_app", "email", "push")
        }
        del form["ch.POST_LIKED.email"]
        form.update(
            digest="daily",
            quiet_hours_start="22:00",
            quiet_hours_end="07:30",
            timezone="Europe/Paris",
        )
        r = await post_form(
            client,
            "/settings/notifications",
            form,
            token=await csrf_token(client, "/settings/notifications"),
        )
        assert r.status_code == 303, r.text
        async with rt.sessions() as db:
            assert (
                await preferences.wants(db, owner.id, NotificationType.POST_LIKED, "email") is False
            )
            assert await preferences.wants(db, owner.id, NotificationType.LEVEL_UP, "email") is True
            prefs = await preferences.get_preferences(db, owner.id)
        assert prefs.digest == "daily"
        assert prefs.timezone == "Europe/Paris"
        assert prefs.quiet_hours_end.strftime("%H:%M") == "07:30"

    async def test_bad_input_rerenders(self, client, rt, owner) -> None:
        await sign_in(client, owner)
        token = await csrf_token(client, "/settings/notifications")
        r = await post_form(
            client,
            "/settings/notifications",
            {"digest": "weekly", "timezone": "Mars/Base"},
            token=token,
        )
        assert r.status_code == 400
        assert 'id="f-timezone-error"' in r.text
        r = await post_form(
            client,
            "/settings/notifications",
            {"digest": "weekly", "quiet_hours_start": "22:00"},
            token=token,
        )
        assert r.status_code == 400
        assert 'id="f-quiet_hours_end-error"' in r.text
        async with rt.sessions() as db:
            prefs = await preferences.get_preferences(db, owner.id)
        assert prefs.quiet_hours_start is None
        assert prefs.channels[NotificationType.POST_LIKED]["email"] is True
