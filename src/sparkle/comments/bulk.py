"""Bulk import of comments (`sparkle seed-demo`): multi-row INSERTs with the counters computed
by the caller, and a recount that makes them equal to their aggregates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.comments.models import Comment
from sparkle.reactions.models import Reaction

# Rows per INSERT, within SQLite's limit of bound parameters.
ROWS_PER_INSERT = 1000


async def import_comments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert comments (threads in time order, parents first) with their final counters."""
    conn = await session.connection()
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await conn.execute(insert(Comment), rows[start : start + ROWS_PER_INSERT])


def _comment_reactions() -> Any:
    reaction = Reaction.__table__.alias("r")
    return select(func.count()).select_from(reaction).where(reaction.c.comment_id == Comment.id)


def _comment_replies() -> Any:
    reply = Comment.__table__.alias("reply")
    return select(func.count()).select_from(reply).where(reply.c.parent_id == Comment.id)


async def recount(session: AsyncSession) -> None:
    """Make every comment counter equal to its aggregate, writing only the rows that differ."""
    conn = await session.connection()
    for column, aggregate in (
        (Comment.reaction_count, _comment_reactions),
        (Comment.reply_count, _comment_replies),
    ):
        value = func.coalesce(aggregate().scalar_subquery(), 0)
        await conn.execute(update(Comment).where(column != value).values({column: value}))
