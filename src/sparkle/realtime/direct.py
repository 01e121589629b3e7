"""Direct WebSocket writes: an Engine.IO socket whose packets become WebSocket frames written
straight to the connection's transport, with no writer task, queue or ASGI message per packet.

Stock Engine.IO puts every outgoing packet on the socket's queue; a writer task per socket
wakes up (an `asyncio.wait_for` per poll), encodes it and sends it as an ASGI
`websocket.send` message, which the server frames and writes with one system call. At one
room of 1,000 clients that per-socket machinery is nearly all of a broadcast's cost. Here,
once a client has connected over WebSocket, its socket owns a `Sink`: `send()` hands it the
frame, a broadcast builds one frame and hands the same bytes to every recipient (a server's
frames are unmasked, so one frame fits all), and each sink writes what it collected during
`flush_delay` (5 ms) with one `writelines`. Order is kept: every packet of such a socket goes
through its sink.

The sink needs the ASGI server's connection object behind its `send` callable (uvicorn's
default `websockets-sansio` protocol: `transport`, `close_sent`, and a `conn` without
extensions, so no per-message deflate); `WebSocketDispatch`, outside the application's other
middleware, hands it over unwrapped. Anything else (another server, a compressed connection,
a client that upgrades from long-polling) keeps Engine.IO's queue and writer unchanged.

A recipient whose transport buffer grows past `max_buffer` bytes is a slow consumer and is
disconnected rather than buffered without bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import engineio
import socketio
import structlog
from engineio import packet as eio_packet
from engineio.async_drivers.asgi import WebSocket
from engineio.async_socket import AsyncSocket
from websockets.frames import Frame, Opcode

log = structlog.get_logger(__name__)


class WebSocketDispatch:
    """Hands Socket.IO WebSocket connections to the Socket.IO application before any other
    middleware or route matching: they keep the server's own `send` (which the sink needs)
    and skip a walk through every API route per connection. Long-polling requests still go
    through the application's middleware to the `/socket.io` mount."""

    def __init__(self, app: Any, *, socketio_app: Any, path: str = "/socket.io") -> None:
        self.app = app
        self.socketio_app = socketio_app
        self.path = path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(self.path):
            await self.socketio_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def frame(data: str | bytes) -> bytes:
    """One unmasked, unfragmented WebSocket frame carrying an encoded Engine.IO packet."""
    if isinstance(data, str):
        return Frame(Opcode.TEXT, data.encode()).serialize(mask=False)
    return Frame(Opcode.BINARY, data).serialize(mask=False)


def packet_frame(pkt: eio_packet.Packet) -> bytes:
    return frame(pkt.encode())


class Sink:
    """Writes whole frames to one connection's transport, coalescing what arrives within the
    flusher's delay into a single `writelines`: a burst of events to a room costs each
    recipient one system call instead of one per frame."""

    __slots__ = ("_conn", "_flusher", "_max_buffer", "_on_overflow", "_overflowed", "_pending")

    def __init__(self, conn: Any, flusher: Flusher, max_buffer: int, on_overflow: Any) -> None:
        self._conn = conn
        self._flusher = flusher
        self._max_buffer = max_buffer
        self._on_overflow = on_overflow
        self._overflowed = False
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        pending = self._pending
        if not pending:
            self._flusher.add(self)
        pending.append(data)

    def flush(self) -> None:
        """Write what is pending, unless the connection is closing (then it is dropped)."""
        pending, self._pending = self._pending, []
        conn = self._conn
        transport = conn.transport
        if not pending or conn.close_sent or transport.is_closing():
            return
        transport.writelines(pending)
        if transport.get_write_buffer_size() > self._max_buffer and not self._overflowed:
            self._overflowed = True
            self._on_overflow()


