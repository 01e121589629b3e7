"""Fixtures for notification tests: a published post by `owner` and helpers to read the
owner's notifications through the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.content import create_post


@pytest.fixture
async def post(rt, owner):  # type: ignore[no-untyped-def]
    return await create_post(rt, owner.user, title="A post to like")


@pytest.fixture
def inbox(client):  # type: ignore[no-untyped-def]
    """`await inbox(account, **params)` → the account's notification items."""

    async def read(account, **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        r = await client.get("/api/notifications", params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    return read
