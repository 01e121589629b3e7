"""Keyset (cursor) pagination: O(page) at any depth, stable under inserts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from sparkle.core import cursors


@dataclass
class Cursor:
    """An opaque position: the sort value and id of the last item of a page, signed
    (`sparkle.core.cursors`)."""

    value: Any
    id: uuid.UUID

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        return cursors.seal([value, str(self.id)])

    @classmethod
    def decode(cls, token: str, *, datetime_value: bool = True) -> Cursor:
        """The position in `token`; a 400 for a cursor this server did not issue, and for a
        value a sort column cannot hold (a naive datetime, an integer beyond 64 bits)."""
        value, ident = cursors.unseal(token, 2)
        if value is None:
            pass
        elif datetime_value:
            value = cursors.as_datetime(value)
        elif isinstance(value, float):
            value = cursors.as_float(value)
        elif isinstance(value, int):
            value = cursors.as_int(value)
        else:
            value = cursors.as_str(value, max_length=1000)
        return cls(value, cursors.as_uuid(ident))


def _python_type(column: InstrumentedAttribute[Any]) -> type | None:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    return kind if kind in (datetime, int, str, float) else None


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    sort_col: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[Any],
    cursor: str | None,
    limit: int,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """Return one page of `stmt` (rows of one entity) and the cursor of the next page."""
    python_type = _python_type(sort_col)
    if cursor:
        c = Cursor.decode(cursor, datetime_value=python_type is datetime)
        if c.value is not None and python_type is not None and not isinstance(c.value, python_type):
            raise cursors.InvalidCursor()
        if descending:
            stmt = stmt.where(or_(sort_col < c.value, and_(sort_col == c.value, id_col < c.id)))
        else:
            stmt = stmt.where(or_(sort_col > c.value, and_(sort_col == c.value, id_col > c.id)))
    order = (sort_col.desc(), id_col.desc()) if descending else (sort_col.asc(), id_col.asc())
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = Cursor(getattr(last, sort_col.key), getattr(last, id_col.key)).encode()
    return rows, next_cursor
