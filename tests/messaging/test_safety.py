"""Blocks and DM privacy: who may start or continue a conversation."""

from __future__ import annotations

import httpx

from sparkle.core.runtime import Runtime
from sparkle.social import service as social_service
from tests.conftest import Account
from tests.messaging.helpers import say, start


class TestBlocks:
    async def test_anonymous(self, client: httpx.AsyncClient, other: Account) -> None:
        assert (await client.put(f"/api/blocks/{other.id}")).status_code == 401
        assert (await client.delete(f"/api/blocks/{other.id}")).status_code == 401
        assert (await client.get("/api/blocks")).status_code == 401

    async def test_block_stops_messages_both_ways(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        assert (
            await client.put(f"/api/blocks/{other.id}", headers=owner.headers)
        ).status_code == 204
        assert (
            await client.put(f"/api/blocks/{other.id}", headers=owner.headers)
        ).status_code == 204  # idempotent
        listed = (await client.get("/api/blocks", headers=owner.headers)).json()["items"]
        assert [b["user"]["username"] for b in listed] == ["other_user"]
        for sender in (owner, other):
            resp = await say(client, sender, conv["id"], "hello?")
            assert resp.status_code == 403 and resp.json()["code"] == "dm_not_allowed"
        new = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=other.headers
        )
        assert new.status_code == 403
        assert (
            await client.delete(f"/api/blocks/{other.id}", headers=owner.headers)
        ).status_code == 204
        assert (await say(client, other, conv["id"], "friends again")).status_code == 201

    async def test_block_removes_follows(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        assert (
            await client.post(f"/api/users/{owner.id}/follow", headers=other.headers)
        ).status_code == 200
        assert (
            await client.post(f"/api/users/{other.id}/follow", headers=owner.headers)
        ).status_code == 200
        assert (
            await client.put(f"/api/blocks/{other.id}", headers=owner.headers)
        ).status_code == 204
        async with rt.sessions() as db:
            assert not await social_service.is_following(db, other.id, owner.id)
            assert not await social_service.is_following(db, owner.id, other.id)
        # Nor can either follow the other again while the block stands.
        for actor, target in ((other, owner), (owner, other)):
            again = await client.post(f"/api/users/{target.id}/follow", headers=actor.headers)
            assert again.status_code == 403 and again.json()["code"] == "blocked"
        await client.delete(f"/api/blocks/{other.id}", headers=owner.headers)
        assert (
            await client.post(f"/api/users/{owner.id}/follow", headers=other.headers)
        ).status_code == 200

    async def test_cannot_block_yourself_or_nobody(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        assert (
            await client.put(f"/api/blocks/{owner.id}", headers=owner.headers)
        ).status_code == 400
        resp = await client.put(
            "/api/blocks/0190a8b8-0000-7000-8000-000000000000", headers=owner.headers
        )
        assert resp.status_code == 404


class TestPrivacy:
    async def test_settings_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/messaging/settings")).status_code == 401
        assert (
            await client.patch("/api/messaging/settings", json={"dmPolicy": "nobody"})
        ).status_code == 401

    async def test_invalid_policy_names_the_field(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.patch(
            "/api/messaging/settings", json={"dmPolicy": "friends"}, headers=owner.headers
        )
        assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "dmPolicy"

    async def test_nobody(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await client.patch(
            "/api/messaging/settings", json={"dmPolicy": "nobody"}, headers=owner.headers
        )
        resp = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=other.headers
        )
        assert resp.status_code == 403 and resp.json()["code"] == "dm_not_allowed"
        # Staff can still reach anyone.
        staff = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=admin.headers
        )
        assert staff.status_code == 201

    async def test_people_i_follow(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await client.patch(
            "/api/messaging/settings", json={"dmPolicy": "following"}, headers=owner.headers
        )
        refused = await client.post(
            "/api/conversations", json={"participantIds": [str(owner.id)]}, headers=other.headers
        )
        assert refused.status_code == 403
        assert (
            await client.post(f"/api/users/{other.id}/follow", headers=owner.headers)
        ).status_code == 200
        conv = await start(client, other, owner)
        assert (await say(client, other, conv["id"], "thanks for the follow")).status_code == 201
        # Unfollowed later: the conversation stays but new messages are refused.
        await client.delete(f"/api/users/{other.id}/follow", headers=owner.headers)
        assert (await say(client, other, conv["id"], "hello?")).status_code == 403
        # The owner may still write to them.
        assert (await say(client, owner, conv["id"], "sorry")).status_code == 201
