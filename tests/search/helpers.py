"""Shared helpers for the search tests: posts, users and tags written straight through the
models, so the tests depend on nothing but the search API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.posts.models import Post, PostStatus, Tag


async def make_post(
    rt: Runtime,
    author: User,
    title: str,
    *,
    body: str = "",
    excerpt: str | None = None,
    status: PostStatus = PostStatus.PUBLISHED,
    deleted: bool = False,
) -> Post:
    async with session_scope(rt.sessions) as db:
        post = Post(
            author_id=author.id,
            title=title,
            slug=f"post-{uuid.uuid4().hex[:12]}",
            content={
                "type": "doc",
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": body}]}],
            },
            content_html="",
            content_text=body,
            excerpt=excerpt,
            status=status.value,
            published_at=utcnow() if status == PostStatus.PUBLISHED else None,
            deleted_at=utcnow() if deleted else None,
        )
        db.add(post)
    return post


async def update_post(rt: Runtime, post_id: uuid.UUID, **values: Any) -> None:
    async with session_scope(rt.sessions) as db:
        post = await db.get(Post, post_id)
        assert post is not None
        for key, value in values.items():
            setattr(post, key, value)


async def make_user(
    rt: Runtime, username: str, display_name: str | None = None, *, public: bool = True
) -> User:
    async with session_scope(rt.sessions) as db:
        user = await accounts_service.create(
            db, email=f"{username.lower()}@example.com", username=username, hashed_password=None
        )
        if display_name is not None:
            user.profile.display_name = display_name
        user.profile.is_public = public
    return user


async def delete_user(rt: Runtime, user_id: uuid.UUID) -> None:
    async with session_scope(rt.sessions) as db:
        user = await db.get(User, user_id)
        assert user is not None
        user.deleted_at = utcnow()


async def make_tag(rt: Runtime, name: str, usage_count: int = 0) -> Tag:
    async with session_scope(rt.sessions) as db:
        tag = Tag(name=name, slug=name, usage_count=usage_count)
        db.add(tag)
    return tag


async def search(
    client: httpx.AsyncClient, q: str, type: str = "posts", **params: Any
) -> dict[str, Any]:
    resp = await client.get("/api/search", params={"q": q, "type": type, **params})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"query", "type", "items", "nextCursor"}
    return body


async def titles(client: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    return [item["title"] for item in (await search(client, q, **params))["items"]]


async def walk(
    client: httpx.AsyncClient, q: str, type: str = "posts", limit: int = 2
) -> list[list[dict[str, Any]]]:
    """Every page of a search, following `nextCursor`."""
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = await search(client, q, type, **params)
        pages.append(body["items"])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def problem_fields(resp: httpx.Response) -> set[str]:
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in resp.json().get("errors", [])}
