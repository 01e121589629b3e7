"""`GET /api/users/{id}/followers` and `/following`: content, viewer flags, keyset paging,
deleted users, private profiles, constant query count."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.accounts import service as accounts_service
from sparkle.accounts.schemas import ProfileUpdate
from sparkle.core.db import Cursor, session_scope
from sparkle.core.runtime import Runtime
from tests.conftest import Account
from tests.fixtures.database import count_statements
from tests.social.helpers import delete_account, follow, follow_as, make_users, problem_fields


async def all_pages(
    client: httpx.AsyncClient, url: str, limit: int, headers: dict[str, str] | None = None
) -> list[list[dict]]:  # type: ignore[type-arg]
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(url, params=params, headers=headers or {})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages.append(body["items"])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages


class TestContent:
    async def test_followers_and_following(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        await follow(client, admin, owner)
        await follow(client, owner, admin)
        followers = (await client.get(f"/api/users/{owner.id}/followers")).json()
        assert [i["username"] for i in followers["items"]] == ["admin_user", "other_user"]
        assert followers["nextCursor"] is None
        item = followers["items"][1]
        assert set(item) == {
            "id",
            "username",
            "displayName",
            "avatarUrl",
            "followedAt",
            "isFollowing",
        }
        assert item["id"] == str(other.id) and item["displayName"] == "other_user"
        assert item["isFollowing"] is None  # anonymous caller
        following = (await client.get(f"/api/users/{owner.id}/following")).json()
        assert [i["username"] for i in following["items"]] == ["admin_user"]

    async def test_is_following_for_the_viewer(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        await follow(client, admin, owner)
        await follow(client, other, admin)
        body = (await client.get(f"/api/users/{owner.id}/followers", headers=other.headers)).json()
        flags = {i["username"]: i["isFollowing"] for i in body["items"]}
        assert flags == {"admin_user": True, "other_user": False}

    async def test_empty(self, client: httpx.AsyncClient, owner: Account) -> None:
        body = (await client.get(f"/api/users/{owner.id}/following")).json()
        assert body == {"items": [], "nextCursor": None}

    async def test_unknown_user_is_404(self, client: httpx.AsyncClient) -> None:
        for kind in ("followers", "following"):
            resp = await client.get(f"/api/users/{uuid.uuid4()}/{kind}")
            assert resp.status_code == 404


class TestPaging:
    async def test_no_duplicates_or_gaps(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        fans = await make_users(rt, "fan", 23)
        for fan in fans:
            await follow_as(rt, fan, owner.user)
        pages = await all_pages(client, f"/api/users/{owner.id}/followers", limit=5)
        assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
        names = [i["username"] for p in pages for i in p]
        # Newest first: the reverse of the order they followed in.
        assert names == [f.username for f in reversed(fans)]
        stamps = [i["followedAt"] for p in pages for i in p]
        assert stamps == sorted(stamps, reverse=True)

    async def test_stable_when_new_follows_arrive(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        fans = await make_users(rt, "fan", 6)
        for fan in fans[:4]:
            await follow_as(rt, fan, owner.user)
        url = f"/api/users/{owner.id}/followers"
        first = (await client.get(url, params={"limit": 2})).json()
        for fan in fans[4:]:
            await follow_as(rt, fan, owner.user)
        rest = (await client.get(url, params={"limit": 10, "cursor": first["nextCursor"]})).json()
        names = [i["username"] for i in first["items"] + rest["items"]]
        assert names == ["fan3", "fan2", "fan1", "fan0"]

    async def test_following_pages(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        idols = await make_users(rt, "idol", 7)
        for idol in idols:
            await follow_as(rt, owner.user, idol)
        pages = await all_pages(client, f"/api/users/{owner.id}/following", limit=3)
        assert [i["username"] for p in pages for i in p] == [u.username for u in reversed(idols)]

    async def test_bad_limit_and_cursor(self, client: httpx.AsyncClient, owner: Account) -> None:
        url = f"/api/users/{owner.id}/followers"
        for limit in (0, 101, "many"):
            resp = await client.get(url, params={"limit": limit})
            assert resp.status_code == 400
            assert problem_fields(resp) == {"limit"}
        naive = Cursor(datetime(2026, 1, 1), uuid.uuid4()).encode()
        for cursor in ("not-a-cursor", naive, Cursor(None, uuid.uuid4()).encode()):
            resp = await client.get(url, params={"cursor": cursor})
            assert resp.status_code == 400
            assert problem_fields(resp) == {"cursor"}

    async def test_constant_queries_per_page(
        self,
        client: httpx.AsyncClient,
        rt: Runtime,
        engine: AsyncEngine,
        owner: Account,
        other: Account,
    ) -> None:
        fans = await make_users(rt, "fan", 12)
        for fan in fans:
            await follow_as(rt, fan, owner.user)
            await follow_as(rt, other.user, fan)
        url = f"/api/users/{owner.id}/followers"
        with count_statements(engine) as small:
            resp = await client.get(url, params={"limit": 2}, headers=other.headers)
        assert len(resp.json()["items"]) == 2
        with count_statements(engine) as large:
            resp = await client.get(url, params={"limit": 12}, headers=other.headers)
        assert len(resp.json()["items"]) == 12
        assert all(i["isFollowing"] for i in resp.json()["items"])
        assert len(large) == len(small) <= 4, (small, large)


class TestDeletedUsers:
    async def test_excluded_from_lists_and_counts(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        await follow(client, admin, owner)
        await follow(client, owner, other)
        await delete_account(client, other)
        followers = (await client.get(f"/api/users/{owner.id}/followers")).json()
        assert [i["username"] for i in followers["items"]] == ["admin_user"]
        following = (await client.get(f"/api/users/{owner.id}/following")).json()
        assert following["items"] == []
        profile = (await client.get("/api/users/owner_user")).json()
        assert (profile["followerCount"], profile["followingCount"]) == (1, 0)

    async def test_lists_of_a_deleted_user_are_404(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        await delete_account(client, owner)
        assert (await client.get(f"/api/users/{owner.id}/followers")).status_code == 404


class TestPrivateProfile:
    async def test_lists_only_for_owner_and_admin(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow(client, other, owner)
        async with session_scope(rt.sessions) as db:
            user = await accounts_service.get(db, owner.id)
            await accounts_service.update_profile(db, user, user, ProfileUpdate(is_public=False))
        url = f"/api/users/{owner.id}/followers"
        for headers in ({}, other.headers):
            resp = await client.get(url, headers=headers)
            assert resp.status_code == 403
            assert resp.json()["code"] == "profile_private"
        for account in (owner, admin):
            resp = await client.get(url, headers=account.headers)
            assert [i["username"] for i in resp.json()["items"]] == ["other_user"]
