"""Job system benchmark: enqueue and process rates of no-op jobs on the Redis and SQLite
brokers, with one worker process and then two, beside BullMQ on Node (the seed's stack) on the
same Redis.

    uv run python bench/jobs_bench.py [--jobs 5000] [--concurrency 10]

BullMQ is installed with npm into a temporary directory under /tmp for the run. Every worker
uses the same job options as production (3 attempts, exponential backoff, completed jobs kept
1 h / 100, failed 24 h). Enqueue is sequential awaited calls from one client; process rate is
measured from resuming a paused queue holding every job until it is drained.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "analytics"
BULLMQ_VERSION = "5"

NODE_SCRIPT = r"""
const { Queue, Worker } = require('bullmq');
const [mode, url, n, concurrency] = process.argv.slice(2);
const u = new URL(url);
const connection = { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null };
const opts = { attempts: 3, backoff: { type: 'exponential', delay: 2000 },
               removeOnComplete: { age: 3600, count: 100 }, removeOnFail: { age: 86400 } };
async function main() {
  if (mode === 'work') {
    const w = new Worker('bench', async () => {}, { connection, concurrency: Number(concurrency) });
    await w.waitUntilReady();
    console.log('ready');
    process.on('SIGTERM', async () => { await w.close(); process.exit(0); });
    return;
  }
  const q = new Queue('bench', { connection });
  await q.obliterate({ force: true }).catch(() => {});
  await q.pause();
  let t = process.hrtime.bigint();
  for (let i = 0; i < Number(n); i++) await q.add('noop', { i }, opts);
  const enqueue = Number(process.hrtime.bigint() - t) / 1e9;
  t = process.hrtime.bigint();
  await q.resume();
  for (;;) {
    const c = await q.getJobCounts('waiting', 'active', 'paused', 'prioritized');
    if (c.waiting + c.active + c.paused + c.prioritized === 0) break;
    await new Promise(r => setTimeout(r, 5));
  }
  const processed = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ enqueue, process: processed }));
  await q.close();
}
main().catch(e => { console.error(e); process.exit(1); });
"""


class Noop(BaseModel):
    i: int


def register() -> None:
    from sparkle.core import jobs

    if "bench.noop" not in jobs.REGISTRY:

        @jobs.job("bench.noop", queue=QUEUE, payload=Noop)
        async def noop(p: Noop) -> None:
            return None


def settings_for(backend: str, data_dir: Path, redis_url: str) -> object:
    from sparkle.core.config import Settings

    values: dict[str, object] = {
        "SPARKLE_ENV": "test",
        "SPARKLE_DATA_DIR": str(data_dir),
        "JOBS_BACKEND": backend,
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": False,
    }
    if backend == "redis":
        values["REDIS_URL"] = redis_url
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def serve(backend: str, data_dir: Path, redis_url: str, concurrency: int) -> None:
    """A worker process for the bench queue (no database, no outbox: jobs come straight in)."""
    from sparkle.core.queue.broker import Broker
    from sparkle.core.queue.worker import JobWorker

    register()
    broker = Broker.from_settings(settings_for(backend, data_dir, redis_url))  # type: ignore[arg-type]
    broker.queue(QUEUE).pause_poll = 0.01
    worker = JobWorker(broker, None, queues=[QUEUE], concurrency=concurrency, shutdown_grace=1)
    worker.workers[0].schedules = []
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await worker.start()
    print("ready", flush=True)
    await stop.wait()
    await worker.stop()
    await broker.close()


@dataclass
class Row:
    system: str
    workers: int
    jobs: int
    enqueue_s: float
    process_s: float
    cpu_us: float | None = None  # worker CPU time (user + system) per processed job


def cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in procs:
        fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def start_python_workers(
    backend: str, data_dir: Path, redis_url: str, count: int, concurrency: int
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for _ in range(count):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--serve",
                    backend,
                    "--data",
                    str(data_dir),
                    "--redis-url",
                    redis_url,
                    "--concurrency",
                    str(concurrency),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
            )
        )
    for p in procs:
        assert p.stdout is not None
        for line in p.stdout:
            if line.startswith(b"ready"):
                break
        else:
            raise RuntimeError(f"bench worker exited with {p.wait()}")
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


async def python_run(backend: str, workers: int, n: int, concurrency: int, redis_url: str) -> Row:
    from sparkle.core.queue.broker import Broker

    register()
    data_dir = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    broker = Broker.from_settings(settings_for(backend, data_dir, redis_url))  # type: ignore[arg-type]
    await broker.connect()
    queue = broker.queue(QUEUE)
    if backend == "redis":
        await queue.redis.flushdb()
    await queue.set_paused(True)
    procs = start_python_workers(backend, data_dir, redis_url, workers, concurrency)
    try:
        t = time.perf_counter()
        for i in range(n):
            await broker.enqueue("bench.noop", {"i": i}, job_key=f"j{i}")
        enqueue_s = time.perf_counter() - t
        t = time.perf_counter()
        cpu = cpu_seconds(procs)
        await queue.set_paused(False)
        while True:
            c = await queue.counts()
            if c["waiting"] + c["active"] + c["delayed"] == 0:
                break
            await asyncio.sleep(0.005)
        process_s = time.perf_counter() - t
        cpu = cpu_seconds(procs) - cpu
    finally:
        stop(procs)
        await broker.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    name = "SAQ + Redis (sparkle)" if backend == "redis" else "SAQ + SQLite file (sparkle)"
    return Row(name, workers, n, enqueue_s, process_s, cpu / n * 1e6)


def install_bullmq() -> Path | None:
    if not shutil.which("npm") or not shutil.which("node"):
        return None
    directory = Path(tempfile.mkdtemp(prefix="bullmq-bench-"))
    (directory / "bench.js").write_text(NODE_SCRIPT)
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", f"bullmq@{BULLMQ_VERSION}"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        Console(stderr=True).print(f"[yellow]npm install bullmq failed:[/] {result.stderr[-500:]}")
        return None
    return directory


def bullmq_run(directory: Path, workers: int, n: int, concurrency: int, redis_url: str) -> Row:
    procs = [
        subprocess.Popen(
            ["node", "bench.js", "work", redis_url, "0", str(concurrency)],
            cwd=directory,
            stdout=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            if b"ready" not in p.stdout.readline():
                raise RuntimeError("BullMQ worker did not start")
        out = subprocess.run(
            ["node", "bench.js", "drive", redis_url, str(n), "0"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        stop(procs)
    return Row("BullMQ on Node (seed)", workers, n, data["enqueue"], data["process"])


def render(rows: list[Row], concurrency: int) -> Table:
    table = Table(
        title=f"Jobs benchmark (no-op jobs, concurrency {concurrency} per worker)",
        title_justify="left",
    )
    for col in (
        "system",
        "workers",
        "jobs",
        "enqueue jobs/s",
        "process jobs/s",
        "process vs BullMQ",
        "worker CPU µs/job",
    ):
        table.add_column(col, justify="left" if col == "system" else "right")
    anchor = {r.workers: r.jobs / r.process_s for r in rows if r.system.startswith("BullMQ")}
    for r in rows:
        rate = r.jobs / r.process_s
        ratio = f"{rate / anchor[r.workers]:.2f}x" if r.workers in anchor else "-"
        table.add_row(
            r.system,
            str(r.workers),
            str(r.jobs),
            f"{r.jobs / r.enqueue_s:,.0f}",
            f"{rate:,.0f}",
            ratio,
            f"{r.cpu_us:,.0f}" if r.cpu_us is not None else "-",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--skip-bullmq", action="store_true")
    parser.add_argument(
        "--backends",
        default="redis,sqlite",
        help="comma-separated Python brokers to run (redis, sqlite, postgres)",
    )
    parser.add_argument(
        "--workers", default="1,2", help="comma-separated worker process counts to run"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, Path(args.data), args.redis_url, args.concurrency))
        return
    console = Console()
    rows: list[Row] = []
    counts = [int(w) for w in args.workers.split(",") if w]
    for backend in [b for b in args.backends.split(",") if b]:
        for workers in counts:
            console.print(f"{backend}, {workers} worker(s)...")
            rows.append(
                asyncio.run(
                    python_run(backend, workers, args.jobs, args.concurrency, args.redis_url)
                )
            )
    if not args.skip_bullmq:
        console.print("installing BullMQ into a temporary directory...")
        directory = install_bullmq()
        if directory is not None:
            try:
                for workers in counts:
                    console.print(f"BullMQ, {workers} worker(s)...")
                    rows.append(
                        bullmq_run(directory, workers, args.jobs, args.concurrency, args.redis_url)
                    )
            finally:
                shutil.rmtree(directory, ignore_errors=True)
    console.print(render(rows, args.concurrency))


if __name__ == "__main__":
    main()
