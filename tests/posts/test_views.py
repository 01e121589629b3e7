"""`POST /api/posts/{id}/view` (once per viewer per day) and `.../share` (rate limited)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from sparkle.core.db import utcnow
from sparkle.posts import service
from tests.conftest import Account
from tests.posts.conftest import write_post


async def view(
    client: httpx.AsyncClient, post: dict[str, Any], headers: dict[str, str] | None = None
) -> int:
    resp = await client.post(f"/api/posts/{post['id']}/view", headers=headers or {})
    assert resp.status_code == 200, resp.text
    return resp.json()["viewCount"]


class TestViews:
    async def test_once_per_signed_in_viewer_per_day(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        post = await write_post(client, owner)
        assert await view(client, post, other.headers) == 1
        assert await view(client, post, other.headers) == 1
        assert await view(client, post, owner.headers) == 2
        tomorrow = utcnow() + timedelta(days=1)
        monkeypatch.setattr(service, "utcnow", lambda: tomorrow)
        assert await view(client, post, other.headers) == 3
        assert await view(client, post, other.headers) == 3

    async def test_anonymous_session_cookie(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner)
        first = await client.post(f"/api/posts/{post['id']}/view")
        assert first.json() == {"viewCount": 1}
        cookie = first.cookies.get("sparkle_anon")
        assert cookie
        assert "httponly" in first.headers["set-cookie"].lower()
        # The client sends the cookie back; the same browser with another agent string (as after
        # an update) is still one viewer.
        assert client.cookies.get("sparkle_anon") == cookie
        moved = await client.post(
            f"/api/posts/{post['id']}/view", headers={"User-Agent": "another agent"}
        )
        assert moved.json() == {"viewCount": 1}
        assert "set-cookie" not in moved.headers
        client.cookies.set("sparkle_anon", "another-browser-session-0001")
        fresh = await client.post(f"/api/posts/{post['id']}/view")
        assert fresh.json() == {"viewCount": 2}

    async def test_anonymous_without_cookies_counts_once_per_agent(
        self, app: Any, owner: Account, client: httpx.AsyncClient
    ) -> None:
        post = await write_post(client, owner)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 1234))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as cookieless:
            for _ in range(3):
                cookieless.cookies.clear()
                resp = await cookieless.post(
                    f"/api/posts/{post['id']}/view", headers={"User-Agent": "bot"}
                )
                assert resp.json() == {"viewCount": 1}
            cookieless.cookies.clear()
            resp = await cookieless.post(
                f"/api/posts/{post['id']}/view", headers={"User-Agent": "other"}
            )
            assert resp.json() == {"viewCount": 2}

    async def test_malformed_cookie_is_replaced(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner)
        client.cookies.set("sparkle_anon", "<script>")
        resp = await client.post(f"/api/posts/{post['id']}/view")
        assert resp.status_code == 200
        assert resp.cookies.get("sparkle_anon") not in (None, "<script>")

    async def test_drafts(self, client: httpx.AsyncClient, owner: Account, other: Account) -> None:
        post = await write_post(client, owner, status="DRAFT")
        assert (await client.post(f"/api/posts/{post['id']}/view")).status_code == 404
        assert (
            await client.post(f"/api/posts/{post['id']}/view", headers=other.headers)
        ).status_code == 404
        assert await view(client, post, owner.headers) == 0

    async def test_view_count_is_listed(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner)
        await view(client, post, other.headers)
        listed = (await client.get("/api/posts")).json()["items"][0]
        assert listed["viewCount"] == 1
        assert listed["updatedAt"] == post["updatedAt"]  # a view is not an edit


class TestShares:
    async def test_counted_for_anyone(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner)
        assert (await client.post(f"/api/posts/{post['id']}/share")).json() == {"shareCount": 1}
        resp = await client.post(f"/api/posts/{post['id']}/share", headers=other.headers)
        assert resp.json() == {"shareCount": 2}
        assert (await client.get(f"/api/posts/{post['id']}")).json()["shareCount"] == 2

    async def test_rate_limited_per_caller(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner)
        for _ in range(5):
            assert (
                await client.post(f"/api/posts/{post['id']}/share", headers=other.headers)
            ).status_code == 200
        limited = await client.post(f"/api/posts/{post['id']}/share", headers=other.headers)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert (
            await client.post(f"/api/posts/{post['id']}/share", headers=owner.headers)
        ).status_code == 200
        assert (await client.get(f"/api/posts/{post['id']}")).json()["shareCount"] == 6

    async def test_unpublished(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner, status="DRAFT")
        assert (
            await client.post(f"/api/posts/{post['id']}/share", headers=other.headers)
        ).status_code == 404
        resp = await client.post(f"/api/posts/{post['id']}/share", headers=owner.headers)
        assert resp.status_code == 409
        assert resp.json()["code"] == "post_not_published"
