"""Bad search input is a 400 naming the field; searching is rate limited per IP."""

from __future__ import annotations

import httpx
import pytest

from tests.search.helpers import problem_fields


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   \t "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "ok", "type": "comments"}, "type"),
        ({"q": "ok", "limit": 0}, "limit"),
        ({"q": "ok", "limit": 51}, "limit"),
        ({"q": "ok", "cursor": "not-a-cursor"}, "cursor"),
        ({"q": "ok", "cursor": "WzEsMl0"}, "cursor"),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "too-long",
        "type",
        "limit-0",
        "limit-51",
        "cursor",
        "cursor-shape",
    ],
)
async def test_bad_input(client: httpx.AsyncClient, params: dict[str, object], field: str) -> None:
    resp = await client.get("/api/search", params=params)
    assert problem_fields(resp) == {field}


async def test_longest_query_is_accepted(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/search", params={"q": "word " * 39 + "abcd"})
    assert resp.status_code == 200 and resp.json()["items"] == []


@pytest.mark.parametrize("type_", ["posts", "users", "tags"])
async def test_no_match_is_an_empty_page(client: httpx.AsyncClient, type_: str) -> None:
    resp = await client.get("/api/search", params={"q": "zzqqxx", "type": type_})
    assert resp.json() == {"query": "zzqqxx", "type": type_, "items": [], "nextCursor": None}


async def test_rate_limited_per_ip(client: httpx.AsyncClient) -> None:
    for _ in range(60):
        assert (await client.get("/api/search", params={"q": "comet"})).status_code == 200
    resp = await client.get("/api/search", params={"q": "comet"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
