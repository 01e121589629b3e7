"""The Redis queue's claim and sweep: a job a worker has just claimed is left to that worker,
one whose worker died between claiming it and starting it is queued again, and a paused
queue hands out nothing."""

from __future__ import annotations

import asyncio

import pytest
from saq.job import Status
from saq.utils import now

from sparkle.core.queue.broker import Broker


@pytest.fixture(params=["redis"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def claim(broker: Broker, key: str):  # type: ignore[no-untyped-def]
    queue, job = broker.make_job("testjobs.record", {"n": 1}, job_key=key)
    assert await queue.enqueue(job) is not None
    claimed = await queue.dequeue()
    assert claimed is not None and claimed.key == key
    return queue, claimed


async def test_a_sweep_leaves_a_just_claimed_job_to_its_worker(broker: Broker) -> None:
    queue, claimed = await claim(broker, "claimed")

    async def start() -> None:
        # A deliberate interleaving, not synchronisation: the worker marks the job active
        # while the sweep is already looking at it (the race the sweep must tolerate).
        await asyncio.sleep(0.1)
        await claimed.update(status=Status.ACTIVE, started=now(), attempts=1)

    swept, _ = await asyncio.gather(queue.sweep(lock=1), start())

    assert swept == []
    stored = await queue.job("claimed")
    assert stored.status == Status.ACTIVE
    assert (await queue.counts())["active"] == 1


async def test_a_sweep_queues_again_a_job_whose_worker_died_after_claiming_it(
    broker: Broker,
) -> None:
    queue, claimed = await claim(broker, "orphan")

    swept = await queue.sweep(lock=1)

    assert swept == [claimed.id]
    stored = await queue.job("orphan")
    assert stored.status == Status.QUEUED
    counts = await queue.counts()
    assert counts["active"] == 0 and counts["waiting"] + counts["delayed"] == 1


async def test_a_paused_queue_hands_out_nothing_and_resumes_in_order(broker: Broker) -> None:
    queue = broker.queue("analytics")
    for n in range(3):
        _, job = broker.make_job("testjobs.record", {"n": n}, job_key=f"k{n}")
        await queue.enqueue(job)
    await queue.set_paused(True)

    assert await queue.dequeue() is None
    assert (await queue.counts())["waiting"] == 3

    await queue.set_paused(False)
    keys = [(await queue.dequeue()).key for _ in range(3)]
    assert keys == ["k0", "k1", "k2"]
