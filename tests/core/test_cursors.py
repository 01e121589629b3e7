"""Page cursors are opaque and signed: a cursor the server did not issue is a 400 before it is
decoded, and a signed one still cannot carry a value its column cannot hold (an integer beyond
64 bits, a naive datetime). Every listing answers 400 naming `cursor`, never 500."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from sparkle.core import cursors, runtime
from sparkle.core.db import Cursor
from sparkle.core.errors import ValidationFailed
from sparkle.search.schemas import SearchType
from sparkle.search.service import _query_key
from tests.factories.posts import create_post

ID = "0192f1d2-7c1e-7b3a-9e55-2b1f6c1d9a10"
NOW = "2026-01-01T12:00:00+00:00"
NAIVE = "2026-01-01T12:00:00"
HUGE = 2**70


def unsigned(value: Any) -> str:
    """A cursor in the unsigned format this platform used to issue."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def problem_fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


class TestSealing:
    def test_round_trip(self, rt: runtime.Runtime) -> None:
        values = ["popular", 12, 1.5, None, NOW, ID]
        token = cursors.seal(values)
        assert "=" not in token and "/" not in token and "+" not in token
        assert cursors.unseal(token) == values
        assert cursors.unseal(token, 6) == values
        with pytest.raises(ValidationFailed):
            cursors.unseal(token, 5)

    @pytest.mark.parametrize(
        "token",
        [
            unsigned([NOW, ID]),
            unsigned(["popular", 5, ID]),
            "",
            "garbage!",
            "é",
            "A" * 2000,
            base64.urlsafe_b64encode(b"\xff" * 40).decode(),
        ],
    )
    def test_unsigned_or_garbled_is_refused(self, rt: runtime.Runtime, token: str) -> None:
        with pytest.raises(ValidationFailed) as info:
            cursors.unseal(token)
        assert info.value.status == 400
        assert [f.field for f in info.value.fields] == ["cursor"]

    def test_tampering_is_refused(self, rt: runtime.Runtime) -> None:
        token = cursors.seal([NOW, ID])
        raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        for index in (0, len(raw) - 3):
            changed = bytearray(raw)
            changed[index] ^= 1
            forged = base64.urlsafe_b64encode(bytes(changed)).decode().rstrip("=")
            with pytest.raises(ValidationFailed):
                cursors.unseal(forged)

    def test_another_secret_key(self, rt: runtime.Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        token = cursors.seal([NOW, ID])
        other = rt.settings.model_copy(
            update={"secret_key": type(rt.settings.secret_key)("x" * 40)}
        )
        monkeypatch.setattr(rt, "settings", other)
        with pytest.raises(ValidationFailed):
            cursors.unseal(token)

    @pytest.mark.parametrize(
        ("check", "value"),
        [
            (cursors.as_int, HUGE),
            (cursors.as_int, -HUGE),
            (cursors.as_int, True),
            (cursors.as_int, "5"),
            (cursors.as_int, 1.0),
            (cursors.as_float, 10**400),
            (cursors.as_float, "nan"),
            (cursors.as_datetime, NAIVE),
            (cursors.as_datetime, 12),
            (cursors.as_datetime, "yesterday"),
            (cursors.as_uuid, "not-a-uuid"),
            (cursors.as_uuid, 5),
            (cursors.as_str, 5),
        ],
    )
    def test_bounds(self, check, value) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationFailed):
            check(value)

    def test_in_bounds(self) -> None:
        assert cursors.as_int(2**63 - 1) == 2**63 - 1
        assert cursors.as_int(-(2**63)) == -(2**63)
        assert cursors.as_datetime(NOW) == datetime(2026, 1, 1, 12, tzinfo=UTC)


class TestKeysetCursor:
    def test_round_trip(self, rt: runtime.Runtime) -> None:
        c = Cursor(datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC), uuid.uuid4())
        assert Cursor.decode(c.encode()) == c
        plain = Cursor(41, uuid.uuid4())
        assert Cursor.decode(plain.encode(), datetime_value=False) == plain

    @pytest.mark.parametrize(
        ("values", "datetime_value"),
        [
            ([NAIVE, ID], True),
            ([HUGE, ID], False),
            ([NOW, "nope"], True),
            (["x" * 2000, ID], False),
        ],
    )
    def test_signed_but_out_of_bounds(
        self, rt: runtime.Runtime, values: list[Any], datetime_value: bool
    ) -> None:
        with pytest.raises(ValidationFailed):
            Cursor.decode(cursors.seal(values), datetime_value=datetime_value)


