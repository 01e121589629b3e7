"""`sparkle jobs ...` (queue stats, failed jobs, retry, purge, schedules) and `sparkle worker`
(job worker processes for the distributed mode)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from croniter import croniter
from rich.console import Console
from rich.table import Table

from sparkle.core.queue import spec

T = TypeVar("T")

jobs_app = typer.Typer(
    help="Background jobs: queue stats, failed jobs, retries, schedules.", no_args_is_help=True
)


def _out() -> Console:
    return Console()


def _settings() -> Any:
    from sparkle.cli import load_settings

    return load_settings()


async def _with_broker(fn: Callable[[Any], Awaitable[T]], imports: list[str] | None = None) -> T:
    from sparkle.core.queue.broker import Broker
    from sparkle.core.queue.embedded import import_handlers

    settings = _settings()
    settings.ensure_dirs()
    import_handlers([*settings.jobs_import, *(imports or [])])
    broker = Broker.from_settings(settings)
    await broker.connect()
    try:
        return await fn(broker)
    finally:
        await broker.close()


def _check_queue(queue: str | None) -> None:
    if queue is not None and queue not in spec.QUEUES:
        from sparkle.cli import fail

        raise fail(f"unknown queue {queue!r}; queues: {', '.join(spec.QUEUES)}")


QueueArg = Annotated[str | None, typer.Option("--queue", "-q", help="One queue (default: all).")]


@jobs_app.command("stats")
def stats() -> None:
    """Jobs per queue and state (waiting, active, completed, failed, delayed, paused)."""
    data = asyncio.run(_with_broker(lambda b: b.stats()))
    table = Table(title="Job queues", title_justify="left")
    table.add_column("queue", no_wrap=True)
    for col in ("waiting", "active", "completed", "failed", "delayed"):
        table.add_column(col, justify="right")
    table.add_column("paused")
    table.add_column("concurrency", justify="right")
    for name, row in data.items():
        table.add_row(
            name,
            *(str(row[c]) for c in ("waiting", "active", "completed", "failed", "delayed")),
            "[yellow]yes[/]" if row["paused"] else "no",
            str(spec.QUEUES[name].concurrency),
        )
    _out().print(table)


@jobs_app.command("failed")
def failed(
    queue: QueueArg = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    traceback: Annotated[bool, typer.Option("--traceback", help="Show full tracebacks.")] = False,
) -> None:
    """Failed jobs with their last error (kept 24 h)."""
    _check_queue(queue)

    async def collect(broker: Any) -> list[Any]:
        names = [queue] if queue else list(spec.QUEUES)
        return [job for n in names for job in await broker.failed(n, limit)]

    found = asyncio.run(_with_broker(collect))
    table = Table(title=f"Failed jobs ({len(found)})", title_justify="left")
    for col in ("queue", "id", "job", "attempts", "finished", "error"):
        table.add_column(col, overflow="fold")
    for job in found:
        error = (job.error or "").strip()
        if not traceback:
            error = error.splitlines()[-1] if error else ""
        finished = (
            datetime.fromtimestamp(job.completed / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
            if job.completed
            else ""
        )
        table.add_row(job.queue.name, job.key, job.function, str(job.attempts), finished, error)
    _out().print(table)


@jobs_app.command("retry")
def retry(
    queue: Annotated[str, typer.Argument(help="Queue of the job.")],
    job_id: Annotated[str | None, typer.Argument(help="Job id (omit with --all).")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Retry every failed job of the queue.")
    ] = False,
) -> None:
    """Queue failed jobs again with fresh attempts."""
    from sparkle.cli import fail

    _check_queue(queue)
    if not job_id and not all_:
        raise fail("give a job id or --all")

    async def go(broker: Any) -> list[str]:
        q = broker.queue(queue)
        keys = [job_id] if job_id else [j.key for j in await q.failed_jobs(10_000)]
        return [k for k in keys if await q.retry_job(k)]

    done = asyncio.run(_with_broker(go))
    if job_id and not done:
        raise fail(f"no failed job {job_id} in {queue}")
    _out().print(f"Queued again: {len(done)} job(s).")


@jobs_app.command("purge")
def purge(
    queue: QueueArg = None,
    state: Annotated[str, typer.Option(help="completed, failed or both.")] = "both",
) -> None:
    """Delete finished jobs now instead of waiting for their retention."""
    from sparkle.cli import fail

    _check_queue(queue)
    if state not in ("completed", "failed", "both"):
        raise fail("--state must be completed, failed or both")
    states = ("completed", "failed") if state == "both" else (state,)

    async def go(broker: Any) -> dict[str, int]:
        names = [queue] if queue else list(spec.QUEUES)
        return {n: await broker.queue(n).purge(states) for n in names}

    removed = asyncio.run(_with_broker(go))
    table = Table(title="Purged jobs", title_justify="left")
    table.add_column("queue")
    table.add_column("removed", justify="right")
    for name, n in removed.items():
        table.add_row(name, str(n))
    _out().print(table)


@jobs_app.command("schedule")
def schedule() -> None:
    """Cron schedules (UTC) and the seed's documented ones that nothing serves."""
    from sparkle.core import jobs
    from sparkle.core.queue.embedded import import_handlers
    from sparkle.core.queue.maintenance import seed_coverage

    import_handlers(_settings().jobs_import)
    now = datetime.now(UTC)
    table = Table(title="Job schedules (UTC)", title_justify="left")
    for col in ("job", "queue", "cron", "next run", "description"):
        table.add_column(col, overflow="fold")
    for s in jobs.SCHEDULES:
        queue = jobs.REGISTRY[s.name].queue if s.name in jobs.REGISTRY else "[red]no handler[/]"
        nxt = croniter(s.cron, now).get_next(datetime).strftime("%Y-%m-%d %H:%M")
        table.add_row(s.name, queue, s.cron, nxt, s.description)
    _out().print(table)
    missing = [seed for seed, match in seed_coverage() if match is None]
    if missing:
        gaps = Table(title="Documented schedules without a registered job", title_justify="left")
        for col in ("queue", "cron", "what"):
            gaps.add_column(col)
        for seed in missing:
            gaps.add_row(seed.queue, seed.cron, seed.what)
        _out().print(gaps)