class Flusher:
    """Flushes every sink written to during `delay` seconds, once, at its end. Events handled
    one after another (each inbound message takes its own turn of the loop) then share a
    write per recipient; `delay` bounds the latency this adds."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._dirty: list[Sink] = []

    def add(self, sink: Sink) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_later(self._delay, self.flush)
        self._dirty.append(sink)

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for sink in dirty:
            sink.flush()


def _supported(conn: Any) -> bool:
    """uvicorn's websockets-sansio connection (any event loop's transport), uncompressed."""
    transport = getattr(conn, "transport", None)
    protocol = getattr(conn, "conn", None)
    return (
        hasattr(transport, "writelines")
        and hasattr(transport, "get_write_buffer_size")
        and hasattr(conn, "close_sent")
        and protocol is not None
        and not getattr(protocol, "extensions", None)
    )


class DirectSocket(AsyncSocket):
    """An Engine.IO socket that writes through its sink when it has one."""

    sink: Sink | None = None

    async def send(self, pkt: eio_packet.Packet) -> None:
        sink = self.sink
        if sink is None:
            await super().send(pkt)
        elif await self.check_ping_timeout():
            sink.write(packet_frame(pkt))

    async def poll(self) -> list[eio_packet.Packet]:
        """What engine.io's writer task waits on. With a sink nothing is queued but the end of
        the connection, so wait for that without engine.io's timeout (which, with the queue
        always empty, would close a healthy connection after ping interval + timeout)."""
        sink = self.sink
        if sink is None:
            return await super().poll()
        while True:
            pkt = await self.queue.get()
            self.queue.task_done()
            if pkt is None:
                return []
            sink.write(packet_frame(pkt))


class DirectWebSocket(WebSocket):
    """engine.io's ASGI WebSocket adapter, attaching a sink to sockets that connect over
    WebSocket directly."""

    async def __call__(self, environ: dict[str, Any]) -> str:
        self.asgi_receive = environ["asgi.receive"]
        self.asgi_send = environ["asgi.send"]
        await self.asgi_send({"type": "websocket.accept"})
        sock = getattr(self.handler, "__self__", None)
        conn = getattr(self.asgi_send, "__self__", None)
        # A socket that is already connected is upgrading from long-polling: its packets may
        # be in flight in the polling response, so it keeps the queue.
        if (
            sock is not None
            and type(sock) is AsyncSocket
            and not sock.connected
            and _supported(conn)
        ):
            self._attach(sock, conn)
        await self.handler(self)
        return ""

    async def close(self) -> None:
        # Frames the flusher has not written yet go before the close frame.
        sink = getattr(getattr(self.handler, "__self__", None), "sink", None)
        if sink is not None:
            sink.flush()
        await super().close()

    def _attach(self, sock: AsyncSocket, conn: Any) -> None:
        server: DirectEngineServer = sock.server

        def overflow() -> None:
            log.warning("realtime_slow_consumer_dropped", eio_sid=sock.sid)
            server.start_background_task(server.disconnect, sock.sid)

        sink = Sink(conn, server.flusher, server.max_buffer, overflow)
        # Packets queued before the connection was accepted (the OPEN packet) go first.
        queue = sock.queue
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is not None:
                sink.write(packet_frame(pkt))
        sock.__class__ = DirectSocket
        sock.sink = sink


class DirectEngineServer(engineio.AsyncServer):
    """An Engine.IO ASGI server whose WebSocket connections use `DirectWebSocket`.

    `max_buffer`: bytes buffered for one connection before it is dropped as a slow consumer;
    `flush_delay`: seconds frames for one connection are collected before they are written.
    """

    _async: dict[str, Any]  # engineio's table of its async classes, set by its __init__

    def __init__(
        self, *args: Any, max_buffer: int = 1 << 20, flush_delay: float = 0.005, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_buffer = max_buffer
        self.flusher = Flusher(flush_delay)
        self._async = {**self._async, "websocket": DirectWebSocket}


class DirectServer(socketio.AsyncServer):
    """python-socketio's server on `DirectEngineServer` (takes its `max_buffer` and
    `flush_delay`)."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return DirectEngineServer
