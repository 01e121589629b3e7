"""Helpers shared by the feed tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from sparkle.posts.models import Post


async def set_columns(rt: Runtime, post_id: str | uuid.UUID, **values: Any) -> None:
    """Change a post's columns directly (its age, its counters) without touching updated_at."""
    async with session_scope(rt.sessions) as session:
        await session.execute(
            update(Post)
            .where(Post.id == uuid.UUID(str(post_id)))
            .values(updated_at=Post.updated_at, **values)
            .execution_options(synchronize_session=False)
        )


async def feed(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    resp = await client.get("/api/feed", params=params, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def feed_ids(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    return [p["id"] for p in (await feed(client, headers, **params))["items"]]


async def walk(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None = None,
    cursor: str | None = None,
    **params: Any,
) -> list[list[str]]:
    """Every page of a feed from `cursor` (or the start), following `nextCursor` to the end."""
    pages: list[list[str]] = []
    while True:
        extra = {"cursor": cursor} if cursor else {}
        body = await feed(client, headers, **params, **extra)
        pages.append([p["id"] for p in body["items"]])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the feed does not end"


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")


@contextmanager
def count_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


def problem_fields(resp: httpx.Response) -> list[str]:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    return [e["field"] for e in resp.json().get("errors", [])]
