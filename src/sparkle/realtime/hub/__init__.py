"""The Socket.IO server: authentication at connect, rooms and subscriptions, presence, typing,
reactions over the socket, rate limits, revoked sessions and graceful shutdown.

One `Hub` per application; `sparkle.realtime` exposes the small interface the domains use.
Its parts, one module each: `dispatch` (the ordered work queue and emits, presence),
`rooms` (inbound events, rooms, typing, reactions), `connection` (connect and
authentication, disconnect, background checks) and `shutdown` (start, signals, stop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from sparkle.auth import service as auth_service
from sparkle.core import runtime as runtime_mod
from sparkle.core.batching import Batcher
from sparkle.core.config import Settings
from sparkle.core.errors import SparkleError
from sparkle.realtime import channels, presence
from sparkle.realtime.direct import DirectServer
from sparkle.realtime.hub.base import (
    ABUSE_LIMIT,
    ABUSE_WINDOW,
    ANNOUNCE_TIMEOUT,
    AUDIENCE_BATCH,
    REVOKED_CHANNEL,
    VIEWER_DEBOUNCE,
    Bucket,
    Conn,
    Handler,
    Refused,
    live_user,
    refusal,
)
from sparkle.realtime.hub.shutdown import Lifecycle
from sparkle.realtime.manager import FastManager, FastRedisManager
from sparkle.realtime.schemas import (
    ErrorCode,
    Id,
    PresenceGetIn,
    PresenceStatusIn,
    PresenceUpdateIn,
    ReactionIn,
    RoomMessageIn,
    RoomRef,
    RoomTypingIn,
    TypingIn,
)


class Hub(Lifecycle):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rt: runtime_mod.Runtime | None = None
        if settings.redis_url:
            manager: socketio.AsyncManager = FastRedisManager(
                settings.redis_url,
                channel="sparkle:socketio",
                max_queue=settings.realtime_max_queue,
                on_connect=self._connected,
            )
        else:
            manager = FastManager(max_queue=settings.realtime_max_queue, on_connect=self._connected)
        self.sio = DirectServer(
            async_mode="asgi",
            max_buffer=settings.realtime_max_buffer,
            flush_delay=settings.realtime_flush_delay,
            client_manager=manager,
            cors_allowed_origins=self._origin_allowed,
            cors_credentials=True,
            max_http_buffer_size=settings.realtime_max_payload,
            ping_interval=25,
            ping_timeout=20,
            transports=["websocket", "polling"],
            logger=False,
            engineio_logger=False,
        )
        self.asgi = socketio.ASGIApp(self.sio, socketio_path=None)
        self.conns: dict[str, Conn] = {}
        self.user_sids: dict[str, set[str]] = {}
        self.user_buckets: dict[str, Bucket] = {}
        self.store: presence.PresenceStore = presence.MemoryPresence(settings.realtime_presence_ttl)
        self.accepting = False
        self._announced = False
        self._stopped = False
        self._tasks: list[asyncio.Task[Any]] = []
        # Connects arriving together (a reconnect storm) have their tokens looked up together.
        self._token_checks: Batcher[str, auth_service.Principal | SparkleError] = Batcher(
            self._lookup_tokens
        )
        self._pending: dict[str, Conn] = {}
        self._last_sent: dict[str, tuple[float, str]] = {}
        self._scheduled: set[str] = set()
        self._viewer_timers: dict[str, asyncio.TimerHandle] = {}
        self._queue: (
            asyncio.Queue[tuple[Callable[..., Awaitable[None]], tuple[Any, ...]]] | None
        ) = None
        self._register()

    # --- inbound events ----------------------------------------------------------------------

    def _register(self) -> None:
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        on = self._on
        on(
            "updatePresence",
            PresenceUpdateIn,
            self._update_presence,
            ErrorCode.PRESENCE_UPDATE_FAILED,
        )
        on(
            "presence:update",
            PresenceStatusIn | PresenceUpdateIn,
            self._update_presence,
            ErrorCode.PRESENCE_UPDATE_FAILED,
        )
        on("getPresence", PresenceGetIn, self._get_presence)
        on("presence:get", PresenceGetIn, self._get_presence)
        for noun, kind in channels.SUBSCRIPTION_KINDS.items():
            on(
                f"subscribeTo{noun}",
                Id,
                self._subscriber(kind, join=True),
                ErrorCode.SUBSCRIBE_FAILED,
            )
            on(
                f"unsubscribeFrom{noun}",
                Id,
                self._subscriber(kind, join=False),
                ErrorCode.SUBSCRIBE_FAILED,
            )
        on("room:join", RoomRef, self._room_join, ErrorCode.SUBSCRIBE_FAILED)
        on("room:leave", RoomRef, self._room_leave, ErrorCode.SUBSCRIBE_FAILED)
        on("room:message", RoomMessageIn, self._room_message, ErrorCode.MESSAGE_SEND_FAILED)
        on("startTyping", TypingIn, self._typing(True))
        on("stopTyping", TypingIn, self._typing(False))
        on("typing:start", RoomTypingIn, self._room_typing(True))
        on("typing:stop", RoomTypingIn, self._room_typing(False))
        on("addReaction", ReactionIn, self._reaction(True), ErrorCode.REACTION_ADD_FAILED)
        on("removeReaction", ReactionIn, self._reaction(False), ErrorCode.REACTION_REMOVE_FAILED)
        channels._hubs.add(self)
        for name, (model, handler, failure) in list(channels._events.items()):
            self.attach(name, model, handler, failure)


__all__ = [
    "ABUSE_LIMIT",
    "ABUSE_WINDOW",
    "ANNOUNCE_TIMEOUT",
    "AUDIENCE_BATCH",
    "REVOKED_CHANNEL",
    "VIEWER_DEBOUNCE",
    "Bucket",
    "Conn",
    "Handler",
    "Hub",
    "Refused",
    "live_user",
    "refusal",
]
