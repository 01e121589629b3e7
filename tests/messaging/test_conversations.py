"""Conversations over HTTP: direct (one per pair), groups, participants, the identity matrix
(anonymous 401, outsiders and admins 404, participants allowed)."""

from __future__ import annotations

import asyncio

import httpx

from sparkle.core.runtime import Runtime
from tests.conftest import Account
from tests.messaging.helpers import say, start


class TestCreate:
    async def test_anonymous(self, client: httpx.AsyncClient, other: Account) -> None:
        resp = await client.post("/api/conversations", json={"participantIds": [str(other.id)]})
        assert resp.status_code == 401

    async def test_direct_is_returned_not_duplicated(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        resp = await client.post(
            "/api/conversations", json={"participantIds": [str(other.id)]}, headers=owner.headers
        )
        assert resp.status_code == 201, resp.text
        first = resp.json()
        assert first["kind"] == "direct"
        assert {p["user"]["username"] for p in first["participants"]} == {
            "owner_user",
            "other_user",
        }
        # The other side starting "a new" conversation gets the same one, with 200.
        again = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=other.headers
        )
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]

    async def test_concurrent_direct_creation_makes_one(
        self, rt: Runtime, owner: Account, other: Account
    ) -> None:
        from sparkle.core.db import session_scope
        from sparkle.messaging import service
        from sparkle.messaging.schemas import ConversationCreate

        async def make(a: Account, b: Account) -> str:
            async with session_scope(rt.sessions) as s:
                conv, _ = await service.create_conversation(
                    s, a.user, ConversationCreate(participant_ids=[b.id])
                )
                return str(conv.id)

        ids = await asyncio.gather(make(owner, other), make(other, owner))
        assert ids[0] == ids[1]

    async def test_group(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        conv = await start(client, owner, other, third, title="Fan club")
        assert conv["kind"] == "group" and conv["title"] == "Fan club" and conv["role"] == "owner"
        assert len(conv["participants"]) == 3

    async def test_unknown_user_names_the_field(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.post(
            "/api/conversations",
            json={"participantIds": ["0190a8b8-0000-7000-8000-000000000000"]},
            headers=owner.headers,
        )
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "participantIds"

    async def test_only_yourself_is_refused(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=owner.headers
        )
        assert resp.status_code == 400

    async def test_group_limit(self, client: httpx.AsyncClient, owner: Account) -> None:
        ids = [f"0190a8b8-0000-7000-8000-{i:012d}" for i in range(50)]
        resp = await client.post(
            "/api/conversations", json={"participantIds": ids}, headers=owner.headers
        )
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "participantIds"


class TestList:
    async def test_sorted_with_unread_and_last_message(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        a = await start(client, owner, other)
        b = await start(client, owner, third)
        assert (await say(client, other, a["id"], "first")).status_code == 201
        assert (await say(client, third, b["id"], "second")).status_code == 201
        assert (await say(client, third, b["id"], "third")).status_code == 201
        resp = await client.get("/api/conversations", headers=owner.headers)
        assert resp.status_code == 200
        items = resp.json()["items"]
        assert [c["id"] for c in items] == [b["id"], a["id"]]
        assert [c["unreadCount"] for c in items] == [2, 1]
        assert items[0]["lastMessage"]["content"] == "third"
        assert items[0]["messageCount"] == 2
        # Messages you sent are not unread for you.
        mine = (await client.get("/api/conversations", headers=third.headers)).json()["items"]
        assert mine[0]["unreadCount"] == 0
        total = await client.get("/api/messages/unread-count", headers=owner.headers)
        assert total.json() == {"unreadCount": 3}

    async def test_paging(self, client: httpx.AsyncClient, owner: Account, make_account) -> None:  # type: ignore[no-untyped-def]
        for i in range(3):
            await start(client, owner, await make_account(username=f"pal{i}"))
        first = (await client.get("/api/conversations?limit=2", headers=owner.headers)).json()
        assert len(first["items"]) == 2 and first["nextCursor"]
        rest = (
            await client.get(
                f"/api/conversations?limit=2&cursor={first['nextCursor']}", headers=owner.headers
            )
        ).json()
        assert len(rest["items"]) == 1 and rest["nextCursor"] is None

    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/conversations")).status_code == 401


class TestAccess:
    async def test_outsider_and_admin_get_404(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        make_account,
        admin: Account,
    ) -> None:  # type: ignore[no-untyped-def]
        outsider = await make_account(username="outsider")
        conv = await start(client, owner, other)
        for who in (outsider, admin):
            for method, path, body in [
                ("GET", f"/api/conversations/{conv['id']}", None),
                ("GET", f"/api/conversations/{conv['id']}/messages", None),
                ("POST", f"/api/conversations/{conv['id']}/messages", {"content": "hi"}),
                ("PATCH", f"/api/conversations/{conv['id']}", {"title": "x"}),
                (
                    "POST",
                    f"/api/conversations/{conv['id']}/participants",
                    {"userIds": [str(who.id)]},
                ),
                ("PUT", f"/api/conversations/{conv['id']}/mute", {"mutedUntil": None}),
            ]:
                resp = await client.request(method, path, json=body, headers=who.headers)
                assert resp.status_code == 404, (who.user.username, method, path, resp.text)
                assert resp.json()["code"] == "conversation_not_found"

    async def test_anonymous_on_mutations(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        for method, path, body in [
            ("POST", f"/api/conversations/{conv['id']}/messages", {"content": "hi"}),
            ("PATCH", f"/api/conversations/{conv['id']}", {"title": "x"}),
            ("POST", f"/api/conversations/{conv['id']}/read", {"messageId": conv["id"]}),
            ("POST", f"/api/conversations/{conv['id']}/participants", {"userIds": [str(owner.id)]}),
            ("DELETE", f"/api/conversations/{conv['id']}/participants/{owner.id}", None),
        ]:
            assert (await client.request(method, path, json=body)).status_code == 401


class TestGroupManagement:
    async def _group(self, client: httpx.AsyncClient, owner: Account, *others: Account) -> dict:  # type: ignore[type-arg]
        return await start(client, owner, *others, title="Crew")

    async def test_rename_owner_member_outsider(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        conv = await self._group(client, owner, other, third)
        path = f"/api/conversations/{conv['id']}"
        assert (
            await client.patch(path, json={"title": "Nope"}, headers=other.headers)
        ).status_code == 403
        resp = await client.patch(path, json={"title": "Renamed"}, headers=owner.headers)
        assert resp.status_code == 200 and resp.json()["title"] == "Renamed"
        # The rename is a system message in the thread.
        msgs = (await client.get(f"{path}/messages", headers=other.headers)).json()["items"]
        assert msgs[0]["type"] == "system" and "Renamed" in msgs[0]["content"]
        # An admin named by the owner may rename too.
        role = await client.patch(
            f"{path}/participants/{other.id}", json={"role": "admin"}, headers=owner.headers
        )
        assert role.status_code == 200
        assert (
            await client.patch(path, json={"title": "By admin"}, headers=other.headers)
        ).status_code == 200

    async def test_add_remove_leave_and_handover(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        fourth = await make_account(username="fourth_user")
        conv = await self._group(client, owner, other, third)
        path = f"/api/conversations/{conv['id']}"
        # Members cannot add or remove.
        assert (
            await client.post(
                f"{path}/participants", json={"userIds": [str(fourth.id)]}, headers=other.headers
            )
        ).status_code == 403
        assert (
            await client.delete(f"{path}/participants/{third.id}", headers=other.headers)
        ).status_code == 403
        added = await client.post(
            f"{path}/participants", json={"userIds": [str(fourth.id)]}, headers=owner.headers
        )
        assert added.status_code == 200 and len(added.json()["participants"]) == 4
        # A new member does not see what was said before they joined.
        assert (await client.get(f"{path}/messages", headers=fourth.headers)).status_code == 200
        assert (
            await client.delete(f"{path}/participants/{third.id}", headers=owner.headers)
        ).status_code == 204
        assert (await client.get(path, headers=third.headers)).status_code == 404
        # The owner leaves: the longest-standing member takes over.
        assert (
            await client.delete(f"{path}/participants/{owner.id}", headers=owner.headers)
        ).status_code == 204
        assert (await client.get(path, headers=owner.headers)).status_code == 404
        after = (await client.get(path, headers=other.headers)).json()
        assert after["role"] == "owner"

    async def test_direct_cannot_be_left_or_renamed(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        path = f"/api/conversations/{conv['id']}"
        assert (
            await client.delete(f"{path}/participants/{owner.id}", headers=owner.headers)
        ).status_code == 409
        assert (
            await client.patch(path, json={"title": "x"}, headers=owner.headers)
        ).status_code == 409
