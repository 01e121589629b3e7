"""Transactional enqueue (DESIGN §7a): a job is an outbox row of the transaction that enqueued
it; committed rows are handed to the broker, rolled-back ones never exist, and rows a crashed
process left unsent are handed over by the sweeper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core import events, jobs, runtime
from sparkle.core.db import session_scope
from sparkle.core.db.engine import sessionmaker
from sparkle.core.deps import DbSession
from sparkle.core.errors import Conflict
from sparkle.core.handlers import install
from sparkle.core.queue import outbox
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.models import JobOutbox


@pytest.fixture
async def persisted(rt: runtime.Runtime, broker: Broker) -> AsyncIterator[Broker]:
    jobs.configure(inline=False)  # the runtime fixture chose inline jobs
    yield broker


async def analytics(broker: Broker) -> dict[str, int]:
    return await broker.queue("analytics").counts()


async def outbox_rows(rt: runtime.Runtime) -> list[JobOutbox]:
    async with rt.sessions() as session:
        return list((await session.scalars(select(JobOutbox))).all())


class TestTransactionalEnqueue:
    async def test_a_committed_job_is_handed_over_and_marked_sent(
        self, rt: runtime.Runtime, persisted: Broker
    ) -> None:
        async with session_scope(rt.sessions) as session:
            events.enqueue(session, "testjobs.record", {"n": 1})
        assert (await analytics(persisted))["waiting"] == 1
        [row] = await outbox_rows(rt)
        assert row.sent_at is not None
        assert await persisted.queue("analytics").job(str(row.id)) is not None

    async def test_a_rolled_back_transaction_enqueues_nothing(
        self, rt: runtime.Runtime, persisted: Broker
    ) -> None:
        with pytest.raises(RuntimeError):
            async with session_scope(rt.sessions) as session:
                events.enqueue(session, "testjobs.record", {"n": 1})
                raise RuntimeError("the domain change failed")
        assert (await analytics(persisted))["waiting"] == 0
        assert await outbox_rows(rt) == []

    async def test_a_failed_request_enqueues_nothing(
        self, rt: runtime.Runtime, persisted: Broker
    ) -> None:
        app = FastAPI()
        app.state.runtime = rt
        install(app)

        @app.post("/work/{outcome}")
        async def work(outcome: str, db: DbSession) -> dict[str, str]:
            events.enqueue(db, "testjobs.record", {"n": 1})
            if outcome == "fail":
                raise Conflict("the change cannot be made")
            return {"ok": "yes"}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/work/fail")).status_code == 409
            assert (await analytics(persisted))["waiting"] == 0
            assert await outbox_rows(rt) == []
            assert (await client.post("/work/ok")).status_code == 200
            assert (await analytics(persisted))["waiting"] == 1

    async def test_the_sweeper_hands_over_what_a_crash_left_unsent(
        self, rt: runtime.Runtime, persisted: Broker
    ) -> None:
        async with rt.sessions() as session:
            events.enqueue(session, "testjobs.record", {"n": 5}, delay=30)
            await session.commit()  # the process dies here: no flush, no relay
        events.discard(session)
        assert (await analytics(persisted))["delayed"] == 0
        assert await outbox.sweep(rt.sessions, persisted, older_than=0) == 1
        counts = await analytics(persisted)
        assert counts["delayed"] == 1  # the remaining delay is kept
        [row] = await outbox_rows(rt)
        assert row.sent_at is not None
        assert await outbox.sweep(rt.sessions, persisted, older_than=0) == 0

    async def test_a_row_handed_over_twice_is_queued_once(
        self, rt: runtime.Runtime, persisted: Broker
    ) -> None:
        async with rt.sessions() as session:
            events.enqueue(session, "testjobs.record", {"n": 5})
            await session.commit()
        rows = [(r.id, r.name, r.payload, 0.0, r.key) for r in await outbox_rows(rt)]
        await outbox.relay(rt.sessions, persisted, rows)
        await outbox.relay(rt.sessions, persisted, rows)
        assert (await analytics(persisted))["waiting"] == 1

    async def test_inline_mode_writes_no_outbox_row(self, rt: runtime.Runtime) -> None:
        from tests.jobs import handlers

        handlers.RAN.clear()
        async with session_scope(rt.sessions) as session:
            events.enqueue(session, "testjobs.record", {"n": 9})
        assert handlers.RAN == [9]
        assert await outbox_rows(rt) == []


class TestSentMarks:
    async def test_concurrent_commits_are_all_handed_over_and_marked_sent(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        engine: AsyncEngine,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Each unit of work on its own connection, committing for real, as in a server.
        monkeypatch.setattr(rt, "sessions", sessionmaker(engine))

        async def commit(n: int) -> None:
            async with session_scope(rt.sessions) as session:
                events.enqueue(session, "testjobs.record", {"n": n})

        await asyncio.gather(*(commit(n) for n in range(20)))
        try:
            assert (await analytics(persisted))["waiting"] == 20
            rows = await outbox_rows(rt)
            assert len(rows) == 20 and all(r.sent_at is not None for r in rows)
        finally:
            async with rt.sessions() as session:
                await session.execute(delete(JobOutbox))
                await session.commit()

    async def test_relays_arriving_during_a_write_share_the_next_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        writes: list[list[int]] = []
        release = asyncio.Event()

        async def mark_sent(_: object, ids: list[int]) -> None:
            writes.append(sorted(ids))
            if len(writes) == 1:
                await release.wait()

        monkeypatch.setattr(outbox, "mark_sent", mark_sent)
        batcher = outbox.MarkBatcher(None)  # type: ignore[arg-type]
        first = asyncio.create_task(batcher.mark([1]))  # type: ignore[list-item]
        await asyncio.sleep(0)
        others = [asyncio.create_task(batcher.mark([n])) for n in range(2, 7)]  # type: ignore[list-item]
        await asyncio.sleep(0)
        release.set()
        await asyncio.wait_for(asyncio.gather(first, *others), 5)
        assert writes == [[1], [2, 3, 4, 5, 6]]

    async def test_a_cancelled_relay_does_not_hold_up_the_others(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        writes: list[list[int]] = []

        async def mark_sent(_: object, ids: list[int]) -> None:
            writes.append(sorted(ids))
            await asyncio.sleep(0.05)

        monkeypatch.setattr(outbox, "mark_sent", mark_sent)
        batcher = outbox.MarkBatcher(None)  # type: ignore[arg-type]
        leader = asyncio.create_task(batcher.mark([1]))  # type: ignore[list-item]
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(batcher.mark([n])) for n in (2, 3)]  # type: ignore[list-item]
        await asyncio.sleep(0)
        leader.cancel()  # mid-write: its mark may be lost, the sweeper has the row
        waiting[0].cancel()  # it would have written next
        await asyncio.wait_for(waiting[1], 5)
        assert writes[-1] == [2, 3] or writes[-1] == [3]
        assert await asyncio.wait_for(batcher.mark([4]), 5) is None  # type: ignore[list-item]
        assert writes[-1] == [4]
