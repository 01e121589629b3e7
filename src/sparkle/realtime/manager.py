"""Client managers with a broadcast fast path: encode a packet once and hand the same bytes to
every recipient, without a task, an await or a timeout per socket.

python-socketio's stock broadcast creates one asyncio task per recipient per emit and goes
through engine.io's `send()` (a ping-timeout check and an awaited `queue.put`) for each; at
1,000 clients that is most of the server's CPU (DESIGN §6). Here an emit without an ack
callback walks the room once: sockets connected over WebSocket get one shared frame written
to their transport (`realtime.direct`), others get the shared engine.io packet on their queue.
A recipient whose queue is already `max_queue` deep (or whose transport buffer passed
`REALTIME_MAX_BUFFER`) is a slow consumer: it is disconnected instead of growing without bound."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import socketio
import structlog
from engineio import packet as eio_packet
from socketio import packet
from socketio.packet import Packet

from sparkle.realtime import direct

log = structlog.get_logger(__name__)

DEFAULT_MAX_QUEUE = 1000


def _as_args(data: Any) -> list[Any]:
    if isinstance(data, tuple):
        return list(data)
    if data is None:
        return []
    return [data]


class _FastEmit:
    """Mixin body shared by the in-process and the Redis managers."""

    max_queue: int = DEFAULT_MAX_QUEUE
    server: Any

    def _local_broadcast(
        self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any
    ) -> int:
        """Hand one encoded packet to every local participant; returns how many got it."""
        namespace = namespace or "/"
        if namespace not in self.rooms:  # type: ignore[attr-defined]
            return 0
        pkt = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *_as_args(data)]
        )
        encoded = pkt.encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        # Sockets with a direct sink all get the same WebSocket frames, built once.
        frames = [direct.packet_frame(p) for p in packets]
        skip = skip_sid if isinstance(skip_sid, list | set | tuple) else (skip_sid,)
        sockets = self.server.eio.sockets
        delivered = 0
        slow: list[str] = []
        for sid, eio_sid in self.get_participants(namespace, room):  # type: ignore[attr-defined]
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            sink = getattr(sock, "sink", None)
            if sink is not None:
                for chunk in frames:
                    sink.write(chunk)
                delivered += 1  # (or dropped at the flush if the connection is closing)
                continue
            queue = sock.queue
            if queue.qsize() >= self.max_queue:
                slow.append(eio_sid)
                continue
            for pkt in packets:
                queue.put_nowait(pkt)
            delivered += 1
        for eio_sid in slow:
            log.warning("realtime_slow_consumer_dropped", eio_sid=eio_sid)
            asyncio.get_running_loop().create_task(self.server.eio.disconnect(eio_sid))
        return delivered


class FastManager(_FastEmit, socketio.AsyncManager):
    """The embedded mode's in-process manager."""

    def __init__(self, *, max_queue: int = DEFAULT_MAX_QUEUE, on_connect: Any = None) -> None:
        super().__init__()
        self.max_queue = max_queue
        self.on_connect = on_connect

    async def emit(
        self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs
    ):
        if callback is not None:
            return await super().emit(
                event,
                data,
                namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                to=to,
                **kwargs,
            )
        self._local_broadcast(event, data, namespace, to or room, skip_sid)

    async def connect(self, sid, namespace):
        await super().connect(sid, namespace)
        if self.on_connect is not None:
            await self.on_connect(sid)


class FastRedisManager(_FastEmit, socketio.AsyncRedisManager):
    """The distributed mode's manager: emits travel over Redis pub/sub to every process, and
    each process delivers to its own sockets through the fast path."""

    def __init__(
        self, url: str, *, max_queue: int = DEFAULT_MAX_QUEUE, on_connect: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(url, **kwargs)
        self.max_queue = max_queue
        self.on_connect = on_connect

    async def _handle_emit(self, message):
        if message.get("callback") is not None:
            return await super()._handle_emit(message)
        data = message["data"]
        if message.get("binary"):
            attachments = [base64.b64decode(a) for a in data[1:]]
            data = Packet.reconstruct_binary(data[0], attachments)
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        self._local_broadcast(
            message["event"],
            data,
            message.get("namespace") or "/",
            message.get("room"),
            message.get("skip_sid"),
        )

    async def connect(self, sid, namespace):
        await super().connect(sid, namespace)
        if self.on_connect is not None:
            await self.on_connect(sid)
