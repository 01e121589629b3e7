"""Reading posts: `GET /api/posts/{idOrSlug}` and `GET /api/posts` (filters, sorts, paging,
query counts)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.posts.models import Post, TrendingPost
from sparkle.reactions.models import Reaction
from tests.conftest import Account
from tests.factories.posts import create_category, create_post
from tests.fixtures.database import count_statements
from tests.posts.conftest import write_post


async def ids(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    resp = await client.get("/api/posts", params=params, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return [p["id"] for p in resp.json()["items"]]


async def set_columns(rt: Runtime, post_id: str | uuid.UUID, **values: Any) -> None:
    async with session_scope(rt.sessions) as session:
        await session.execute(
            update(Post).where(Post.id == uuid.UUID(str(post_id))).values(**values)
        )


async def react(rt: Runtime, user_id: uuid.UUID, post_id: str | uuid.UUID, *types: str) -> None:
    async with session_scope(rt.sessions) as session:
        session.add_all(
            Reaction(user_id=user_id, post_id=uuid.UUID(str(post_id)), reaction_type=t)
            for t in types
        )


class TestGetOne:
    async def test_by_id_and_by_slug(self, client: httpx.AsyncClient, owner: Account) -> None:
        post = await write_post(client, owner)
        by_id = (await client.get(f"/api/posts/{post['id']}")).json()
        by_slug = (await client.get(f"/api/posts/{post['slug']}")).json()
        assert by_id == by_slug
        assert by_id["contentHtml"] == "<p>Hello there.</p>"
        assert by_id["content"] == post["content"]

    async def test_missing(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(f"/api/posts/{uuid.uuid4()}")).status_code == 404
        assert (await client.get("/api/posts/no-such-post")).status_code == 404

    @pytest.mark.parametrize("status", ["DRAFT", "ARCHIVED", "REMOVED"])
    async def test_unpublished_only_for_author_and_moderators(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
        admin: Account,
        rt: Runtime,
        status: str,
    ) -> None:
        post = await write_post(client, owner, status="DRAFT")
        await set_columns(rt, post["id"], status=status)
        for ref in (post["id"], post["slug"]):
            assert (await client.get(f"/api/posts/{ref}")).status_code == 404
            assert (await client.get(f"/api/posts/{ref}", headers=other.headers)).status_code == 404
            for reader in (owner, moderator, admin):
                assert (
                    await client.get(f"/api/posts/{ref}", headers=reader.headers)
                ).status_code == 200

    async def test_deleted_is_gone_for_everyone(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        post = await write_post(client, owner)
        assert (
            await client.delete(f"/api/posts/{post['id']}", headers=owner.headers)
        ).status_code == 204
        for headers in ({}, owner.headers, moderator.headers):
            assert (
                await client.get(f"/api/posts/{post['id']}", headers=headers)
            ).status_code == 404

    async def test_counts_and_my_reactions(
        self, client: httpx.AsyncClient, owner: Account, other: Account, rt: Runtime
    ) -> None:
        post = await write_post(client, owner)
        await react(rt, other.id, post["id"], "LIKE", "WOW")
        await react(rt, owner.id, post["id"], "LIKE")
        mine = (await client.get(f"/api/posts/{post['id']}", headers=other.headers)).json()
        assert mine["reactionCounts"] == {
            "LIKE": 2,
            "LOVE": 0,
            "LAUGH": 0,
            "WOW": 1,
            "SAD": 0,
            "ANGRY": 0,
        }
        assert sorted(mine["myReactions"]) == ["LIKE", "WOW"]
        assert (await client.get(f"/api/posts/{post['id']}")).json()["myReactions"] == []


class TestFilters:
    async def test_only_published_by_default(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        published = await write_post(client, owner)
        await write_post(client, owner, status="DRAFT")
        assert await ids(client) == [published["id"]]
        assert await ids(client, owner.headers) == [published["id"]]

    async def test_author(self, client: httpx.AsyncClient, owner: Account, other: Account) -> None:
        mine = await write_post(client, owner)
        theirs = await write_post(client, other)
        assert await ids(client, authorId=str(owner.id)) == [mine["id"]]
        assert await ids(client, author="OTHER_user") == [theirs["id"]]
        assert await ids(client, author="nobody") == []

    async def test_tag(self, client: httpx.AsyncClient, owner: Account) -> None:
        tagged = await write_post(client, owner, tags=["Fan Art"])
        await write_post(client, owner, tags=["news"])
        assert await ids(client, tag="fan-art") == [tagged["id"]]
        assert await ids(client, tag="Fan Art") == [tagged["id"]]
        assert await ids(client, tag="unknown") == []

    async def test_category_includes_subcategories(
        self, client: httpx.AsyncClient, owner: Account, admin: Account, rt: Runtime
    ) -> None:
        art = await create_category(rt, admin.user, "Art")
        drawings = await create_category(rt, admin.user, "Drawings", parent_id=art.id)
        music = await create_category(rt, admin.user, "Music")
        in_art = await write_post(client, owner, categoryId=str(art.id))
        in_drawings = await write_post(client, owner, categoryId=str(drawings.id))
        await write_post(client, owner, categoryId=str(music.id))
        await write_post(client, owner)
        assert set(await ids(client, category="art")) == {in_art["id"], in_drawings["id"]}
        assert await ids(client, category=str(drawings.id)) == [in_drawings["id"]]
        assert await ids(client, category="nothing-here") == []

    async def test_drafts_need_a_signed_in_caller(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/posts", params={"status": "DRAFT"})
        assert resp.status_code == 401

    async def test_drafts_are_own_unless_moderator(
        self, client: httpx.AsyncClient, owner: Account, other: Account, moderator: Account
    ) -> None:
        mine = await write_post(client, owner, status="DRAFT")
        theirs = await write_post(client, other, status="DRAFT")
        assert await ids(client, owner.headers, status="DRAFT") == [mine["id"]]
        assert await ids(client, owner.headers, status="DRAFT", authorId=str(other.id)) == []
        assert set(await ids(client, moderator.headers, status="DRAFT")) == {
            mine["id"],
            theirs["id"],
        }

    async def test_bad_parameters(self, client: httpx.AsyncClient) -> None:
        for params in (
            {"sort": "best"},
            {"limit": 0},
            {"limit": 101},
            {"status": "GONE"},
            {"page": 0},
            {"authorId": "x"},
            {"cursor": "garbage"},
            {"tag": "!!!"},
        ):
            resp = await client.get("/api/posts", params=params)
            assert resp.status_code == 400, params


class TestSorting:
    async def test_recent_is_newest_first(self, client: httpx.AsyncClient, owner: Account) -> None:
        posts = [await write_post(client, owner) for _ in range(3)]
        assert await ids(client) == [p["id"] for p in reversed(posts)]

    async def test_popular(self, client: httpx.AsyncClient, owner: Account, rt: Runtime) -> None:
        quiet, liked, discussed, viewed = [await write_post(client, owner) for _ in range(4)]
        await set_columns(rt, liked["id"], reaction_count=10)  # 20
        await set_columns(rt, discussed["id"], comment_count=8)  # 24
        await set_columns(rt, viewed["id"], view_count=215)  # 21
        assert await ids(client, sort="popular") == [
            discussed["id"],
            viewed["id"],
            liked["id"],
            quiet["id"],
        ]

    async def test_trending_lists_scored_posts_by_score(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        a, _b, c, _d = [await write_post(client, owner) for _ in range(4)]
        async with session_scope(rt.sessions) as session:
            session.add_all(
                [
                    TrendingPost(post_id=uuid.UUID(a["id"]), score=0.5),
                    TrendingPost(post_id=uuid.UUID(c["id"]), score=2.0),
                ]
            )
        # Posts the trending job has not scored (older than its 7-day window) are not trending.
        assert await ids(client, sort="trending") == [c["id"], a["id"]]


async def walk(client: httpx.AsyncClient, limit: int, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/posts", params=query)).json()
        assert len(page["items"]) <= limit
        seen += [p["id"] for p in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


class TestCursorPaging:
    @pytest.fixture
    async def posts(self, owner: Account, rt: Runtime) -> list[str]:
        made = [str((await create_post(rt, owner.user)).id) for _ in range(13)]
        # Ties on every sort key but the id: paging must still neither skip nor repeat.
        same_time = utcnow() - timedelta(hours=1)
        for i, post_id in enumerate(made):
            await set_columns(
                rt,
                post_id,
                reaction_count=i % 3,
                published_at=same_time if i % 2 else utcnow() - timedelta(minutes=i),
            )
        async with session_scope(rt.sessions) as session:  # trending scores, with ties too
            session.add_all(
                TrendingPost(post_id=uuid.UUID(post_id), score=float(i % 3))
                for i, post_id in enumerate(made)
            )
        return made

    @pytest.mark.parametrize("sort", ["recent", "popular", "trending"])
    @pytest.mark.parametrize("limit", [1, 4, 5])
    async def test_pages_join_up(
        self, client: httpx.AsyncClient, posts: list[str], sort: str, limit: int
    ) -> None:
        everything = await ids(client, sort=sort, limit=100)
        assert sorted(everything) == sorted(posts)
        assert await walk(client, limit, sort=sort) == everything

    async def test_new_posts_do_not_shift_later_pages(
        self, client: httpx.AsyncClient, posts: list[str], owner: Account, rt: Runtime
    ) -> None:
        first = (await client.get("/api/posts", params={"limit": 5})).json()
        await create_post(rt, owner.user)
        rest = await walk(client, 5, cursor=first["nextCursor"])
        seen = [p["id"] for p in first["items"]] + rest
        assert sorted(seen) == sorted(posts)

    async def test_cursor_of_another_sort_is_refused(
        self, client: httpx.AsyncClient, posts: list[str]
    ) -> None:
        cursor = (await client.get("/api/posts", params={"limit": 2})).json()["nextCursor"]
        resp = await client.get("/api/posts", params={"sort": "popular", "cursor": cursor})
        assert resp.status_code == 400
        assert resp.json()["errors"] == [{"field": "cursor", "message": "Invalid cursor"}]


class TestNumberedPages:
    async def test_pagination_object(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        for _ in range(7):
            await create_post(rt, owner.user)
        await create_post(rt, owner.user, status="DRAFT")
        page = (await client.get("/api/posts", params={"page": 2, "limit": 3})).json()
        assert page["pagination"] == {"page": 2, "limit": 3, "total": 7, "pages": 3}
        assert len(page["items"]) == 3
        last = (await client.get("/api/posts", params={"page": 3, "limit": 3})).json()
        assert len(last["items"]) == 1
        everything = await ids(client, limit=100)
        pages = [
            p["id"]
            for n in (1, 2, 3)
            for p in (await client.get("/api/posts", params={"page": n, "limit": 3})).json()[
                "items"
            ]
        ]
        assert pages == everything

    async def test_empty(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/api/posts", params={"page": 1})).json()
        assert page["pagination"] == {"page": 1, "limit": 20, "total": 0, "pages": 0}


class TestQueryCount:
    async def fill(
        self, rt: Runtime, author: Account, reader: Account, n: int, admin: Account
    ) -> None:
        category = await create_category(rt, admin.user)
        for i in range(n):
            post = await create_post(
                rt, author.user, tags=[f"t{i % 4}", "common"], category_id=category.id
            )
            await react(rt, reader.id, post.id, "LIKE", "LOVE")
            await react(rt, author.id, post.id, "LIKE")

    async def queries_for(
        self, client: httpx.AsyncClient, engine: AsyncEngine, reader: Account, limit: int
    ) -> int:
        with count_statements(engine) as seen:
            resp = await client.get("/api/posts", params={"limit": limit}, headers=reader.headers)
        assert resp.status_code == 200
        items = resp.json()["items"]
        assert len(items) == limit
        assert all(len(p["tags"]) == 2 and p["category"] and p["myReactions"] for p in items)
        assert all(
            p["reactionCounts"]["LIKE"] == 2 and p["reactionCounts"]["LOVE"] == 1 for p in items
        )
        return len(seen)

    async def test_constant_per_page(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        owner: Account,
        other: Account,
        admin: Account,
        rt: Runtime,
    ) -> None:
        await self.fill(rt, owner, other, 50, admin)
        small = await self.queries_for(client, engine, other, 5)
        large = await self.queries_for(client, engine, other, 50)
        assert small == large
        assert 4 <= large <= 8  # the page, its tags, reaction counts, my reactions (+ auth)
