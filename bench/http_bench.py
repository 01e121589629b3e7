"""HTTP benchmark: sign-in throughput, public profile reads and a static-JSON ceiling, measured
against a real `sparkle serve` process on loopback by a keep-alive load generator in this one.

    uv run python bench/http_bench.py [--users 1000] [--duration 5] [--concurrency 1,16,64]

Prints a table and writes it to bench/results/http.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from sparkle.cli import DEMO_PASSWORD, demo_people
from sparkle.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "http.md"
HOST = "127.0.0.1"
SEED = 2026
console = Console(width=max(Console().width, 100))

RequestFactory = Callable[[int], bytes]


# --- the load generator -----------------------------------------------------------------


@dataclass
class Cell:
    """One measurement: an endpoint at one concurrency."""

    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Budget:
    """Bounds a cell by request count as well as by time."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; returns (status, connection kept alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get(b"connection") != b"close"


async def connection(
    port: int, make: RequestFactory, offset: int, deadline: float, budget: Budget, cell: Cell
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    i = offset
    try:
        while time.perf_counter() < deadline and budget.take():
            request = make(i)
            i += 1
            started = time.perf_counter()
            try:
                writer.write(request)
                status, alive = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server dropped the connection (uvicorn closes it after a 500).
                status, alive = 0, False
            cell.latencies.append(time.perf_counter() - started)
            if status != 200:
                cell.errors += 1
            if not alive:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


async def measure(
    name: str, port: int, make: RequestFactory, concurrency: int, duration: float, max_requests: int
) -> Cell:
    """Keep `concurrency` connections busy for `duration` s (or `max_requests` requests)."""
    cell = Cell(name, concurrency)
    budget = Budget(max_requests)
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(connection(port, make, k * 7919, deadline, budget, cell) for k in range(concurrency))
    )
    # Requests in flight at the deadline finish and count; the elapsed time includes them.
    cell.elapsed = time.perf_counter() - started
    return cell


def get_request(path_of: Callable[[int], str]) -> RequestFactory:
    def make(i: int) -> bytes:
        head = f"GET {path_of(i)} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: sparkle-bench\r\n\r\n"
        return head.encode()

    return make


def login_request(emails: list[str]) -> RequestFactory:
    def make(i: int) -> bytes:
        body = json.dumps({"email": emails[i % len(emails)], "password": DEMO_PASSWORD}).encode()
        head = (
            f"POST /api/auth/login HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: sparkle-bench\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return make


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # Production argon2 parameters (the defaults) and the embedded default database.
        if not k.startswith("ARGON2_") and k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL"}
    }
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
        SPARKLE_RATE_LIMITS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def sparkle_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sparkle.cli", *args]


def rss_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not come up")


# --- the run ----------------------------------------------------------------------------


@dataclass
class Report:
    cells: list[Cell]
    memory: list[tuple[str, float]]
    peak_mib: float
    meta: dict[str, str]
    server_errors: Counter[str]


def argon2_verify_ms(settings: Settings) -> float:
    """Median wall time of one argon2id verification with these parameters, in this process."""
    from sparkle.core import security

    hashed = security.hash_password(settings, DEMO_PASSWORD)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        security.verify_password(settings, hashed, DEMO_PASSWORD)
        times.append(time.perf_counter() - started)
    return sorted(times)[1] * 1000


def server_errors(log: Path) -> Counter[str]:
    """Distinct exceptions the server logged (the last line of each traceback)."""
    pattern = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.{0,120})")
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = pattern.match(line)
        if match and not match.group(1).startswith("sqlalchemy"):
            found[f"{match.group(1)}: {match.group(2)}"] += 1
    return found


async def run_cells(
    port: int, args: argparse.Namespace, people: list, pid: int
) -> tuple[list[Cell], list[tuple[str, float]]]:
    usernames = [p.username for p in people]
    emails = [p.email for p in people]
    endpoints: list[tuple[str, RequestFactory, int]] = [
        ("POST /api/auth/login", login_request(emails), args.max_logins),
        (
            "GET /api/users/{username}",
            get_request(lambda i: f"/api/users/{usernames[i % len(usernames)]}"),
            args.max_requests,
        ),
        ("GET /health", get_request(lambda i: "/health"), args.max_requests),
    ]
    cells: list[Cell] = []
    memory = [("idle, after start-up", rss_mib(pid)[0])]
    for name, make, limit in endpoints:
        if not any(word in name for word in args.only):
            continue
        warm = await measure(name, port, make, 4, 1.0, 8 if "login" in name else 500)
        if warm.errors:
            console.print(
                f"[yellow]{name}: {warm.errors} of {len(warm.latencies)} warm-up requests failed[/]"
            )
        for concurrency in args.concurrency:
            console.print(f"  {name} at concurrency {concurrency} ...")
            cell = await measure(name, port, make, concurrency, args.duration, limit)
            cells.append(cell)
        memory.append((f"after {name}", rss_mib(pid)[0]))
    return cells, memory


