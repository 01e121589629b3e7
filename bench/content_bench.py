"""Content benchmark on PostgreSQL: feed pages (first and 1,000 pages deep), trending, a post
with a long comment thread and search, beside the static-JSON ceiling of the same server.

    uv run python bench/content_bench.py [--scale 1.0] [--duration 10] [--concurrency 64] [--keep]

Seeds a fresh `sparkle_bench` database (10,000 users, 100,000 posts, 500,000 comments and
1,000,000 reactions at --scale 1), serves it with `sparkle serve --workers 2`, prints a table
and writes it, with the query plans of the feed pages, to bench/results/content.md.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    HOST,
    Cell,
    _cpu_model,
    _loop_factory,
    cell_table,
    console,
    free_port,
    get_request,
    measure,
    rss_mib,
    server_env,
    server_errors,
    sparkle_command,
    wait_until_up,
)

from sparkle.core.db import create_engine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "content.md"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DATABASE = "sparkle_bench"
DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("SPARKLE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SEED = 2026
FULL = {"users": 10_000, "posts": 100_000, "comments": 500_000, "reactions": 1_000_000}
DEEP_PAGES = 1000
PAGE = 20
THREAD = 200


# --- the database -----------------------------------------------------------------------


async def recreate_database(drop_only: bool = False) -> None:
    engine = create_engine(ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            if not drop_only:
                await conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    finally:
        await engine.dispose()


class Explain(Executable, ClauseElement):
    """`EXPLAIN (ANALYZE, BUFFERS)` of a statement, with the statement's own bound values."""

    inherit_cache = False

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS) " + compiler.process(element.stmt, **kw)


async def feed_plans(deep_cursor: str) -> dict[str, list[str]]:
    """The plans of the feed's first page and of the deep cursor page, as the server runs
    them (the posts repository's own statements)."""
    from sparkle.posts import repository
    from sparkle.posts.repository import PostFilter

    keys = repository.sort_keys("recent", "PUBLISHED")
    first = repository._statement(PostFilter(), "recent", keys).limit(PAGE + 1)
    deep = first.where(repository._after(keys, repository._decode(deep_cursor, "recent", keys)))
    engine = create_engine(DATABASE_URL)
    plans: dict[str, list[str]] = {}
    try:
        async with engine.connect() as conn:
            for name, stmt in (("first page", first), ("the deep cursor page", deep)):
                await conn.execute(Explain(stmt))  # warm the cache: plan the steady state
                plans[name] = [row[0] for row in (await conn.execute(Explain(stmt))).all()]
    finally:
        await engine.dispose()
    return plans


async def recompute_trending() -> str:
    try:
        from sparkle.feed.service import recompute_trending as recompute
    except ImportError:
        return "not measured: `sparkle.feed.service.recompute_trending` does not exist"
    from sparkle.core.db.engine import session_scope, sessionmaker

    engine = create_engine(DATABASE_URL)
    try:
        started = time.perf_counter()
        async with session_scope(sessionmaker(engine)) as session:
            scored = await recompute(session)
        return f"recomputed first: {scored} posts scored in {time.perf_counter() - started:.1f} s"
    finally:
        await engine.dispose()


async def long_thread() -> str | None:
    """The slug of the kept database's long thread (the newest post with THREAD comments)."""
    engine = create_engine(DATABASE_URL)
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    text(
                        "SELECT slug FROM posts WHERE comment_count >= :n "
                        "ORDER BY created_at DESC LIMIT 1"
                    ),
                    {"n": THREAD},
                )
            ).scalar()
    finally:
        await engine.dispose()


