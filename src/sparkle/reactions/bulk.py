"""Bulk import of reactions (`sparkle seed-demo`): multi-row INSERTs that skip a reaction that
already exists, unique per (target, user, type) as the schema says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.reactions.models import Reaction

# Rows per INSERT, within SQLite's limit of bound parameters.
ROWS_PER_INSERT = 1000


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Reaction)) or 0)


async def import_reactions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert reactions; one that exists (from an earlier run) is skipped."""
    conn = await session.connection()
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Reaction).on_conflict_do_nothing()
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await conn.execute(stmt, rows[start : start + ROWS_PER_INSERT])
