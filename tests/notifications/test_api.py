"""The notifications API: listing with cursor and filters, counts, read state, deletion, the
authorization matrix, preferences and admin broadcasts."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from sparkle.core.db import session_scope
from sparkle.notifications import service
from sparkle.notifications.models import Notification, NotificationType
from sparkle.notifications.service import Target


async def seed(rt, recipient, actors, n: int, type=NotificationType.MENTION):  # type: ignore[no-untyped-def]
    """`n` separate notifications for `recipient` (one target each)."""
    ids = []
    async with session_scope(rt.sessions) as session:
        for i in range(n):
            row = await service.notify(
                session,
                recipient_id=recipient.id,
                type=type,
                actor_id=actors[i % len(actors)].id,
                target=Target("post", uuid.uuid4()),
                phrase="mentioned you",
                content=f"Post {i}",
            )
            ids.append(row.id)
    return ids


@pytest.fixture
async def mine(rt, owner, other):  # type: ignore[no-untyped-def]
    [nid] = await seed(rt, owner, [other], 1)
    return nid


class TestList:
    async def test_anonymous(self, client) -> None:
        assert (await client.get("/api/notifications")).status_code == 401
        assert (await client.get("/api/notifications/unread-count")).status_code == 401

    async def test_cursor_pages(self, client, rt, owner, other, admin) -> None:
        ids = await seed(rt, owner, [other, admin], 5)
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = (
                await client.get("/api/notifications", params=params, headers=owner.headers)
            ).json()
            seen += [i["id"] for i in body["items"]]
            cursor = body["nextCursor"]
            if not cursor:
                break
        assert seen == [str(i) for i in reversed(ids)]

    async def test_bad_cursor(self, client, owner) -> None:
        r = await client.get("/api/notifications", params={"cursor": "nope"}, headers=owner.headers)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "cursor"

    async def test_bad_type(self, client, owner) -> None:
        r = await client.get("/api/notifications", params={"type": "NOPE"}, headers=owner.headers)
        assert r.status_code in (400, 422)

    async def test_unread_and_type_filters(self, client, rt, owner, other) -> None:
        ids = await seed(rt, owner, [other], 3)
        await seed(rt, owner, [other], 1, type=NotificationType.USER_FOLLOWED)
        await client.post(f"/api/notifications/{ids[0]}/read", headers=owner.headers)
        r = await client.get("/api/notifications", params={"unread": "true"}, headers=owner.headers)
        assert len(r.json()["items"]) == 3
        r = await client.get(
            "/api/notifications", params={"type": "MENTION"}, headers=owner.headers
        )
        assert {i["type"] for i in r.json()["items"]} == {"MENTION"}
        assert len(r.json()["items"]) == 3
        r = await client.get(
            "/api/notifications",
            params={"type": "MENTION", "unread": "true"},
            headers=owner.headers,
        )
        assert len(r.json()["items"]) == 2

    async def test_only_own(self, client, rt, owner, other) -> None:
        await seed(rt, owner, [other], 2)
        assert (await client.get("/api/notifications", headers=other.headers)).json()["items"] == []

    async def test_constant_queries(self, client, rt, owner, make_account, engine) -> None:
        """Actors are loaded in one query whatever the page size."""
        from sqlalchemy import event

        actors = [await make_account(username=f"actor{i}") for i in range(6)]
        counts, sizes = [], []
        statements: list[str] = []

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        for n in (2, 6):
            await seed(rt, owner, actors, n)
            statements.clear()
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            try:
                r = await client.get(
                    "/api/notifications", params={"limit": 100}, headers=owner.headers
                )
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
            assert r.status_code == 200
            sizes.append(len(r.json()["items"]))
            counts.append(len(statements))
        assert sizes == [2, 8]
        assert counts[0] == counts[1]


class TestUnreadCount:
    async def test_counts(self, client, rt, owner, other) -> None:
        ids = await seed(rt, owner, [other], 3)
        r = await client.get("/api/notifications/unread-count", headers=owner.headers)
        assert r.json() == {"count": 3}
        await client.post(f"/api/notifications/{ids[1]}/read", headers=owner.headers)
        r = await client.get("/api/notifications/unread-count", headers=owner.headers)
        assert r.json() == {"count": 2}


class TestRead:
    async def test_anonymous(self, client, mine) -> None:
        assert (await client.post(f"/api/notifications/{mine}/read")).status_code == 401

    async def test_other_user(self, client, db, other, mine) -> None:
        r = await client.post(f"/api/notifications/{mine}/read", headers=other.headers)
        assert r.status_code == 404
        assert (await db.get(Notification, mine)).read is False

    async def test_admin_is_not_owner(self, client, admin, mine) -> None:
        assert (
            await client.post(f"/api/notifications/{mine}/read", headers=admin.headers)
        ).status_code == 404

    async def test_owner(self, client, db, owner, mine) -> None:
        r = await client.post(f"/api/notifications/{mine}/read", headers=owner.headers)
        assert r.status_code == 200
        assert r.json()["read"] is True
        row = await db.get(Notification, mine)
        assert row.read and row.read_at is not None
        # Read rows keep 90 days from now, not the longer unread retention.
        assert (row.expires_at - row.read_at).days == 90
        again = await client.post(f"/api/notifications/{mine}/read", headers=owner.headers)
        assert again.json()["readAt"] == r.json()["readAt"]

    async def test_missing(self, client, owner) -> None:
        r = await client.post(f"/api/notifications/{uuid.uuid4()}/read", headers=owner.headers)
        assert r.status_code == 404

    async def test_malformed_id(self, client, owner) -> None:
        r = await client.post("/api/notifications/xyz/read", headers=owner.headers)
        assert r.status_code in (400, 422)

    async def test_read_all(self, client, rt, owner, other) -> None:
        await seed(rt, owner, [other], 3)
        await seed(rt, other, [owner], 1)
        assert (await client.post("/api/notifications/read-all")).status_code == 401
        r = await client.post("/api/notifications/read-all", headers=owner.headers)
        assert r.json() == {"count": 0}
        r = await client.get("/api/notifications/unread-count", headers=other.headers)
        assert r.json() == {"count": 1}


class TestDelete:
    async def test_anonymous(self, client, db, mine) -> None:
        assert (await client.delete(f"/api/notifications/{mine}")).status_code == 401
        assert await db.get(Notification, mine) is not None

    async def test_other_user_and_admin(self, client, db, other, admin, mine) -> None:
        for account in (other, admin):
            assert (
                await client.delete(f"/api/notifications/{mine}", headers=account.headers)
            ).status_code == 404
        assert await db.get(Notification, mine) is not None

    async def test_owner(self, client, db, owner, mine) -> None:
        assert (
            await client.delete(f"/api/notifications/{mine}", headers=owner.headers)
        ).status_code == 204
        assert (
            await db.scalar(
                select(func.count()).select_from(Notification).where(Notification.id == mine)
            )
            == 0
        )
        assert (
            await client.delete(f"/api/notifications/{mine}", headers=owner.headers)
        ).status_code == 404


class TestPreferences:
    async def test_anonymous(self, client) -> None:
        assert (await client.get("/api/notifications/preferences")).status_code == 401
        assert (await client.put("/api/notifications/preferences", json={})).status_code == 401

    async def test_defaults(self, client, owner) -> None:
        body = (await client.get("/api/notifications/preferences", headers=owner.headers)).json()
        assert set(body["channels"]) == {t.value for t in NotificationType}
        assert body["channels"]["POST_LIKED"] == {"in_app": True, "email": True, "push": True}
        assert body["channels"]["LEVEL_UP"]["email"] is False
        assert body["digest"] == "weekly"
        assert body["quietHoursStart"] is None
        assert body["timezone"] == "UTC"

    async def test_update(self, client, owner, other) -> None:
        r = await client.put(
            "/api/notifications/preferences",
            json={
                "channels": {"POST_LIKED": {"email": False}, "LEVEL_UP": {"email": True}},
                "digest": "daily",
                "quietHoursStart": "22:00",
                "quietHoursEnd": "07:00",
                "timezone": "Europe/Paris",
            },
            headers=owner.headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["channels"]["POST_LIKED"] == {"in_app": True, "email": False, "push": True}
        assert body["channels"]["LEVEL_UP"]["email"] is True
        assert body["digest"] == "daily"
        assert (body["quietHoursStart"], body["quietHoursEnd"]) == ("22:00:00", "07:00:00")
        assert body["timezone"] == "Europe/Paris"
        # A later partial update keeps the rest.
        r = await client.put(
            "/api/notifications/preferences", json={"digest": "off"}, headers=owner.headers
        )
        assert r.json()["channels"]["POST_LIKED"]["email"] is False
        assert r.json()["quietHoursStart"] == "22:00:00"
        # Nobody else changed.
        theirs = (await client.get("/api/notifications/preferences", headers=other.headers)).json()
        assert theirs["digest"] == "weekly"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"digest": "hourly"}, "digest"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"channels": {"NOPE": {"email": True}}}, "channels"),
            ({"channels": {"POST_LIKED": {"pigeon": True}}}, "channels"),
            ({"quietHoursStart": "22:00"}, "quietHoursEnd"),
            ({"quietHoursStart": "25:00", "quietHoursEnd": "07:00"}, "quietHoursStart"),
            ({"unknown": 1}, "unknown"),
        ],
    )
    async def test_bad_input(self, client, owner, body, field) -> None:
        r = await client.put("/api/notifications/preferences", json=body, headers=owner.headers)
        assert r.status_code == 400, r.text
        assert field in {e["field"].split(".")[0] for e in r.json()["errors"]}


class TestBroadcast:
    URL = "/api/admin/notifications"

    async def test_anonymous(self, client) -> None:
        assert (
            await client.post(self.URL, json={"title": "Hi", "content": "All"})
        ).status_code == 401

    @pytest.mark.parametrize("who", ["owner", "moderator"])
    async def test_not_admin(self, client, db, owner, moderator, who) -> None:
        account = {"owner": owner, "moderator": moderator}[who]
        r = await client.post(
            self.URL, json={"title": "Hi", "content": "All"}, headers=account.headers
        )
        assert r.status_code == 403
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0

    async def test_all(self, client, db, owner, other, moderator, admin) -> None:
        r = await client.post(
            self.URL,
            json={"title": "Maintenance", "content": "Back soon", "url": "/feed"},
            headers=admin.headers,
        )
        assert r.status_code == 202, r.text
        batch = r.json()["batchId"]
        rows = (await db.scalars(select(Notification))).all()
        assert {r.user_id for r in rows} == {owner.id, other.id, moderator.id, admin.id}
        assert {r.type for r in rows} == {"SYSTEM"}
        assert {r.data["batchId"] for r in rows} == {batch}
        [item] = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
        assert item["title"] == "Maintenance"
        assert item["url"] == "/feed"

    @pytest.mark.parametrize(
        ("audience", "expected"), [("admins", {"admin"}), ("moderators", {"admin", "moderator"})]
    )
    async def test_roles(self, client, db, owner, moderator, admin, audience, expected) -> None:
        names = {owner.id: "owner", moderator.id: "moderator", admin.id: "admin"}
        r = await client.post(
            self.URL,
            json={"title": "Staff", "content": "Meeting", "audience": audience},
            headers=admin.headers,
        )
        assert r.status_code == 202
        rows = (await db.scalars(select(Notification))).all()
        assert {names[r.user_id] for r in rows} == expected

    async def test_user_ids_in_batches(
        self, client, db, rt, admin, make_account, settings_overrides
    ) -> None:
        rt.settings.notification_broadcast_batch = 2
        accounts = [await make_account(username=f"reader{i}") for i in range(5)]
        r = await client.post(
            self.URL,
            json={
                "title": "Hello",
                "content": "Readers",
                "audience": {"userIds": [str(a.id) for a in accounts]},
            },
            headers=admin.headers,
        )
        assert r.status_code == 202
        rows = (await db.scalars(select(Notification))).all()
        assert sorted(r.user_id for r in rows) == sorted(a.id for a in accounts)

    async def test_rerun_batch_is_idempotent(self, client, db, rt, admin, owner) -> None:
        from sparkle.core import jobs

        payload = {
            "batchId": str(uuid.uuid4()),
            "title": "Once",
            "content": "Only once",
            "audience": "all",
            "userIds": None,
            "after": None,
        }
        await jobs.dispatch(service.BROADCAST_JOB, payload)
        await jobs.dispatch(service.BROADCAST_JOB, payload)
        count = await db.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == owner.id)
        )
        assert count == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"content": "x"}, "title"),
            ({"title": "", "content": "x"}, "title"),
            ({"title": "x", "content": "x", "audience": "everyone"}, "audience"),
            ({"title": "x", "content": "x", "audience": {"userIds": []}}, "audience"),
            ({"title": "x", "content": "x", "url": "https://evil.example"}, "url"),
        ],
    )
    async def test_bad_input(self, client, admin, body, field) -> None:
        r = await client.post(self.URL, json=body, headers=admin.headers)
        assert r.status_code == 400, r.text
        assert field in {e["field"].split(".")[0] for e in r.json()["errors"]}
