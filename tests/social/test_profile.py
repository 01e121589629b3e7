"""Follow counts and the viewer's relation on `GET /api/users/{username}`."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.social.helpers import follow, unfollow


async def profile(client: httpx.AsyncClient, username: str, viewer: Account | None = None) -> dict:  # type: ignore[type-arg]
    resp = await client.get(f"/api/users/{username}", headers=viewer.headers if viewer else {})
    assert resp.status_code == 200, resp.text
    return resp.json()


class TestCounts:
    async def test_counts_are_exact(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        assert (await profile(client, "owner_user"))["followerCount"] == 0
        await follow(client, other, owner)
        await follow(client, admin, owner)
        await follow(client, admin, owner)  # again: no double count
        await follow(client, owner, other)
        body = await profile(client, "owner_user")
        assert (body["followerCount"], body["followingCount"]) == (2, 1)
        await unfollow(client, admin, owner)
        await unfollow(client, admin, owner)
        body = await profile(client, "owner_user")
        assert (body["followerCount"], body["followingCount"]) == (1, 1)
        other_body = await profile(client, "other_user")
        assert (other_body["followerCount"], other_body["followingCount"]) == (1, 1)

    async def test_private_profile_hides_counts_from_others(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        resp = await client.patch(
            "/api/users/me/profile", json={"isPublic": False}, headers=owner.headers
        )
        assert resp.status_code == 200
        for viewer in (None, other):
            assert "followerCount" not in await profile(client, "owner_user", viewer)
        for viewer in (owner, admin):
            assert (await profile(client, "owner_user", viewer))["followerCount"] == 1


class TestRelation:
    async def test_anonymous_sees_no_relation(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        body = await profile(client, "owner_user")
        assert "isFollowing" not in body and "followsYou" not in body

    async def test_own_profile_has_no_relation(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        body = await profile(client, "owner_user", owner)
        assert "isFollowing" not in body and "followsYou" not in body
        assert body["followerCount"] == 0

    async def test_each_direction(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        body = await profile(client, "owner_user", other)
        assert (body["isFollowing"], body["followsYou"]) == (False, False)
        await follow(client, other, owner)
        body = await profile(client, "owner_user", other)
        assert (body["isFollowing"], body["followsYou"]) == (True, False)
        body = await profile(client, "other_user", owner)
        assert (body["isFollowing"], body["followsYou"]) == (False, True)
        await follow(client, owner, other)
        body = await profile(client, "owner_user", other)
        assert (body["isFollowing"], body["followsYou"]) == (True, True)
