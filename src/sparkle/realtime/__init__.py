"""The realtime layer's public interface: what other domains call.

- `await emit(event, payload, rooms)`: send to rooms (`user:{id}`, `post:{id}`,
  `conversation:{id}`, ...) on every process: through the hub in a web process, through the
  write-only Redis manager in a worker process, dropped when neither exists.
- `await get_presence(user_ids)`: `{userId: PresenceRead}`.
- `register_channel(kind, authorizer)`, `register_presence_audience(fn)`: who may join
  `{kind}:{id}` rooms and who hears about a user's presence.
- `register_event(name, model, handler, failure_code)`, `register_disconnect(fn)`: inbound
  events a domain handles (`handler(hub, conn, payload)` → ack) and socket clean-up.
- `@route(EventType)`: a domain's socket route, `handler(ctx, event)` run after the event's
  transaction committed, on the hub's ordered work queue (`ctx.sessions`, `ctx.emit`).
- `install(app)`: serve Socket.IO at `/socket.io` in the FastAPI application.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from sparkle.auth.events import SessionRevoked
from sparkle.core import events
from sparkle.realtime.channels import (
    register_channel,
    register_disconnect,
    register_event,
    register_outbound,
    register_presence_audience,
)
from sparkle.realtime.schemas import PresenceRead

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sparkle.realtime.hub import Hub

__all__ = [
    "current_hub",
    "emit",
    "get_presence",
    "install",
    "register_channel",
    "register_disconnect",
    "register_event",
    "register_outbound",
    "register_presence_audience",
    "route",
]

log = structlog.get_logger(__name__)

_hub: Hub | None = None
_writer: Any = None
_writer_url: str | None = None


def current_hub() -> Hub | None:
    return _hub


E = TypeVar("E", bound=events.DomainEvent)
SocketRoute = Callable[[Any, E], Awaitable[None]]


def route(event: type[E], *, inline: bool = False) -> Callable[[SocketRoute[E]], SocketRoute[E]]:
    """Declare `handler(ctx, event)` as a socket route of `event`: after the publishing
    transaction commits it runs on this process's ordered work queue, so the request that
    committed does not wait for fan-out (or inline through the write-only Redis manager in a
    worker), and emits to the rooms it names. `inline=True` runs it before the commit returns:
    for socket handlers whose ack must follow the emit (the sender is not yet in the room)."""

    def register(handler: SocketRoute[E]) -> SocketRoute[E]:
        async def deliver(ev: E) -> None:
            await dispatch(handler, ev, inline=inline)

        events.after_commit(event, deliver, kind="socket", owner=handler.__module__)
        return handler

    return register


async def emit(event: str, payload: Any, rooms: str | list[str]) -> None:
    """Send `event` with `payload` to `rooms`, on every server process."""
    if _hub is not None:
        await _hub.emit(event, payload, rooms)
        return
    writer = _get_writer()
    if writer is None:
        return
    targets = [rooms] if isinstance(rooms, str) else rooms
    for i in range(0, len(targets), 500):
        await writer.emit(event, payload, namespace="/", room=targets[i : i + 500])


async def get_presence(user_ids: list[uuid.UUID]) -> dict[str, PresenceRead]:
    """Presence of `user_ids` as everybody sees it (invisible shows as offline)."""
    if _hub is not None:
        return await _hub.get_presence(user_ids)
    from sparkle.core import runtime
    from sparkle.realtime import presence

    rt = runtime.get()
    if rt.redis is None:
        return {str(u): presence.Record(devices=0).read(u) for u in user_ids}
    store = presence.RedisPresence(rt.redis, rt.settings.realtime_presence_ttl)
    records = await store.get_many([str(u) for u in user_ids], presence.now())
    return {uid: rec.read(uuid.UUID(uid)) for uid, rec in records.items()}


def _get_writer() -> Any:
    global _writer, _writer_url
    try:
        from sparkle.core import runtime

        url = runtime.get().settings.redis_url
    except RuntimeError:
        return None
    if not url:
        return None
    if _writer is None or _writer_url != url:
        import socketio

        _writer = socketio.AsyncRedisManager(url, channel="sparkle:socketio", write_only=True)
        _writer_url = url
    return _writer


class _WorkerContext:
    """What socket routes need (a session factory and `emit`) in a process without a hub."""

    @property
    def sessions(self) -> Any:
        from sparkle.core import runtime

        return runtime.get().sessions

    async def emit(self, event: str, data: Any, rooms: str | list[str]) -> None:
        await emit(event, data, rooms)


async def dispatch(
    handler: Callable[..., Awaitable[None]], event: Any, *, inline: bool = False
) -> None:
    """Run a socket route: queued on the hub (awaited when `inline`), or inline through the
    write-only manager."""
    if _hub is not None:
        if inline:
            await handler(_hub, event)
        else:
            _hub.submit(handler, event)
        return
    if _get_writer() is not None:
        try:
            await handler(_WorkerContext(), event)
        except Exception:
            log.exception("realtime_route_failed", route=handler.__name__)


async def revoke(user_id: str | None, session_id: str | None) -> None:
    """A session was revoked: its sockets, on whichever process, go with `token_expired`."""
    if not user_id:
        return
    from sparkle.core import runtime
    from sparkle.realtime.hub import REVOKED_CHANNEL

    try:
        rt = runtime.get()
    except RuntimeError:
        return
    if rt.redis is not None and rt.settings.redis_url:
        try:
            await rt.redis.publish(
                REVOKED_CHANNEL, json.dumps({"userId": user_id, "sessionId": session_id})
            )
            return
        except Exception:
            log.exception("realtime_revoke_publish_failed")
    if _hub is not None:
        await _hub.disconnect_user_session(user_id, session_id)


def install(app: FastAPI) -> Hub:
    """Serve Socket.IO at `/socket.io` and run the hub for the application's lifetime."""
    from sparkle.realtime.direct import WebSocketDispatch
    from sparkle.realtime.hub import Hub

    hub = Hub(app.state.settings)
    app.state.realtime = hub
    app.mount("/socket.io", hub.asgi, name="socket.io")
    # Outermost (added last): Socket.IO WebSockets skip the HTTP middleware and routing.
    app.add_middleware(WebSocketDispatch, socketio_app=hub.asgi)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        global _hub
        async with inner(application) as state:
            await hub.start(application.state.runtime)
            _hub = hub
            try:
                yield state
            finally:
                if _hub is hub:
                    _hub = None
                await hub.stop()

    app.router.lifespan_context = lifespan
    return hub


async def _session_revoked(event: SessionRevoked) -> None:
    await revoke(str(event.user_id), str(event.session_id) if event.session_id else None)


events.after_commit(SessionRevoked, _session_revoked, kind="socket", owner=__name__)
