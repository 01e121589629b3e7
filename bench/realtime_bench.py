"""Socket.IO fan-out: deliveries/s, end-to-end latency, server CPU µs per delivery, RSS per
connection and connect-storm time for one room of C clients, for our server (one embedded
process; optionally two processes over Redis) and, in the same run, Node's socket.io server
doing the same (installed with npm into a temporary directory at bench time).

A Node load generator (socket.io-client, in its own process) connects C authenticated clients
to one room; one of them publishes M `room:message` events of ~200 bytes; every client counts
what it receives and the publish → receive latency (same process clock).

    uv run python bench/realtime_bench.py --clients 200 1000 --repeat 3 [--redis URL] [--no-node]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
CLIENT_MODULES = ROOT / "frontend" / "node_modules"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
NODE_SOCKET_IO = "socket.io@4.8.1"

NODE_SERVER = r"""
const { Server } = require("socket.io");
const io = new Server(Number(process.env.PORT), { perMessageDeflate: false, transports: ["websocket", "polling"] });
io.use((socket, next) => (socket.handshake.auth && socket.handshake.auth.token ? next() : next(new Error("Authentication required"))));
io.on("connection", (socket) => {
  socket.on("room:join", (room, ack) => { socket.join(room); if (ack) ack({ ok: true, room }); });
  socket.on("room:message", (d) => {
    io.to(d.roomId).emit("room:message", { roomId: d.roomId, userId: "01900000-0000-7000-8000-000000000000",
      username: "bench", message: d.message, timestamp: new Date().toISOString() });
  });
});
console.log("READY");
"""

LOADGEN = r"""
const { io } = require(process.env.CLIENT_MODULE);
const [urls, clients, messages, room, token] = [process.argv[2].split(","), +process.argv[3], +process.argv[4], process.argv[5], process.argv[6]];
const sockets = [];
const lat = [];
let received = 0;
const expected = clients * messages;
function pct(a, p) { if (!a.length) return 0; const s = Float64Array.from(a).sort(); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }
async function main() {
  const t0 = Date.now();
  const pending = [];
  for (let i = 0; i < clients; i++) {
    const s = io(urls[i % urls.length], { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
    sockets.push(s);
    pending.push(new Promise((res, rej) => { s.once("connect", res); s.once("connect_error", rej); })
      .then(() => s.timeout(30000).emitWithAck("room:join", room)));
    if (pending.length % 100 === 0) await Promise.all(pending.slice(-100));
  }
  await Promise.all(pending);
  const connectMs = Date.now() - t0;
  let done;
  const finished = new Promise((r) => (done = r));
  for (const s of sockets) {
    s.on("room:message", (m) => {
      lat.push(Date.now() - Number(m.message.slice(0, 13)));
      if (++received === expected) done();
    });
  }
  console.log("PUBLISH_START");
  await new Promise((r) => setTimeout(r, 200));
  const pub = sockets[0];
  const pad = "x".repeat(120);
  const start = Date.now();
  for (let k = 0; k < messages; k++) {
    pub.emit("room:message", { roomId: room, message: `${Date.now()}|${k}|${pad}` });
    if (k % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  const timeout = new Promise((r) => setTimeout(r, 120000));
  await Promise.race([finished, timeout]);
  const seconds = (Date.now() - start) / 1000;
  console.log("DONE " + JSON.stringify({ connectMs, received, expected, seconds, p50: pct(lat, 0.5), p99: pct(lat, 0.99) }));
  for (const s of sockets) s.disconnect();
  process.exit(0);
}
main().catch((e) => { console.log("FAIL " + (e && e.message)); process.exit(1); });
"""


@dataclass
class Result:
    server: str
    clients: int
    messages: int
    deliveries: int
    seconds: float
    cpu_seconds: float
    p50: float
    p99: float
    connect_ms: float
    kb_per_conn: float

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds * 1e6 / self.deliveries if self.deliveries else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_http(url: str, timeout: float = 240) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


async def prepare_database(url: str, data_dir: Path) -> tuple[str, str]:
    """Migrate, create the bench account and return (access token, room)."""
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.database import run_alembic

    from sparkle.accounts import service as accounts_service
    from sparkle.auth import service as auth_service
    from sparkle.auth.schemas import LoginRequest
    from sparkle.core import runtime, security
    from sparkle.core.config import Settings
    from sparkle.core.db import session_scope
    from sparkle.core.deps import ClientInfo

    await run_alembic(url, "upgrade", "head")
    settings = Settings(
        _env_file=None,
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),  # type: ignore[call-arg]
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_KIB=1024,
        ARGON2_PARALLELISM=1,
        SPARKLE_RATE_LIMITS=False,
    )
    rt = runtime.build(settings)
    runtime.install(rt)
    password = "bench-password-123456"
    async with session_scope(rt.sessions) as session:
        user = await accounts_service.create(
            session,
            email="bench@example.com",
            username="bench_user",
            hashed_password=security.hash_password(settings, password),
            verified=True,
        )
    async with session_scope(rt.sessions) as session:
        _, tokens = await auth_service.login(
            session,
            rt,
            LoginRequest(email="bench@example.com", password=password),
            ClientInfo("127.0.0.1", "bench"),
        )
    await rt.close()
    return tokens.access_token, f"user-updates:{user.id}"


def start_python(
    port: int, data_dir: Path, db_url: str, redis_url: str | None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        DATABASE_URL=db_url,
        SECRET_KEY=SECRET,
        SPARKLE_BASE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
        LOG_JSON="false",
        SPARKLE_RATE_LIMITS="false",
        REALTIME_EVENTS_PER_SECOND="1000000",
        REALTIME_USER_EVENTS_PER_SECOND="1000000",
        REALTIME_MAX_QUEUE="1000000",
        JOBS_EMBEDDED_WORKER="false",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "sparkle.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--ws-per-message-deflate",
        "false",
        "--log-level",
        "warning",
    ]
    for loop, http in (("uvloop", "httptools"),):
        cmd += ["--loop", loop, "--http", http]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def start_node(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORT": str(port)}
    return subprocess.Popen(
        ["node", str(workdir / "server.js")],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def run_load(
    workdir: Path,
    urls: list[str],
    pids: list[int],
    clients: int,
    messages: int,
    room: str,
    token: str,
    label: str,
) -> Result:
    env = {**os.environ, "CLIENT_MODULE": str(CLIENT_MODULES / "socket.io-client")}
    rss0 = sum(rss_kb(p) for p in pids)
    gen = subprocess.Popen(
        [
            "node",
            str(workdir / "loadgen.js"),
            ",".join(urls),
            str(clients),
            str(messages),
            room,
            token,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert gen.stdout is not None
    cpu0 = 0.0
    rss1 = rss0
    for line in gen.stdout:
        if line.startswith("PUBLISH_START"):
            rss1 = sum(rss_kb(p) for p in pids)
            cpu0 = sum(cpu_seconds(p) for p in pids)
        elif line.startswith("DONE "):
            cpu1 = sum(cpu_seconds(p) for p in pids)
            data = json.loads(line[5:])
            gen.wait()
            return Result(
                label,
                clients,
                messages,
                data["received"],
                data["seconds"],
                cpu1 - cpu0,
                data["p50"],
                data["p99"],
                data["connectMs"],
                (rss1 - rss0) / clients,
            )
        elif line.startswith("FAIL"):
            raise SystemExit(f"{label}: load generator failed: {line.strip()}")
    raise SystemExit(f"{label}: load generator ended without a result")


def install_node_server(workdir: Path) -> bool:
    (workdir / "server.js").write_text(NODE_SERVER)
    if (workdir / "node_modules" / "socket.io").exists():
        return True
    (workdir / "package.json").write_text('{"name": "sio-anchor", "private": true}')
    done = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", NODE_SOCKET_IO],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def median_result(results: list[Result]) -> Result:
    results = sorted(results, key=lambda r: r.rate)
    return results[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--deliveries", type=int, default=200_000, help="target deliveries per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--redis", default=None, help="also run two Python processes over this Redis URL"
    )
    parser.add_argument("--no-node", action="store_true")
    args = parser.parse_args()
    console = Console(width=200)
    workdir = Path(tempfile.mkdtemp(prefix="sparkle-rt-bench-"))
    (workdir / "loadgen.js").write_text(LOADGEN)
    node_ok = not args.no_node and install_node_server(workdir)
    data_dir = workdir / "var"
    data_dir.mkdir()
    db_url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    token, room = asyncio.run(prepare_database(db_url, data_dir))

    servers: list[tuple[str, list[subprocess.Popen[bytes]], list[str]]] = []
    port = free_port()
    servers.append(
        (
            "python-socketio (ours, 1 process)",
            [start_python(port, data_dir, db_url, None)],
            [f"http://127.0.0.1:{port}"],
        )
    )
    if args.redis:
        ports = [free_port(), free_port()]
        servers.append(
            (
                "ours, 2 processes + Redis",
                [start_python(p, data_dir, db_url, args.redis) for p in ports],
                [f"http://127.0.0.1:{p}" for p in ports],
            )
        )
    if node_ok:
        port = free_port()
        servers.append(
            ("node socket.io 4.8", [start_node(workdir, port)], [f"http://127.0.0.1:{port}"])
        )
    results: list[Result] = []
    try:
        for _, _procs, urls in servers:
            for u in urls:
                wait_http(f"{u}/socket.io/?EIO=4&transport=polling")
        for clients in args.clients:
            messages = max(20, args.deliveries // clients)
            for label, procs, urls in servers:
                runs = [
                    run_load(
                        workdir, urls, [p.pid for p in procs], clients, messages, room, token, label
                    )
                    for _ in range(args.repeat)
                ]
                results.append(median_result(runs))
                r = results[-1]
                console.print(
                    f"{label} C={clients}: {r.rate:,.0f}/s cpu {r.cpu_us:.1f} µs p99 {r.p99:.0f} ms"
                )
    finally:
        for _, procs, _ in servers:
            for p in procs:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    table = Table(
        title=f"Socket.IO fan-out, one room (medians of {args.repeat})", title_justify="left"
    )
    headers = [
        "server",
        "clients",
        "msgs",
        "delivered",
        "deliveries/s",
        "× node",
        "CPU µs/delivery",
        "p50 ms",
        "p99 ms",
        "connect s",
        "KB/conn",
    ]
    for h in headers:
        table.add_column(h, justify="left" if h == "server" else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in results:
        node = next(
            (n for n in results if n.server.startswith("node") and n.clients == r.clients), None
        )
        ratio = f"{r.rate / node.rate:.2f}" if node and node.rate else "-"
        row = [
            r.server,
            str(r.clients),
            str(r.messages),
            f"{r.deliveries:,}",
            f"{r.rate:,.0f}",
            ratio,
            f"{r.cpu_us:.1f}",
            f"{r.p50:.0f}",
            f"{r.p99:.0f}",
            f"{r.connect_ms / 1000:.2f}",
            f"{r.kb_per_conn:.1f}",
        ]
        table.add_row(*row)
        lines.append("| " + " | ".join(row) + " |")
    console.print(table)
    out = ROOT / "bench" / "results" / "realtime.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    console.print(f"written {out.relative_to(ROOT)}")
    if not results:
        raise SystemExit("no results")


if __name__ == "__main__":
    main()
