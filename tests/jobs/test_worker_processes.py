"""At-least-once delivery with real `sparkle worker` processes: a worker killed with SIGKILL in
the middle of a job does not lose it (another worker runs it again to completion), and a job is
never run by two workers at the same time."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sparkle.core import jobs
from sparkle.core.queue.broker import Broker
from tests.conftest import make_settings
from tests.jobs.conftest import broker_env

ROOT = Path(__file__).resolve().parents[2]
SPARKLE = str(Path(sys.executable).parent / "sparkle")


class Workers:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [SPARKLE, "worker", "--queues", "analytics", "--import", "tests.jobs.handlers", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        for line in proc.stdout:
            if b"worker ready" in line:
                return proc
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"worker did not start (exit {proc.poll()})")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(params=["sqlite", "redis"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def env(broker_kind: str, tmp_path: Path) -> dict[str, str]:
    values = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SPARKLE_", "JOBS_", "DATABASE_", "REDIS_"))
        },
        **broker_env(broker_kind, tmp_path / "var"),
        "SPARKLE_ENV": "test",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "0",
        "JOBS_TEST_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    return values


@pytest.fixture
def workers(env: dict[str, str]) -> Iterator[Workers]:
    w = Workers(env)
    try:
        yield w
    finally:
        w.stop_all()


@pytest.fixture
async def producer(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Broker]:
    """A broker in this process, on the workers' store, to enqueue and inspect."""
    import tests.jobs.handlers  # noqa: F401  (registers the test job types)

    overrides = {k: v for k, v in env.items() if k.startswith(("JOBS_", "REDIS_URL"))}
    settings = make_settings(Path(env["SPARKLE_DATA_DIR"]), **overrides)
    broker = Broker.from_settings(settings)
    await broker.connect()
    if "REDIS_URL" in env:
        await broker.queues["analytics"].redis.flushdb()
    jobs.install(broker)
    jobs.configure(inline=False)
    try:
        yield broker
    finally:
        jobs.configure(inline=True)
        jobs.install(None)
        await broker.close()


def lines(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    return [(w[0], int(w[1])) for w in (line.split() for line in path.read_text().splitlines())]


async def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


class TestKilledWorker:
    async def test_a_job_killed_mid_run_runs_again_and_completes(
        self, workers: Workers, producer: Broker, tmp_path: Path
    ) -> None:
        first = workers.start()
        job_id = await jobs.dispatch("testjobs.slow", {"name": "slow", "seconds": 3})
        log = tmp_path / "slow.log"
        await wait_for(lambda: lines(log) == [("start", first.pid)], timeout=15)
        first.send_signal(signal.SIGKILL)
        first.wait()

        second = workers.start()
        await wait_for(lambda: len(lines(log)) == 3, timeout=40)
        assert lines(log) == [("start", first.pid), ("start", second.pid), ("end", second.pid)]
        job = await producer.queue("analytics").job(job_id)
        assert job is not None and job.status.value == "complete"
        assert job.attempts == 2


class TestTwoWorkers:
    async def test_no_job_runs_on_two_workers(
        self, workers: Workers, producer: Broker, tmp_path: Path
    ) -> None:
        procs = [workers.start("--concurrency", "4"), workers.start("--concurrency", "4")]
        for i in range(24):
            await jobs.dispatch("testjobs.slow", {"name": f"job{i}", "seconds": 0.2})

        def finished() -> bool:
            return all(len(lines(tmp_path / f"job{i}.log")) >= 2 for i in range(24))

        await wait_for(finished, timeout=40)
        # Nothing waits or runs any more: a second run of any job would have written its
        # lines by now.
        queue = producer.queue("analytics")
        deadline = time.monotonic() + 20
        while (c := await queue.counts())["waiting"] + c["active"]:
            assert time.monotonic() < deadline, c
            await asyncio.sleep(0.1)
        pids = set()
        for i in range(24):
            entries = lines(tmp_path / f"job{i}.log")
            assert [kind for kind, _ in entries] == ["start", "end"], entries
            pids.add(entries[0][1])
        assert pids == {p.pid for p in procs}  # both workers took jobs
