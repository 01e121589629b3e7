"""`GET /api/tags` and `GET /api/tags/{slug}`: tags carried by published posts."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account
from tests.posts.conftest import write_post


async def slugs(client: httpx.AsyncClient, **params: Any) -> list[str]:
    resp = await client.get("/api/tags", params=params)
    assert resp.status_code == 200, resp.text
    return [t["slug"] for t in resp.json()["items"]]


class TestList:
    async def test_sorts(self, client: httpx.AsyncClient, owner: Account) -> None:
        await write_post(client, owner, tags=["beta"])
        await write_post(client, owner, tags=["alpha", "beta"])
        await write_post(client, owner, tags=["gamma", "beta", "alpha"])
        assert await slugs(client) == ["beta", "alpha", "gamma"]
        assert await slugs(client, sort="name") == ["alpha", "beta", "gamma"]
        assert await slugs(client, sort="recent") == ["gamma", "alpha", "beta"]

    async def test_prefix(self, client: httpx.AsyncClient, owner: Account) -> None:
        await write_post(client, owner, tags=["sparkle", "sparkles", "spa_day", "news"])
        assert sorted(await slugs(client, q="spark")) == ["sparkle", "sparkles"]
        assert await slugs(client, q="SPA-", sort="name") == ["spa-day"]
        assert await slugs(client, q="%") == []

    async def test_unused_tags_are_hidden(self, client: httpx.AsyncClient, owner: Account) -> None:
        await write_post(client, owner, tags=["draft-only"], status="DRAFT")
        assert await slugs(client) == []

    async def test_cursor_pages(self, client: httpx.AsyncClient, owner: Account) -> None:
        for n in range(3):
            await write_post(client, owner, tags=[f"tag{n}a", f"tag{n}b", f"tag{n}c"])
        everything = await slugs(client, limit=100)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/tags", params=params)).json()
            seen += [t["slug"] for t in page["items"]]
            cursor = page["nextCursor"]
            if not cursor:
                break
        assert seen == everything and len(seen) == 9

    async def test_bad_parameters(self, client: httpx.AsyncClient) -> None:
        for params in ({"sort": "best"}, {"limit": 0}, {"cursor": "nonsense"}, {"q": "x" * 31}):
            assert (await client.get("/api/tags", params=params)).status_code == 400, params


class TestOne:
    async def test_found(self, client: httpx.AsyncClient, owner: Account) -> None:
        await write_post(client, owner, tags=["Fan Art"])
        tag = (await client.get("/api/tags/fan-art")).json()
        assert tag["name"] == "fan-art" and tag["usageCount"] == 1
        assert (await client.get("/api/tags/Fan Art")).json()["id"] == tag["id"]

    async def test_missing(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/tags/nothing")
        assert resp.status_code == 404
        assert resp.json()["code"] == "tag_not_found"
