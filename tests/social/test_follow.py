"""`POST` / `DELETE /api/users/{id}/follow`: identity matrix, idempotency, counts, events,
rate limit."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sparkle.core.events import capture_events
from sparkle.core.runtime import Runtime
from sparkle.social import service as social_service
from tests.conftest import Account
from tests.social.helpers import delete_account, follow, problem_fields, unfollow


async def relation(rt: Runtime, a: Account, b: Account) -> bool:
    async with rt.sessions() as db:
        return await social_service.is_following(db, a.id, b.id)


class TestFollow:
    async def test_anonymous(self, client: httpx.AsyncClient, rt: Runtime, owner: Account) -> None:
        resp = await client.post(f"/api/users/{owner.id}/follow")
        assert resp.status_code == 401
        assert resp.json()["code"] == "unauthorized"

    async def test_user_follows(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        resp = await follow(client, other, owner)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"following": True, "followerCount": 1, "followingCount": 0}
        assert await relation(rt, other, owner)
        assert not await relation(rt, owner, other)

    async def test_admin_follows_like_any_user(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, admin: Account
    ) -> None:
        resp = await follow(client, admin, owner)
        assert resp.status_code == 200
        assert resp.json()["following"] is True
        assert await relation(rt, admin, owner)

    async def test_moderator_follows_like_any_user(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        assert (await follow(client, moderator, owner)).json()["followerCount"] == 1

    async def test_following_yourself_is_400(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        resp = await follow(client, owner, owner)
        assert resp.status_code == 400
        assert resp.json()["code"] == "self_follow"
        assert problem_fields(resp) == {"user_id"}
        assert not await relation(rt, owner, owner)

    async def test_twice_is_idempotent(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        first = await follow(client, other, owner)
        second = await follow(client, other, owner)
        assert second.status_code == 200
        assert (
            second.json()
            == first.json()
            == {
                "following": True,
                "followerCount": 1,
                "followingCount": 0,
            }
        )

    async def test_unknown_user_is_404(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.post(f"/api/users/{uuid.uuid4()}/follow", headers=owner.headers)
        assert resp.status_code == 404
        assert resp.json()["code"] == "user_not_found"

    async def test_deleted_user_is_404(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await delete_account(client, owner)
        resp = await follow(client, other, owner)
        assert resp.status_code == 404

    async def test_malformed_id_names_the_field(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.post("/api/users/not-a-uuid/follow", headers=owner.headers)
        assert resp.status_code == 400
        assert problem_fields(resp) == {"user_id"}

    async def test_counts_are_the_targets(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, owner, admin)
        await follow(client, other, owner)
        resp = await follow(client, admin, owner)
        # owner: followed by other and admin, follows admin.
        assert resp.json() == {"following": True, "followerCount": 2, "followingCount": 1}

    async def test_rate_limited_per_user(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account, admin: Account
    ) -> None:
        for _ in range(social_service.FOLLOW_PER_USER.amount):
            assert (await follow(client, other, owner)).status_code == 200
        resp = await follow(client, other, admin)
        assert resp.status_code == 429
        assert int(resp.headers["Retry-After"]) > 0
        assert not await relation(rt, other, admin)
        # The limit is per follower: someone else is not held back.
        assert (await follow(client, admin, owner)).status_code == 200


class TestUnfollow:
    async def test_anonymous(self, client: httpx.AsyncClient, owner: Account) -> None:
        assert (await client.delete(f"/api/users/{owner.id}/follow")).status_code == 401

    async def test_user_unfollows(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        await follow(client, other, owner)
        resp = await unfollow(client, other, owner)
        assert resp.status_code == 200
        assert resp.json() == {"following": False, "followerCount": 0, "followingCount": 0}
        assert not await relation(rt, other, owner)

    async def test_not_following_is_200(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        resp = await unfollow(client, other, owner)
        assert resp.status_code == 200
        assert resp.json() == {"following": False, "followerCount": 0, "followingCount": 0}

    async def test_admin_unfollows_only_their_own_edge(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        await follow(client, admin, owner)
        resp = await unfollow(client, admin, owner)
        assert resp.json() == {"following": False, "followerCount": 1, "followingCount": 0}
        assert await relation(rt, other, owner)

    async def test_yourself_is_400(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await unfollow(client, owner, owner)
        assert resp.status_code == 400
        assert resp.json()["code"] == "self_follow"

    async def test_unknown_user_is_404(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.delete(f"/api/users/{uuid.uuid4()}/follow", headers=owner.headers)
        assert resp.status_code == 404


class TestEvents:
    async def test_emitted_only_when_the_state_changes(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        payload = {"followerId": str(other.id), "followingId": str(owner.id)}
        with capture_events() as seen:
            await follow(client, other, owner)
            await follow(client, other, owner)
            await unfollow(client, other, owner)
            await unfollow(client, other, owner)
        # Consumers (notifications) publish events of their own; these are the follow's.
        assert [(e.name, e.payload) for e in seen if e.name.startswith("user:")] == [
            ("user:followed", payload),
            ("user:unfollowed", payload),
        ]

    async def test_nothing_on_refusal(self, client: httpx.AsyncClient, owner: Account) -> None:
        with capture_events() as seen:
            await follow(client, owner, owner)
            await client.post(f"/api/users/{uuid.uuid4()}/follow", headers=owner.headers)
        assert [e.name for e in seen] == []


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_documented(client: httpx.AsyncClient, method: str) -> None:
    spec = (await client.get("/openapi.json")).json()
    op = spec["paths"]["/api/users/{user_id}/follow"][method.lower()]
    assert op["tags"] == ["social"]
    assert {"400", "401", "404"} <= set(op["responses"])
