"""Helpers shared by the posts tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from sparkle.core.runtime import Runtime
from sparkle.posts.models import Tag
from tests.conftest import Account
from tests.factories.posts import doc


def error_fields(resp: httpx.Response) -> list[str]:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    return [e["field"] for e in resp.json().get("errors", [])]


async def write_post(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "A post",
        "content": doc("Hello there."),
        "status": "PUBLISHED",
        **fields,
    }
    resp = await client.post("/api/posts", json=body, headers=account.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def tag_usage(rt: Runtime) -> dict[str, int]:
    """Every tag row, slug to usage count (including unused tags)."""
    async with rt.sessions() as session:
        rows = await session.execute(select(Tag.slug, Tag.usage_count))
        return dict(rows.all())


async def tag_rows(rt: Runtime) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Tag)) or 0)