async def analyze() -> None:
    engine = create_engine(DATABASE_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


def tee(command: list[str], env: dict[str, str]) -> str:
    """Run `command` with its output shown as it comes (the seed's progress bars), and return
    that output."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    chunks = []
    while chunk := proc.stdout.read1(4096):
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        chunks.append(chunk)
    if proc.wait():
        raise SystemExit(f"{' '.join(command[2:])} failed with {proc.returncode}")
    return b"".join(chunks).decode(errors="replace")


# --- the run ----------------------------------------------------------------------------


@dataclass
class Targets:
    deep_cursor: str
    deep_pages: int
    deep_walk_s: float
    slug: str
    post_id: str
    comments: int


def find_targets(port: int, slug: str) -> Targets:
    """Walk the feed 1,000 pages deep (the cursor a reader scrolling that far would hold)."""
    base = f"http://{HOST}:{port}"
    cursor = None
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        deepest, pages = None, 0
        for _ in range(DEEP_PAGES):
            params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            response = client.get("/api/posts", params=params)
            response.raise_for_status()
            cursor = response.json()["nextCursor"]
            if cursor is None:
                console.print(f"[yellow]The feed ends after {pages} pages[/] (a small seed).")
                break
            deepest, pages = cursor, pages + 1
        if deepest is None:
            raise SystemExit("the feed has a single page: seed more posts")
        walked = time.perf_counter() - started
        post = client.get(f"/api/posts/{slug}").raise_for_status().json()
    return Targets(deepest, pages, walked, slug, post["id"], post["commentCount"])


async def run_cells(
    port: int, args: argparse.Namespace, targets: Targets, pid: int
) -> tuple[list[Cell], list[tuple[str, float]]]:
    deep = httpx.QueryParams({"limit": PAGE, "cursor": targets.deep_cursor})
    endpoints = [
        ("GET /api/posts (first page)", f"/api/posts?limit={PAGE}"),
        (f"GET /api/posts (cursor {targets.deep_pages} pages deep)", f"/api/posts?{deep}"),
        ("GET /api/posts?sort=trending", f"/api/posts?sort=trending&limit={PAGE}"),
        (f"GET /api/posts/{{slug}} ({targets.comments} comments)", f"/api/posts/{targets.slug}"),
        ("GET /api/posts/{id}/comments", f"/api/posts/{targets.post_id}/comments"),
        ("GET /api/search?q=sparkle", "/api/search?q=sparkle"),
        ("GET /health", "/health"),
    ]
    cells: list[Cell] = []
    memory = [("idle, after start-up", rss_mib(pid)[0])]
    for name, path in endpoints:
        make = get_request(lambda i, p=path: p)
        warm = await measure(name, port, make, 8, 1.0, 400)
        if warm.errors:
            console.print(f"[yellow]{name}: {warm.errors} of {len(warm.latencies)} failed[/]")
        for concurrency in args.concurrency:
            console.print(f"  {name} at concurrency {concurrency} ...")
            cells.append(
                await measure(name, port, make, concurrency, args.duration, args.max_requests)
            )
        memory.append((f"after {name}", rss_mib(pid)[0]))
    return cells, memory


@dataclass
class Report:
    cells: list[Cell]
    memory: list[tuple[str, float]]
    meta: dict[str, str]
    plans: dict[str, list[str]]
    server_errors: Counter[str]
    targets: Targets


def benchmark(args: argparse.Namespace) -> Report:
    load = os.getloadavg()
    counts = {k: max(1, round(v * args.scale)) for k, v in FULL.items()}
    if not args.reuse:
        asyncio.run(recreate_database())
    try:
        with tempfile.TemporaryDirectory(prefix="sparkle-content-bench-") as tmp:
            env = server_env(Path(tmp) / "var")
            # The distributed mode as deployed: PostgreSQL for data, Redis for the job queues,
            # rate limits and realtime (a PostgreSQL job broker holds connections of its own).
            env.update(
                DATABASE_URL=DATABASE_URL,
                REDIS_URL=REDIS_URL,
                SECRET_KEY="content-bench-" + "x" * 32,
            )
            subprocess.run(sparkle_command("migrate", "up"), env=env, check=True)
            if args.reuse:
                seed_s = None
                slug = asyncio.run(long_thread())
            else:
                console.print(f"Seeding {counts} ...")
                started = time.perf_counter()
                output = tee(
                    sparkle_command(
                        "seed-demo",
                        "--seed",
                        str(SEED),
                        "--long-thread",
                        str(THREAD),
                        *(f"--{k}={v}" for k, v in counts.items()),
                    ),
                    # Live progress bars when this runs in a terminal.
                    {
                        **env,
                        "COLUMNS": str(console.width),
                        "TTY_COMPATIBLE": str(int(console.is_terminal)),
                    },
                )
                seed_s = time.perf_counter() - started
                match = re.search(r"Long thread: ([\w-]+)", output)
                slug = match.group(1) if match else None
            if slug is None:
                raise SystemExit("the seed made no long thread (too few comments)")
            asyncio.run(analyze())
            trending = asyncio.run(recompute_trending())
            port = free_port()
            log_path = Path(tmp) / "server.log"
            with log_path.open("wb") as log:
                server = subprocess.Popen(
                    sparkle_command("serve", "--host", HOST, "--port", str(port), "--workers", "2"),
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                try:
                    wait_until_up(port, server)
                    targets = find_targets(port, slug)
                    plans = asyncio.run(feed_plans(targets.deep_cursor))
                    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                        cells, memory = runner.run(run_cells(port, args, targets, server.pid))
                finally:
                    server.terminate()
                    server.wait(timeout=30)
            errors = server_errors(log_path)
    finally:
        if not (args.keep or args.reuse):
            asyncio.run(recreate_database(drop_only=True))
    scale = "full scale" if args.scale == 1 else f"scale {args.scale:g} of the full seed"
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load average before the run": " ".join(f"{x:.2f}" for x in load),
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs (server, PostgreSQL and load "
        "generator share them)",
        "python": platform.python_version(),
        "server": "sparkle serve --workers 2 (uvicorn, uvloop, httptools), PostgreSQL and "
        "Redis (job queues) on loopback; rate limits off, logs at WARNING",
        "data": f"{scale}: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        + (
            f"; seeded in {seed_s / 60:.1f} min (`sparkle seed-demo`), then VACUUM ANALYZE"
            if seed_s is not None
            else "; the database a --keep run seeded (--reuse), VACUUM ANALYZE again"
        ),
        "trending": trending,
        "deep cursor": f"followed nextCursor {targets.deep_pages} times (limit {PAGE}) in "
        f"{targets.deep_walk_s:.1f} s",
        "cells": f"{args.duration:g} s each (at most {args.max_requests} requests), "
        "anonymous, keep-alive connections, loopback",
    }
    return Report(cells, memory, meta, plans, errors, targets)


def render(report: Report) -> tuple[Table, str]:
    table, lines = cell_table("Sparkle content benchmark (PostgreSQL)", report.cells)
    first = [c for c in report.cells if "first page" in c.name]
    deep = [c for c in report.cells if "pages deep" in c.name]
    ratio_lines = []
    for a, b in zip(first, deep, strict=True):
        ratio_lines.append(
            f"- at {a.concurrency} connections the deep page serves {b.rate / a.rate:.0%} of "
            f"the first page's req/s; p50 {b.percentile(0.5) / a.percentile(0.5):.2f}x "
            "(target: within 10 %)"
        )
    lines += ["", "Deep cursor against the first page:", "", *ratio_lines]
    lines += ["", "| server memory | RSS MiB |", "|---|---|"]
    lines += [f"| {label} | {mib:.0f} |" for label, mib in report.memory]
    for name, plan in report.plans.items():
        key = [
            ln
            for ln in plan
            if re.search(r"Index|Scan|Sort|Limit|Join|Loop|Execution|Planning", ln)
        ]
        lines += ["", f"Plan of the feed, {name} (key lines of EXPLAIN ANALYZE):", "", "```"]
        lines += [*key, "```"]
    if report.server_errors:
        lines += ["", "Non-200 responses come from these server errors:", ""]
        lines += [f"- {count} x `{error}`" for error, count in report.server_errors.most_common()]
    meta = "\n".join(f"- {k}: {v}" for k, v in report.meta.items())
    markdown = f"# Sparkle content benchmark\n\n{meta}\n\n" + "\n".join(lines) + "\n"
    return table, markdown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the full seed (default 1)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[64],
        help="comma-separated connection counts (default 64)",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per cell")
    parser.add_argument("--keep", action="store_true", help="keep the sparkle_bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a --keep run left (no re-seed); implies --keep",
    )
    args = parser.parse_args()
    report = benchmark(args)
    table, markdown = render(report)
    console.print(table)
    for line in markdown.split("Deep cursor against the first page:")[1].split("|")[0].splitlines():
        if line.strip():
            console.print(line)
    for error, count in report.server_errors.most_common():
        console.print(f"[red]server error[/] {count} x {error}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(markdown)
    console.print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
