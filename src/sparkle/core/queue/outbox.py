"""The outbox relay and sweeper (DESIGN §7a).

`add()` writes the row in the caller's transaction; after commit `relay()` hands the rows to
the broker and marks them sent. `sweep()` hands over rows that a process which crashed between
commit and hand-over left unsent. A row's id is its job's key, so a row handed over twice (the
relay and a sweeper racing) is queued once.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sparkle.core.batching import Batcher
from sparkle.core.db import utcnow
from sparkle.core.db.base import new_id
from sparkle.core.db.engine import begin_write
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.models import JobOutbox

log = structlog.get_logger(__name__)

SENT_KEEP = timedelta(hours=1)
BATCH = 500


def add(
    session: AsyncSession, name: str, payload: dict[str, Any], *, delay: float, key: str | None
) -> uuid.UUID:
    row = JobOutbox(
        id=new_id(),
        name=name,
        payload=payload,
        key=key,
        run_at=utcnow() + timedelta(seconds=max(delay, 0)),
    )
    session.add(row)
    return row.id


async def hand_over(
    broker: Broker, rows: Sequence[tuple[uuid.UUID, str, dict[str, Any], float, str | None]]
) -> list[uuid.UUID]:
    """Enqueue each `(id, name, payload, delay, key)`; returns the ids handed over."""
    done: list[uuid.UUID] = []
    for row_id, name, payload, delay, key in rows:
        try:
            await broker.enqueue(name, payload, job_key=str(row_id), delay=delay, key=key)
        except Exception:
            log.exception("job_handover_failed", job=name, outbox_id=str(row_id))
            continue
        done.append(row_id)
    return done


async def mark_sent(sessions: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]) -> None:
    if not ids:
        return
    async with sessions() as session:
        await begin_write(session)
        await session.execute(
            update(JobOutbox).where(JobOutbox.id.in_(ids)).values(sent_at=utcnow())
        )
        await session.commit()


class MarkBatcher:
    """Concurrent relays share their sent-marks: while one mark transaction is written, the
    marks of relays arriving meanwhile wait and go together in the next. N concurrent commits
    cost about two mark transactions, not N: on SQLite each would be a turn of the single
    writer, taken from the requests.

    A mark is best-effort: one lost (a failed write) leaves its row to the sweeper, whose
    hand-over of a queued job is a no-op (the row id is the job key).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._batcher: Batcher[list[uuid.UUID], None] = Batcher(self._write)

    async def mark(self, ids: list[uuid.UUID]) -> None:
        if ids:
            await self._batcher.submit(ids)

    async def _write(self, batches: list[list[uuid.UUID]]) -> list[None]:
        await mark_sent(self.sessions, [row_id for ids in batches for row_id in ids])
        return [None] * len(batches)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, MarkBatcher]] = (
    weakref.WeakKeyDictionary()
)


def _batcher(sessions: async_sessionmaker[AsyncSession]) -> MarkBatcher:
    per_loop = _batchers.setdefault(asyncio.get_running_loop(), {})
    batcher = per_loop.get(id(sessions))
    if batcher is None or batcher.sessions is not sessions:
        batcher = per_loop[id(sessions)] = MarkBatcher(sessions)
    return batcher


async def relay(
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    rows: Sequence[tuple[uuid.UUID, str, dict[str, Any], float, str | None]],
) -> None:
    """Right after commit: hand the transaction's jobs over and mark them sent (in a batch
    with concurrent relays). A failure leaves the rows for the sweeper; it never reaches the
    request that committed."""
    try:
        await _batcher(sessions).mark(await hand_over(broker, rows))
    except Exception:
        log.exception("job_relay_failed")


async def sweep(
    sessions: async_sessionmaker[AsyncSession], broker: Broker, *, older_than: float
) -> int:
    """Hand over rows left unsent for longer than `older_than` seconds; forget sent rows
    after an hour. Returns how many rows were handed over."""
    now = utcnow()
    async with sessions() as session:
        found = (
            await session.execute(
                select(
                    JobOutbox.id, JobOutbox.name, JobOutbox.payload, JobOutbox.run_at, JobOutbox.key
                )
                .where(
                    JobOutbox.sent_at.is_(None),
                    JobOutbox.created_at < now - timedelta(seconds=older_than),
                )
                .order_by(JobOutbox.created_at)
                .limit(BATCH)
            )
        ).all()
        await session.rollback()
    from sparkle.core import jobs

    rows = [
        (r.id, r.name, r.payload, max((r.run_at - now).total_seconds(), 0), r.key)
        for r in found
        if r.name in jobs.REGISTRY
    ]
    ids = await hand_over(broker, rows)
    await mark_sent(sessions, ids)
    async with sessions() as session:
        await begin_write(session)
        await session.execute(
            delete(JobOutbox).where(
                JobOutbox.sent_at.is_not(None), JobOutbox.sent_at < now - SENT_KEEP
            )
        )
        await session.commit()
    if ids:
        log.warning("job_outbox_swept", handed_over=len(ids))
    return len(ids)


async def sweep_forever(
    sessions: async_sessionmaker[AsyncSession], broker: Broker, *, interval: float
) -> None:
    while True:
        try:
            await sweep(sessions, broker, older_than=interval)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job_outbox_sweep_failed")
        await asyncio.sleep(interval)