def worker(
    queues: Annotated[
        str | None, typer.Option("--queues", help="Comma-separated queues (default: all).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Jobs at once per queue (default: each queue's own).")
    ] = None,
    imports: Annotated[
        list[str] | None, typer.Option("--import", help="Extra module with job handlers to import.")
    ] = None,
) -> None:
    """Run a job worker process (distributed mode); stop it with SIGTERM or Ctrl-C."""
    from sparkle.cli import fail, prepare_database

    settings = _settings()
    names = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    for name in names or []:
        _check_queue(name)
    prepare_database(settings, strict=False)
    try:
        asyncio.run(_work(settings, names, concurrency, imports or []))
    except ValueError as exc:
        raise fail(str(exc)) from exc


async def _work(
    settings: Any, queues: list[str] | None, concurrency: int | None, imports: list[str]
) -> None:
    from sparkle.core import jobs, runtime
    from sparkle.core.queue.broker import Broker
    from sparkle.core.queue.embedded import import_handlers
    from sparkle.core.queue.worker import JobWorker

    import_handlers([*settings.jobs_import, *imports])
    rt = runtime.install(runtime.build(settings))
    broker = Broker.from_settings(settings)
    jobs.install(broker)
    jobs.configure(inline=False)
    worker = JobWorker(
        broker,
        rt.sessions,
        queues=queues,
        concurrency=concurrency,
        sweep_seconds=settings.jobs_sweep_seconds,
        outbox_seconds=settings.jobs_outbox_seconds,
        shutdown_grace=10,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    # The ready line is for whoever started the worker (scripts and tests wait for it).
    print(  # noqa: T201
        f"worker ready: {broker.backend} {','.join(w.queue.name for w in worker.workers)}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await worker.stop()
        jobs.install(None)
        await broker.close()
        await rt.close()


def install(app: typer.Typer) -> None:
    """Add `jobs` and `worker` to the `sparkle` command."""
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)
