"""Messaging benchmark: messages per second end to end — `sendMessage` over the socket →
committed (the ack) → `messageReceived` at the other participant — with N concurrent
conversations, and the p50/p99 of send-to-delivery latency.

    uv run python bench/messaging_bench.py [--conversations 100] [--duration 10] [--modes embedded,distributed]

- embedded: one `sparkle serve` process on the embedded SQLite database, in-process fan-out.
- distributed: PostgreSQL + Redis, two `sparkle serve` processes; senders connect to the first,
  receivers to the second, so every delivery crosses the Redis manager.

Each conversation is a loop: send, wait for the ack, wait until the receiver has the message,
repeat. Accounts are created in this process before the servers start (cheap argon2 parameters;
the benchmark measures messaging, not sign-in). Every message takes the real path: participant
check, insert, exact counter update, read pointer, the notification job's outbox row, commit,
emits; the DIRECT_MESSAGE notification follows in that job (one per burst of a conversation).
Prints a table and writes it to bench/results/messaging.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import socketio
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from http_bench import free_port, wait_until_up

RESULTS = ROOT / "bench" / "results" / "messaging.md"
HOST = "127.0.0.1"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DATABASE = "sparkle_messaging_bench"
REDIS_URL = "redis://127.0.0.1:6379/5"
SECRET = "messaging-bench-secret-" + "x" * 32
console = Console(width=max(Console().width, 100))


@dataclass
class Result:
    mode: str
    conversations: int
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def env_for(data_dir: Path, database_url: str | None, redis_url: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL"}
    }
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
        SECRET_KEY=SECRET,
        SPARKLE_RATE_LIMITS="0",
        PYTHONUNBUFFERED="1",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        REALTIME_EVENTS_PER_SECOND="100000",
        REALTIME_USER_EVENTS_PER_SECOND="100000",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


async def fresh_postgres() -> str:
    from sparkle.core.db import create_engine

    engine = create_engine(ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    finally:
        await engine.dispose()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"


async def seed(env: dict[str, str], pairs: int) -> list[tuple[str, str, str]]:
    """`pairs` (sender token, receiver token, conversation id) triples, made through the services."""
    from sparkle.accounts import service as accounts_service
    from sparkle.auth import service as auth_service
    from sparkle.auth.schemas import LoginRequest
    from sparkle.core import runtime, security
    from sparkle.core.config import Settings
    from sparkle.core.db import session_scope
    from sparkle.core.deps import ClientInfo
    from sparkle.messaging import service as messaging_service
    from sparkle.messaging.schemas import ConversationCreate

    old = dict(os.environ)
    os.environ.update(env)
    try:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
    finally:
        os.environ.clear()
        os.environ.update(old)
    rt = runtime.build(settings)
    runtime.install(rt)
    rt.limiter.enabled = False
    client = ClientInfo(ip="127.0.0.1", user_agent="messaging bench")
    password = "bench-password-0123456789"
    hashed = security.hash_password(settings, password)
    out = []
    try:
        for i in range(pairs):
            tokens = []
            users = []
            for role in ("s", "r"):
                name = f"mb{role}{i}"
                async with session_scope(rt.sessions) as s:
                    user = await accounts_service.create(
                        s,
                        email=f"{name}@example.com",
                        username=name,
                        hashed_password=hashed,
                        verified=True,
                    )
                async with session_scope(rt.sessions) as s:
                    user, tok = await auth_service.login(
                        s, rt, LoginRequest(email=f"{name}@example.com", password=password), client
                    )
                users.append(user)
                tokens.append(tok.access_token)
            async with session_scope(rt.sessions) as s:
                conv, _ = await messaging_service.create_conversation(
                    s, users[0], ConversationCreate(participant_ids=[users[1].id])
                )
            out.append((tokens[0], tokens[1], str(conv.id)))
    finally:
        await rt.close()
    return out


class Receiver:
    """A receiving participant; `expect` names the message the loop is waiting for."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.expect: tuple[str, asyncio.Future[float]] | None = None
        self.sio.on("messageReceived", self._got)

    async def _got(self, message: dict[str, Any]) -> None:
        if (
            self.expect is not None
            and message.get("content") == self.expect[0]
            and not self.expect[1].done()
        ):
            self.expect[1].set_result(time.perf_counter())


