"""Keyset (cursor) pagination: O(page) at any depth, stable under inserts."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from sparkle.core.errors import ValidationFailed


@dataclass
class Cursor:
    """An opaque position: the sort value and id of the last item of a page."""

    value: Any
    id: uuid.UUID

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([value, str(self.id)], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, *, datetime_value: bool = True) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            value, ident = json.loads(raw)
            if datetime_value and value is not None:
                value = datetime.fromisoformat(value)
            return cls(value, uuid.UUID(ident))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ValidationFailed("Invalid cursor", fields={"cursor": "Invalid cursor"}) from exc


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
    datetime_value = sort_col.type.python_type is datetime
    if cursor:
        c = Cursor.decode(cursor, datetime_value=datetime_value)
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
