"""A live uvicorn server on loopback (per backend, per module) and python-socketio clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn

from sparkle import realtime
from sparkle.app import create_app
from sparkle.core import jobs, runtime
from sparkle.realtime.hub import Hub
from tests.conftest import BACKENDS, Account, make_settings
from tests.factories.accounts import create_account
from tests.fixtures.database import empty_database, run_alembic

TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Live:
    base_url: str
    rt: runtime.Runtime
    hub: Hub
    clients: list[Client] = field(default_factory=list)

    async def account(self, username: str) -> Account:
        return await create_account(self.rt, username=username)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10)


class Client:
    """A python-socketio client that records every event it receives."""

    def __init__(self, **kwargs: Any) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, **kwargs)
        self.received: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._connect_error)
        self.connect_errors: list[Any] = []

    async def _connect_error(self, data: Any) -> None:
        self.connect_errors.append(data)

    async def _record(self, event: str, *args: Any) -> None:
        self.received.append((event, args[0] if len(args) == 1 else args))
        self._changed.set()

    async def connect(
        self,
        url: str,
        token: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        transports: list[str] | None = None,
    ) -> None:
        await self.sio.connect(
            url,
            auth={"token": token} if token is not None else None,
            headers=headers or {},
            transports=transports or ["websocket"],
            wait_timeout=TIMEOUT,
        )

    def events(self, name: str) -> list[Any]:
        return [data for event, data in self.received if event == name]

    async def wait_for(
        self, name: str, match: Callable[[Any], bool] = lambda _: True, timeout: float = TIMEOUT
    ) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for event, data in self.received:
                if event == name and match(data):
                    return data
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(
                    f"no {name!r} within {timeout} s; got {[e for e, _ in self.received]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=TIMEOUT)

    async def close(self) -> None:
        if self.sio.connected and self.sio.transport() == "polling":
            # python-socketio's polling client would wait out its pending long-poll.
            await self.sio.eio.disconnect(abort=True)
        if self.sio.connected:
            try:
                await asyncio.wait_for(self.sio.disconnect(), 3)
            except TimeoutError:
                await self.sio.eio.disconnect(abort=True)


async def flush(client: Client) -> None:
    """Wait until everything the server sent `client` so far has been received: a marker sent
    to the client's own room now arrives after all of it (one ordered connection), so a message
    that is still missing then was never sent."""
    user = (await client.wait_for("connected"))["userId"]
    marker = uuid.uuid4().hex
    await realtime.emit("test:flush", marker, f"user:{user}")
    await client.wait_for("test:flush", lambda m: m == marker)


async def start_live(
    tmp: Path, url: str, *, server_options: dict[str, Any] | None = None, **overrides: object
) -> tuple[Live, uvicorn.Server, asyncio.Task[Any]]:
    port = free_port()
    values: dict[str, object] = {
        "DATABASE_URL": url,
        "SPARKLE_BASE_URL": f"http://127.0.0.1:{port}",
        "REALTIME_PRESENCE_THROTTLE": 0.2,
        "REALTIME_TYPING_TIMEOUT": 0.6,
        "REALTIME_HEARTBEAT_SECONDS": 0.5,
        "REALTIME_PRESENCE_TTL": 2.0,
        "REALTIME_SESSION_CHECK_SECONDS": 30,
        "SPARKLE_RATE_LIMITS": False,
    }
    values.update(overrides)
    settings = make_settings(tmp / "var", **values)
    rt = runtime.build(settings)
    runtime.install(rt)
    jobs.configure(inline=True)
    app = create_app(settings, rt)
    options: dict[str, Any] = {"ws_per_message_deflate": False, **(server_options or {})}
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return Live(f"http://127.0.0.1:{port}", rt, app.state.realtime), server, task


async def stop_live(live: Live, server: uvicorn.Server, task: asyncio.Task[Any]) -> None:
    for client in live.clients:
        with contextlib.suppress(Exception):
            await client.close()
    # What a SIGTERM handler would do first: tell clients to go, end pending long-polls.
    await live.hub.stop()
    server.should_exit = True
    await asyncio.wait_for(task, 15)
    await live.rt.close()


@pytest.fixture(scope="module", params=BACKENDS)
async def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Live]:
    tmp = tmp_path_factory.mktemp("realtime")
    async for url in empty_database(request.param, tmp, "realtime"):
        await run_alembic(url, "upgrade", "head")
        overrides = getattr(request.module, "LIVE_SETTINGS", {})
        server_options = getattr(request.module, "LIVE_SERVER", None)
        server_live, server, task = await start_live(
            tmp, url, server_options=server_options, **overrides
        )
        try:
            yield server_live
        finally:
            await stop_live(server_live, server, task)


@pytest.fixture(autouse=True)
def _live_runtime(request: pytest.FixtureRequest) -> None:
    """Factories and services reach the runtime globally: make it the live server's."""
    if "live" in request.fixturenames:
        server_live = request.getfixturevalue("live")
        runtime.install(server_live.rt)
        jobs.configure(inline=True)


@pytest.fixture
async def connect(live: Live) -> AsyncIterator[Callable[..., Any]]:
    made: list[Client] = []

    async def make(
        account: Account | None = None, token: str | None = None, **kwargs: Any
    ) -> Client:
        client = Client()
        await client.connect(
            live.base_url,
            token if token is not None else (account.access_token if account else None),
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        with contextlib.suppress(Exception):
            await client.close()
