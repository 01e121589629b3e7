"""HTTP helpers for watch party tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account

VIDEO = "dQw4w9WgXcQ"


async def create_party(client: httpx.AsyncClient, host: Account, **fields: Any) -> dict[str, Any]:
    body = {"youtubeVideoId": VIDEO, "title": "Premiere night", **fields}
    resp = await client.post("/api/watch-parties", json=body, headers=host.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()