def benchmark(args: argparse.Namespace) -> Report:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    load = os.getloadavg()
    people = list(demo_people(args.users, SEED))
    with tempfile.TemporaryDirectory(prefix="sparkle-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        env = server_env(data_dir)
        console.print(f"Seeding {args.users} users (migrates the embedded database) ...")
        subprocess.run(
            sparkle_command("seed-demo", "--users", str(args.users), "--seed", str(SEED)),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen(
            sparkle_command("serve", "--host", HOST, "--port", str(port), "--workers", "1"),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(port, server)
            loop_factory = _loop_factory()
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                cells, memory = runner.run(run_cells(port, args, people, server.pid))
            peak = rss_mib(server.pid)[1]
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        errors = server_errors(Path(tmp) / "server.log")
    verify_ms = argon2_verify_ms(defaults)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load average before the run": " ".join(f"{x:.2f}" for x in load),
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs (server and load generator share them)",
        "python": platform.python_version(),
        "server": "sparkle serve --workers 1 (uvicorn, uvloop, httptools), embedded SQLite (WAL)",
        "argon2id": f"t={defaults.argon2_time_cost}, m={defaults.argon2_memory_kib // 1024} MiB, "
        f"p={defaults.argon2_parallelism} (production defaults); one verification alone takes "
        f"{verify_ms:.0f} ms here, a ceiling of {1000 / verify_ms:.1f} sign-ins/s per core",
        "data": f"{args.users} verified users with profiles; rate limits off; logs at WARNING",
        "cells": f"{args.duration:g} s each (at most {args.max_requests} requests, "
        f"{args.max_logins} sign-ins), keep-alive connections, loopback",
    }
    return Report(cells, memory, peak, meta, errors)


def _loop_factory():  # type: ignore[no-untyped-def]
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def cell_table(title: str, cells: list[Cell]) -> tuple[Table, list[str]]:
    """The cells as a rich table and as markdown lines (one row per cell)."""
    table = Table(title=title, title_justify="left")
    headers = ["endpoint", "concurrency", "requests", "req/s", "p50 ms", "p99 ms", "errors"]
    for h in headers:
        table.add_column(h, justify="left" if h == "endpoint" else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for c in cells:
        row = [
            c.name,
            str(c.concurrency),
            str(len(c.latencies)),
            f"{c.rate:,.1f}" if c.rate < 100 else f"{c.rate:,.0f}",
            f"{c.percentile(0.50) * 1000:,.1f}",
            f"{c.percentile(0.99) * 1000:,.1f}",
            str(c.errors),
        ]
        table.add_row(*row)
        lines.append("| " + " | ".join(row) + " |")
    return table, lines


def render(report: Report) -> tuple[Table, str]:
    table, lines = cell_table("Sparkle HTTP benchmark", report.cells)
    lines += ["", "| server memory | RSS MiB |", "|---|---|"]
    lines += [f"| {label} | {mib:.0f} |" for label, mib in report.memory]
    lines.append(f"| peak (VmHWM) | {report.peak_mib:.0f} |")
    if report.server_errors:
        lines += ["", "Non-200 responses come from these server errors:", ""]
        lines += [f"- {count} x `{error}`" for error, count in report.server_errors.most_common()]
    meta = "\n".join(f"- {k}: {v}" for k, v in report.meta.items())
    markdown = f"# Sparkle HTTP benchmark\n\n{meta}\n\n" + "\n".join(lines) + "\n"
    return table, markdown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000, help="seeded users (default 1000)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell (default 5)")
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 16, 64],
        help="comma-separated connection counts (default 1,16,64)",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per cell")
    parser.add_argument("--max-logins", type=int, default=2_000, help="cap per sign-in cell")
    parser.add_argument(
        "--only",
        type=lambda s: s.split(","),
        default=["login", "users", "health"],
        help="endpoints to measure: login,users,health (default all)",
    )
    args = parser.parse_args()
    report = benchmark(args)
    table, markdown = render(report)
    console.print(table)
    for label, mib in report.memory:
        console.print(f"server RSS {label}: {mib:.0f} MiB")
    console.print(f"server peak RSS: {report.peak_mib:.0f} MiB")
    for error, count in report.server_errors.most_common():
        console.print(f"[red]server error[/] {count} x {error}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(markdown)
    console.print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