async def run(
    mode: str, ports: list[int], pairs: list[tuple[str, str, str]], duration: float
) -> Result:
    result = Result(mode, len(pairs))
    senders, receivers = [], []
    for stoken, rtoken, _ in pairs:
        s = socketio.AsyncClient(reconnection=False)
        await s.connect(
            f"http://{HOST}:{ports[0]}",
            auth={"token": stoken},
            transports=["websocket"],
            wait_timeout=20,
        )
        r = Receiver()
        await r.sio.connect(
            f"http://{HOST}:{ports[-1]}",
            auth={"token": rtoken},
            transports=["websocket"],
            wait_timeout=20,
        )
        senders.append(s)
        receivers.append(r)
    await asyncio.sleep(1.0)
    stop = time.perf_counter() + duration

    async def loop(i: int) -> None:
        # The receiver's handler is set before sending: a delivery may beat the ack.
        s, r, conv = senders[i], receivers[i], pairs[i][2]
        n = 0
        while time.perf_counter() < stop:
            n += 1
            started = time.perf_counter()
            got: asyncio.Future[float] = asyncio.get_running_loop().create_future()

            r.expect = (f"message {n}", got)
            try:
                ack = await s.call(
                    "sendMessage",
                    {"conversationId": conv, "content": f"message {n}", "type": "text"},
                    timeout=30,
                )
            except socketio.exceptions.TimeoutError:
                ack = None
            if not ack or not ack.get("ok"):
                result.errors += 1
                continue
            try:
                delivered = await asyncio.wait_for(got, 30)
            except TimeoutError:
                result.errors += 1
                continue
            result.latencies.append(delivered - started)

    began = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(len(pairs))))
    result.elapsed = time.perf_counter() - began
    for c in [*senders, *(r.sio for r in receivers)]:
        await c.disconnect()
    return result


def start_servers(
    env: dict[str, str], count: int, log_dir: Path
) -> tuple[list[int], list[subprocess.Popen[bytes]]]:
    ports, procs = [], []
    for i in range(count):
        port = free_port()
        log = (log_dir / f"server{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sparkle.cli",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env={**env, "SPARKLE_BASE_URL": f"http://{HOST}:{port}"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    for port, proc in zip(ports, procs, strict=True):
        wait_until_up(port, proc, timeout=120)
    return ports, procs


def migrate(env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "sparkle.cli", "migrate", "up"]
    subprocess.run(command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


async def measure(mode: str, conversations: int, duration: float, tmp: Path) -> Result:
    data_dir = tmp / mode / "var"
    data_dir.mkdir(parents=True)
    if mode == "embedded":
        env = env_for(data_dir, None, None)
        servers = 1
    else:
        env = env_for(data_dir, await fresh_postgres(), REDIS_URL)
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        servers = 2
    migrate(env)
    pairs = await seed(env, conversations)
    ports, procs = start_servers(env, servers, tmp / mode)
    try:
        return await run(mode, ports, pairs, duration)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def render(results: list[Result], meta: dict[str, str]) -> tuple[Table, str]:
    headers = ["mode", "conversations", "messages", "msg/s", "p50 ms", "p99 ms", "errors"]
    table = Table(
        title="Sparkle messaging benchmark (send → commit → delivered)", title_justify="left"
    )
    for h in headers:
        table.add_column(h, justify="left" if h == "mode" else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in results:
        row = [
            r.mode,
            str(r.conversations),
            str(len(r.latencies)),
            f"{r.rate:,.0f}",
            f"{r.pct(0.5) * 1000:,.1f}",
            f"{r.pct(0.99) * 1000:,.1f}",
            str(r.errors),
        ]
        table.add_row(*row)
        lines.append("| " + " | ".join(row) + " |")
    text_ = "\n".join(
        ["# Messaging benchmark", "", *[f"- {k}: {v}" for k, v in meta.items()], "", *lines, ""]
    )
    return table, text_


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--modes", default="embedded,distributed")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            console.print(
                f"[bold]{mode}[/]: {args.conversations} conversations, {args.duration:.0f} s"
            )
            results.append(asyncio.run(measure(mode, args.conversations, args.duration, Path(tmp))))
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (servers and load generator share them)",
        "python": platform.python_version(),
        "embedded": "one `sparkle serve` process, SQLite (WAL), in-process Socket.IO manager",
        "distributed": "PostgreSQL + Redis, two `sparkle serve` processes (senders on one, receivers on the other)",
        "loop": "each conversation: sendMessage → ack (after commit) → messageReceived at the other participant → next",
    }
    table, md = render(results, meta)
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(md)


if __name__ == "__main__":
    main()