def _listings(owner, post_id: str) -> list[tuple[str, dict[str, str], list[Any]]]:  # type: ignore[no-untyped-def]
    """(url, headers, the values of a cursor of the right shape) for listings of every kind of
    cursor: the keyset helper, the posts' and comments' own, search and leaderboards."""
    mine = owner.headers
    search_key = _query_key("hello", SearchType.POSTS)
    return [
        ("/api/posts?sort=popular", {}, ["popular", 5, ID]),
        ("/api/posts?sort=trending", {}, ["trending", 1.5, NOW, ID]),
        ("/api/posts?sort=recent", {}, ["recent", NOW, ID]),
        ("/api/tags?sort=popular", {}, [5, ID]),
        ("/api/tags?sort=recent", {}, [NOW, ID]),
        ("/api/watch-parties?status=upcoming", {}, [NOW, ID]),
        ("/api/watch-parties?status=ended", {}, [NOW, ID]),
        ("/api/notifications", mine, [NOW, ID]),
        ("/api/conversations", mine, [NOW, ID]),
        ("/api/uploads", mine, [NOW, ID]),
        ("/api/feed?tab=following", mine, [NOW, ID]),
        (f"/api/users/{owner.id}/followers", {}, [NOW, ID]),
        (f"/api/posts/{post_id}/comments?sort=top", {}, ["top", NOW, ID, 5]),
        (f"/api/posts/{post_id}/comments?sort=newest", {}, ["newest", NOW, ID]),
        ("/api/leaderboards/weekly", {}, ["p", 5]),
        ("/api/search?q=hello", {}, [search_key, 0, 0, 1.5, ID]),
    ]


def _spoil(values: list[Any], how: str) -> list[Any]:
    """`values` with its first integer made huge, or its first timestamp made naive."""
    out = list(values)
    for i, v in enumerate(out):
        if how == "huge" and isinstance(v, int) and not isinstance(v, bool):
            out[i] = HUGE
            return out
        if how == "naive" and v == NOW:
            out[i] = NAIVE
            return out
    return out


class TestListings:
    @pytest.mark.parametrize("how", ["huge", "naive"])
    async def test_unsigned_cursors_are_400(self, client, rt, owner, how) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        for url, headers, values in _listings(owner, str(post.id)):
            sep = "&" if "?" in url else "?"
            r = await client.get(
                f"{url}{sep}cursor={unsigned(_spoil(values, how))}", headers=headers
            )
            assert problem_fields(r) == ["cursor"], url

    @pytest.mark.parametrize("how", ["huge", "naive"])
    async def test_signed_out_of_bounds_values_are_400(self, client, rt, owner, how) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        for url, headers, values in _listings(owner, str(post.id)):
            spoiled = _spoil(values, how)
            if spoiled == values:
                continue
            sep = "&" if "?" in url else "?"
            r = await client.get(f"{url}{sep}cursor={cursors.seal(spoiled)}", headers=headers)
            assert problem_fields(r) == ["cursor"], url

    async def test_a_cursor_of_another_listing_is_400(self, client, rt, owner) -> None:  # type: ignore[no-untyped-def]
        for tag in ("alpha", "beta", "gamma"):
            await create_post(rt, owner.user, tags=[tag])
        by_name = (await client.get("/api/tags?sort=name&limit=1")).json()["nextCursor"]
        assert by_name
        r = await client.get(f"/api/tags?sort=popular&cursor={by_name}")
        assert problem_fields(r) == ["cursor"]
        posts = (await client.get("/api/posts?limit=1")).json()["nextCursor"]
        r = await client.get(f"/api/posts?sort=popular&cursor={posts}")
        assert problem_fields(r) == ["cursor"]

    async def test_issued_cursors_still_page(self, client, rt, owner) -> None:  # type: ignore[no-untyped-def]
        for _ in range(3):
            await create_post(rt, owner.user)
        for sort in ("recent", "popular"):
            first = (await client.get(f"/api/posts?sort={sort}&limit=2")).json()
            rest = (
                await client.get(f"/api/posts?sort={sort}&limit=2&cursor={first['nextCursor']}")
            ).json()
            ids = [p["id"] for p in first["items"] + rest["items"]]
            assert len(ids) == len(set(ids)) == 3
