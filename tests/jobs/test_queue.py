"""The broker and workers on each store: processing, retries then a kept failure, delays,
de-duplication keys, pause and resume, cron schedules and retention counts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from saq.job import Status

from sparkle.core import jobs
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.worker import JobWorker, schedule_key
from tests.jobs import handlers
from tests.jobs.conftest import until


@pytest.fixture
async def worker(broker: Broker, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[JobWorker]:
    monkeypatch.setattr(jobs, "SCHEDULES", [])  # the platform's cron jobs would add delayed jobs
    w = JobWorker(broker, None, queues=["analytics"], sweep_seconds=1, shutdown_grace=1)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def counts(broker: Broker) -> dict[str, int]:
    return await broker.queue("analytics").counts()


class TestProcessing:
    async def test_jobs_run_once_each(self, broker: Broker, worker: JobWorker) -> None:
        for i in range(50):
            await jobs.dispatch("testjobs.record", {"n": i})

        async def done() -> bool:
            return (await counts(broker))["completed"] == 50

        await until(done)
        assert sorted(handlers.RAN) == list(range(50))
        c = await counts(broker)
        assert (c["waiting"], c["active"], c["failed"]) == (0, 0, 0)

    async def test_a_failing_job_is_tried_three_times_then_kept_with_its_traceback(
        self, broker: Broker, worker: JobWorker
    ) -> None:
        job_id = await jobs.dispatch("testjobs.fail", {"n": 7})

        async def failed() -> bool:
            return (await counts(broker))["failed"] == 1

        await until(failed)
        assert handlers.FAILED == [7, 7, 7]
        [job] = await broker.failed("analytics")
        assert job.key == job_id
        assert job.attempts == 3
        assert "Traceback" in (job.error or "")
        assert "RuntimeError: failure number 7" in (job.error or "")

    async def test_a_retried_failed_job_runs_again(self, broker: Broker, worker: JobWorker) -> None:
        job_id = await jobs.dispatch("testjobs.fail", {"n": 1})

        async def failed() -> bool:
            return (await counts(broker))["failed"] == 1

        await until(failed)
        assert await broker.queue("analytics").retry_job(job_id) is not None

        async def failed_again() -> bool:
            return len(handlers.FAILED) == 6 and (await counts(broker))["failed"] == 1

        await until(failed_again)

    async def test_a_bad_payload_fails_without_retries(
        self, broker: Broker, worker: JobWorker
    ) -> None:
        queue, job = broker.make_job("testjobs.record", {"n": "not a number"}, job_key="bad")
        await queue.enqueue(job)

        async def failed() -> bool:
            return (await counts(broker))["failed"] == 1

        await until(failed)
        [stored] = await broker.failed("analytics")
        assert stored.attempts == 1
        assert "ValidationError" in (stored.error or "")
        assert handlers.RAN == []


class TestDelayAndKeys:
    async def test_a_delayed_job_waits_then_runs(self, broker: Broker, worker: JobWorker) -> None:
        dispatched = time.monotonic()
        await jobs.dispatch("testjobs.record", {"n": 1}, delay=1.5)
        c = await counts(broker)
        assert c["delayed"] == 1 and c["waiting"] == 0

        async def ran() -> bool:
            return handlers.RAN == [1]

        await until(ran, timeout=5)
        # Seen running no earlier than its delay (less a little for the store's rounding).
        assert time.monotonic() - dispatched >= 1.2

    async def test_a_key_deduplicates_while_its_job_waits(self, broker: Broker) -> None:
        first = await jobs.dispatch("testjobs.record", {"n": 1}, delay=60, key="batch:u1")
        second = await jobs.dispatch("testjobs.record", {"n": 2}, delay=60, key="batch:u1")
        other = await jobs.dispatch("testjobs.record", {"n": 3}, delay=60, key="batch:u2")
        assert first == "batch:u1"
        assert second is None
        assert other == "batch:u2"
        assert (await counts(broker))["delayed"] == 2

    async def test_a_key_of_a_running_job_queues_one_follow_up(self, broker: Broker) -> None:
        queue = broker.queue("analytics")
        await jobs.dispatch("testjobs.record", {"n": 1}, key="k")
        running = await queue.dequeue(timeout=1)
        assert running is not None and running.key == "k"
        await running.update(status=Status.ACTIVE)  # as a worker does when it starts a job
        assert await jobs.dispatch("testjobs.record", {"n": 2}, key="k") == "k:next"
        assert await jobs.dispatch("testjobs.record", {"n": 3}, key="k") is None


class TestPause:
    async def test_a_paused_queue_holds_its_jobs_until_resumed(
        self, broker: Broker, worker: JobWorker
    ) -> None:
        queue = broker.queue("analytics")
        await queue.set_paused(True)
        # Both waits are the behaviour under test, not synchronisation: workers already blocked
        # in a dequeue look at the flag as the job arrives, and "held" means for a while; no
        # event marks either (a run would be the event, and it must not happen).
        await asyncio.sleep(0.3)
        await jobs.dispatch("testjobs.record", {"n": 1})
        await asyncio.sleep(1.0)
        assert handlers.RAN == []
        stats = await broker.stats()
        assert stats["analytics"]["paused"] is True
        # Held, not run. (PostgreSQL's queue may already have claimed it for a waiting worker,
        # which then holds it until the queue resumes: it counts as active meanwhile.)
        assert stats["analytics"]["waiting"] + stats["analytics"]["active"] == 1
        await queue.set_paused(False)

        async def ran() -> bool:
            return handlers.RAN == [1]

        await until(ran)


class TestCron:
    async def test_each_schedule_has_one_pending_run(
        self, broker: Broker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        hourly = jobs.Schedule("testjobs.record", "0 * * * *", {"n": 1})
        daily = jobs.Schedule("testjobs.record", "0 0 * * *", {"n": 2})
        monkeypatch.setattr(jobs, "SCHEDULES", [hourly, daily])
        first = JobWorker(broker, None, queues=["analytics"])
        second = JobWorker(broker, None, queues=["analytics"])
        for w in (first, second):
            await w.workers[0].schedule()
            await w.workers[0].schedule()
        c = await counts(broker)
        assert c["delayed"] == 2
        job = await broker.queue("analytics").job(schedule_key(daily))
        assert job is not None and job.kwargs == {"payload": {"n": 2}}
        assert job.scheduled > time.time()


class TestRetention:
    async def test_completed_jobs_are_kept_up_to_a_hundred(
        self, broker: Broker, worker: JobWorker
    ) -> None:
        for i in range(120):
            await jobs.dispatch("testjobs.record", {"n": i})

        async def ran() -> bool:
            return len(handlers.RAN) == 120

        await until(ran)

        async def trimmed() -> bool:  # a sweep (the worker's or this one) trims the kept jobs
            await broker.queue("analytics").sweep(1)
            return (await counts(broker))["completed"] == 100

        await until(trimmed)
        assert (await counts(broker))["completed"] == 100
