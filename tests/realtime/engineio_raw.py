"""A bare Engine.IO v4 / Socket.IO v5 client over one WebSocket, for what the standard clients
cannot do: offer per-message deflate, or stop reading to play a slow consumer."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect


class RawSocketIO:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ack = 0

    @classmethod
    async def open(
        cls, base_url: str, token: str, *, compression: str | None = None, **options: Any
    ) -> RawSocketIO:
        parts = urlsplit(base_url)
        url = f"ws://{parts.netloc}/socket.io/?EIO=4&transport=websocket"
        ws = await connect(url, compression=compression, **options)
        client = cls(ws)
        opened = await ws.recv()
        assert isinstance(opened, str) and opened.startswith("0"), opened
        await ws.send("40" + json.dumps({"token": token}))
        while not (await client._next()).startswith("40"):
            pass
        return client

    async def _next(self) -> str:
        while True:
            frame = await self.ws.recv()
            assert isinstance(frame, str)
            if frame == "2":  # Engine.IO ping
                await self.ws.send("3")
                continue
            return frame

    async def event(self, name: str) -> Any:
        """The payload of the next `name` event (others are skipped)."""
        while True:
            frame = await self._next()
            if frame.startswith("42"):
                event, *args = json.loads(frame[2:])
                if event == name:
                    return args[0] if len(args) == 1 else args

    async def call(self, event: str, data: Any) -> Any:
        self._ack += 1
        ack = str(self._ack)
        await self.ws.send("42" + ack + json.dumps([event, data]))
        while True:
            frame = await self._next()
            if frame.startswith("43" + ack + "["):
                return json.loads(frame[2 + len(ack) :])[0]

    async def close(self) -> None:
        await self.ws.close()


def tiny_receive_buffer_socket(base_url: str) -> socket.socket:
    """A connected TCP socket whose receive buffer is as small as the kernel allows."""
    parts = urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    sock.setblocking(False)
    return sock
