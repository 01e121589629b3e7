"""Small HTTP helpers for messaging tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account


async def start(
    client: httpx.AsyncClient,
    me: Account,
    *others: Account,
    title: str | None = None,
    group: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {"participantIds": [str(o.id) for o in others]}
    if title is not None:
        body["title"] = title
    if group:
        body["group"] = True
    resp = await client.post("/api/conversations", json=body, headers=me.headers)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def say(
    client: httpx.AsyncClient, me: Account, conversation_id: str, content: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": content, **extra},
        headers=me.headers,
    )
