"""`GET /api/feed`: the latest, popular, trending and following tabs, cursor paging, query
counts and bad input."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sparkle.core.db import session_scope, utcnow
from sparkle.core.errors import Unauthorized, ValidationFailed
from sparkle.core.runtime import Runtime
from sparkle.feed import service
from tests.conftest import Account
from tests.factories.posts import create_post
from tests.feed.helpers import count_queries, feed, feed_ids, problem_fields, set_columns, walk
from tests.social.helpers import follow, follow_as, unfollow

NIL = str(uuid.UUID(int=0))
NOON = "2024-01-01T12:00:00"


def token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def posts(rt: Runtime, author: Account, n: int, **fields: Any) -> list[str]:
    """`n` published posts by `author`, newest last."""
    return [str((await create_post(rt, author.user, **fields)).id) for _ in range(n)]


class TestPublicTabs:
    async def test_latest_is_the_default_and_matches_the_posts_listing(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        mine = await posts(rt, owner, 2)
        theirs = await posts(rt, other, 2)
        await create_post(rt, owner.user, status="DRAFT")
        body = await feed(client)
        assert [p["id"] for p in body["items"]] == [*reversed(theirs), *reversed(mine)]
        listing = (await client.get("/api/posts")).json()
        assert body == listing
        assert await feed_ids(client, tab="latest") == [p["id"] for p in body["items"]]

    async def test_items_carry_the_viewers_reactions(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        (post,) = await posts(rt, owner, 1)
        resp = await client.post(
            f"/api/posts/{post}/reactions", json={"type": "LOVE"}, headers=other.headers
        )
        assert resp.status_code in (200, 201), resp.text
        (item,) = (await feed(client, other.headers))["items"]
        assert item["myReactions"] == ["LOVE"]
        assert item["reactionCounts"]["LOVE"] == 1
        assert item["author"]["username"] == "owner_user"
        (anonymous,) = (await feed(client))["items"]
        assert anonymous["myReactions"] == []

    async def test_popular_orders_by_engagement(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account
    ) -> None:
        quiet, busy, middling = await posts(rt, owner, 3)
        await set_columns(rt, busy, comment_count=10, view_count=500)
        await set_columns(rt, middling, reaction_count=3)
        assert await feed_ids(client, tab="popular") == [busy, middling, quiet]
        listing = await client.get("/api/posts", params={"sort": "popular"})
        assert [p["id"] for p in listing.json()["items"]] == [busy, middling, quiet]

    @pytest.mark.parametrize("tab", ["latest", "popular", "trending"])
    async def test_pages_without_duplicates_or_gaps(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, tab: str
    ) -> None:
        made = await posts(rt, owner, 7)
        async with session_scope(rt.sessions) as session:
            await service.recompute_trending(session)
        pages = await walk(client, tab=tab, limit=3)
        assert [len(p) for p in pages] == [3, 3, 1]
        flat = [i for p in pages for i in p]
        assert sorted(flat) == sorted(made)
        assert flat == await feed_ids(client, tab=tab, limit=100)


class TestFollowing:
    async def test_only_followed_authors(
        self,
        rt: Runtime,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
    ) -> None:
        followed = await posts(rt, other, 2)
        await create_post(rt, other.user, status="DRAFT")
        await posts(rt, moderator, 2)
        await posts(rt, owner, 1)
        assert (await follow(client, owner, other)).status_code in (200, 201, 204)
        body = await feed(client, owner.headers, tab="following")
        assert [p["id"] for p in body["items"]] == list(reversed(followed))
        assert body["nextCursor"] is None
        assert {p["author"]["username"] for p in body["items"]} == {"other_user"}

    async def test_unfollow_removes_the_authors_posts(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await posts(rt, other, 2)
        await follow(client, owner, other)
        assert len(await feed_ids(client, owner.headers, tab="following")) == 2
        assert (await unfollow(client, owner, other)).status_code in (200, 204)
        assert await feed_ids(client, owner.headers, tab="following") == []

    async def test_deleted_posts_are_left_out(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        kept, gone = await posts(rt, other, 2)
        await follow(client, owner, other)
        assert (await client.delete(f"/api/posts/{gone}", headers=other.headers)).status_code == 204
        assert await feed_ids(client, owner.headers, tab="following") == [kept]

    async def test_follows_nobody(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await posts(rt, other, 1)
        assert await feed(client, owner.headers, tab="following") == {
            "items": [],
            "nextCursor": None,
            "pagination": None,
        }

    async def test_anonymous_gets_401(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/feed", params={"tab": "following"})
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")

    async def test_pages_on_published_at_then_id(
        self,
        rt: Runtime,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
    ) -> None:
        made = await posts(rt, other, 4) + await posts(rt, moderator, 4)
        # Four posts share one publication time: the id breaks the tie, across page borders.
        same = utcnow() - timedelta(hours=1)
        for post in made[2:6]:
            await set_columns(rt, post, published_at=same)
        await follow_as(rt, owner.user, other.user)
        await follow_as(rt, owner.user, moderator.user)
        pages = await walk(client, owner.headers, tab="following", limit=3)
        assert [len(p) for p in pages] == [3, 3, 2]
        flat = [i for p in pages for i in p]
        assert len(set(flat)) == 8 and set(flat) == set(made)
        newest = list(reversed(made[6:])) + list(reversed(made[:2]))
        tied = sorted(made[2:6], key=uuid.UUID, reverse=True)
        assert flat == newest + tied

    async def test_a_post_published_while_paging_does_not_shift_pages(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        made = await posts(rt, other, 5)
        await follow_as(rt, owner.user, other.user)
        first = await feed(client, owner.headers, tab="following", limit=2)
        await posts(rt, other, 1)
        rest = await walk(client, owner.headers, first["nextCursor"], tab="following", limit=2)
        flat = [p["id"] for p in first["items"]] + [i for p in rest for i in p]
        assert flat == list(reversed(made))

    async def test_service_refuses_anonymous(self, db: AsyncSession) -> None:
        with pytest.raises(Unauthorized):
            await service.page(db, None, "following")


class TestQueryCount:
    @pytest.mark.parametrize("tab", ["latest", "following"])
    async def test_constant_per_page(
        self,
        rt: Runtime,
        engine: AsyncEngine,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
        tab: str,
    ) -> None:
        await follow_as(rt, owner.user, other.user)
        await follow_as(rt, owner.user, moderator.user)
        await posts(rt, other, 2, tags=["alpha"])

        async def queries(limit: int) -> int:
            with count_queries(engine) as seen:
                body = await feed(client, owner.headers, tab=tab, limit=limit)
            assert len(body["items"]) == limit
            return len(seen)

        small = await queries(2)
        for author in (other, moderator):
            for post in await posts(rt, author, 6, tags=["alpha", "beta"]):
                await client.post(
                    f"/api/posts/{post}/reactions", json={"type": "LIKE"}, headers=owner.headers
                )
        assert await queries(12) == small


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"tab": "hot"}, "tab"),
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"limit": "many"}, "limit"),
            ({"cursor": "x" * 401}, "cursor"),
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"tab": "popular", "cursor": "not-a-cursor"}, "cursor"),
            ({"tab": "following", "cursor": "not-a-cursor"}, "cursor"),
            ({"tab": "following", "cursor": token([None, NIL])}, "cursor"),
            ({"tab": "following", "cursor": token(["2024-01-01T00:00:00", NIL])}, "cursor"),
            ({"tab": "following", "cursor": token([f"{NOON}+00:00", "nope"])}, "cursor"),
            ({"tab": "following", "cursor": token([f"{NOON}+00:00"])}, "cursor"),
            ({"tab": "following", "cursor": token({"a": 1})}, "cursor"),
        ],
    )
    async def test_400_names_the_field(
        self, client: httpx.AsyncClient, owner: Account, params: dict[str, Any], field: str
    ) -> None:
        resp = await client.get("/api/feed", params=params, headers=owner.headers)
        assert resp.status_code == 400, resp.text
        assert problem_fields(resp) == [field]

    async def test_a_cursor_of_one_tab_is_refused_by_another(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await posts(rt, other, 3)
        await follow_as(rt, owner.user, other.user)
        latest = (await feed(client, owner.headers, limit=1))["nextCursor"]
        following = (await feed(client, owner.headers, tab="following", limit=1))["nextCursor"]
        assert latest and following
        for tab, cursor in (("following", latest), ("latest", following), ("popular", latest)):
            resp = await client.get(
                "/api/feed", params={"tab": tab, "cursor": cursor}, headers=owner.headers
            )
            assert resp.status_code == 400, (tab, resp.text)
            assert problem_fields(resp) == ["cursor"]

    async def test_service_validates_tab_and_limit(self, db: AsyncSession) -> None:
        with pytest.raises(ValidationFailed) as bad_tab:
            await service.page(db, None, "hot")
        assert [f.field for f in bad_tab.value.fields] == ["tab"]
        with pytest.raises(ValidationFailed) as bad_limit:
            await service.page(db, None, "latest", limit=500)
        assert [f.field for f in bad_limit.value.fields] == ["limit"]
