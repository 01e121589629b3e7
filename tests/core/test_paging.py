"""Keyset paging (`keyset_page`, `Cursor`) over real user rows."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import Cursor, keyset_page
from sparkle.core.errors import ValidationFailed


@pytest.fixture
async def users(make_account, db: AsyncSession) -> list[User]:  # type: ignore[no-untyped-def]
    for i in range(12):
        await make_account(username=f"kp{i:02d}", verified=False)
    return list((await db.scalars(select(User).where(User.username.like("kp%")))).all())


async def walk(db: AsyncSession, limit: int, **kwargs: Any) -> tuple[list[str], int]:
    stmt = select(User).where(User.username.like("kp%"))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        rows, cursor = await keyset_page(db, stmt, cursor=cursor, limit=limit, **kwargs)
        pages += 1
        assert len(rows) <= limit
        seen.extend(u.username for u in rows)
        if cursor is None:
            return seen, pages
        assert pages < 20


def expected(users: list[User], *, descending: bool) -> list[str]:
    ordered = sorted(users, key=lambda u: (u.created_at, u.id), reverse=descending)
    return [u.username for u in ordered]


class TestKeysetPage:
    @pytest.mark.parametrize("descending", [True, False])
    @pytest.mark.parametrize("limit", [1, 5, 12, 50])
    async def test_walk_sees_every_row_once_in_order(
        self, db: AsyncSession, users: list[User], limit: int, descending: bool
    ) -> None:
        seen, pages = await walk(
            db, limit, sort_col=User.created_at, id_col=User.id, descending=descending
        )
        assert seen == expected(users, descending=descending)
        assert pages == max(1, -(-12 // limit))

    async def test_ties_are_broken_by_id(self, db: AsyncSession, users: list[User]) -> None:
        same = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        await db.execute(update(User).where(User.username.like("kp%")).values(created_at=same))
        await db.flush()
        seen, pages = await walk(db, 5, sort_col=User.created_at, id_col=User.id)
        assert pages == 3
        assert seen == [u.username for u in sorted(users, key=lambda u: u.id, reverse=True)]

    async def test_non_datetime_sort_column(self, db: AsyncSession, users: list[User]) -> None:
        seen, _ = await walk(db, 5, sort_col=User.username, id_col=User.id, descending=False)
        assert seen == sorted(u.username for u in users)

    async def test_rows_inserted_before_the_cursor_do_not_shift_pages(
        self, db: AsyncSession, users: list[User], make_account
    ) -> None:  # type: ignore[no-untyped-def]
        stmt = select(User).where(User.username.like("kp%"))
        first, cursor = await keyset_page(
            db, stmt, sort_col=User.created_at, id_col=User.id, cursor=None, limit=4
        )
        await make_account(username="kp99", verified=False)  # newest: lands before the cursor
        second, _ = await keyset_page(
            db, stmt, sort_col=User.created_at, id_col=User.id, cursor=cursor, limit=4
        )
        order = expected(users, descending=True)
        assert [u.username for u in first] == order[:4]
        assert [u.username for u in second] == order[4:8]

    async def test_empty_result(self, db: AsyncSession) -> None:
        stmt = select(User).where(User.username == "nobody-at-all")
        rows, cursor = await keyset_page(
            db, stmt, sort_col=User.created_at, id_col=User.id, cursor=None, limit=10
        )
        assert rows == [] and cursor is None


SOME_ID = "0192f1d2-7c1e-7b3a-9e55-2b1f6c1d9a10"


def raw_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.usefixtures("rt")  # cursors are signed with the runtime's SECRET_KEY
class TestCursor:
    def test_round_trip(self) -> None:
        c = Cursor(datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC), uuid.uuid4())
        token = c.encode()
        assert "=" not in token and "/" not in token and "+" not in token
        assert Cursor.decode(token) == c

    def test_round_trip_plain_value(self) -> None:
        c = Cursor("kp03", uuid.uuid4())
        assert Cursor.decode(c.encode(), datetime_value=False) == c

    def test_keeps_time_zone(self) -> None:
        moment = datetime(2026, 3, 4, 5, 6, tzinfo=UTC) + timedelta(microseconds=1)
        assert Cursor.decode(Cursor(moment, uuid.uuid4()).encode()).value.utcoffset() == timedelta(
            0
        )

    @pytest.mark.parametrize(
        "token",
        [
            "garbage!",
            "é",
            raw_cursor({"a": 1}),
            raw_cursor([1]),
            raw_cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
            raw_cursor(["yesterday", SOME_ID]),
            raw_cursor([12345, SOME_ID]),
            base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        ],
    )
    def test_invalid_tokens(self, token: str) -> None:
        with pytest.raises(ValidationFailed) as info:
            Cursor.decode(token)
        assert info.value.status == 400
        assert [f.field for f in info.value.fields] == ["cursor"]
