"""The Socket.IO server: authentication at connect, rooms and subscriptions, presence, typing,
reactions over the socket, rate limits, revoked sessions and graceful shutdown.

One `Hub` per application; `sparkle.realtime` exposes the small interface the domains use.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import socketio
import structlog
from pydantic import BaseModel, ValidationError

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.auth import service as auth_service
from sparkle.auth.deps import ACCESS_COOKIE, REFRESH_COOKIE
from sparkle.core import runtime as runtime_mod
from sparkle.core.batching import Batcher
from sparkle.core.config import Settings
from sparkle.core.db import utcnow
from sparkle.core.db.engine import session_scope
from sparkle.core.errors import Forbidden, NotFound, SparkleError, TooManyRequests
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from sparkle.realtime import channels, presence
from sparkle.realtime.direct import DirectServer
from sparkle.realtime.manager import FastManager, FastRedisManager
from sparkle.realtime.schemas import (
    ConnectedOut,
    ErrorCode,
    ErrorOut,
    Id,
    LiveViewerCountOut,
    PresenceChangedOut,
    PresenceGetIn,
    PresenceRead,
    PresenceStatusIn,
    PresenceUpdateIn,
    ReactionAck,
    ReactionIn,
    RoomMessageIn,
    RoomMessageOut,
    RoomRef,
    RoomTypingIn,
    RoomTypingOut,
    ServerShutdownOut,
    Status,
    SubscribeAck,
    TypingIn,
    UserOfflineOut,
    UserOnlineOut,
    UserStoppedTypingOut,
    UserTypingOut,
)

log = structlog.get_logger(__name__)

REVOKED_CHANNEL = "sparkle:realtime:revoked"
VIEWER_DEBOUNCE = 1.0
AUDIENCE_BATCH = 500
# A socket refused this many events within ABUSE_WINDOW seconds is disconnected.
ABUSE_LIMIT = 100
ABUSE_WINDOW = 10.0
# How long a SIGTERM/SIGINT waits for `serverShutdown` to be written before uvicorn goes on.
ANNOUNCE_TIMEOUT = 2.0


class Refused(Exception):
    """An inbound event the server declines; answered with an `error` event."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def refusal(
    exc: SparkleError,
    failure: ErrorCode,
    *,
    not_found: ErrorCode = ErrorCode.UNAUTHORIZED,
    forbidden: ErrorCode | None = None,
) -> Refused:
    """A domain error as the `error` event's refusal: missing (or hidden) → `not_found`,
    forbidden → `forbidden` (default `failure`), rate limited → RATE_LIMITED, else `failure`."""
    if isinstance(exc, NotFound):
        return Refused(exc.detail, not_found)
    if isinstance(exc, Forbidden) and forbidden is not None:
        return Refused(exc.detail, forbidden)
    if isinstance(exc, TooManyRequests):
        return Refused(exc.detail, ErrorCode.RATE_LIMITED)
    return Refused(exc.detail, failure)


async def live_user(session: Any, conn: Conn) -> User:
    """The connection's account, loaded in `session` for a handler's unit of work; refused
    when it was deleted since the socket connected."""
    user = await accounts_service.get(session, conn.user.id)
    if user is None:
        raise Refused("Unknown user", ErrorCode.UNAUTHORIZED)
    return user


class Bucket:
    """A token bucket: `rate` events per second, bursts up to `burst`."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


@dataclass
class Conn:
    """What the server knows about one connected socket."""

    sid: str
    user: User
    session_id: uuid.UUID
    bucket: Bucket
    refused: int = 0
    refused_since: float = 0.0
    typing: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    viewing: set[str] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return str(self.user.id)

    @property
    def username(self) -> str:
        return self.user.username


Handler = Callable[[Conn, Any], Awaitable[Any]]


class Hub:
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

    # --- life cycle --------------------------------------------------------------------------

    async def start(self, rt: runtime_mod.Runtime) -> None:
        self.rt = rt
        if rt.redis is not None:
            self.store = presence.RedisPresence(rt.redis, self.settings.realtime_presence_ttl)
        if self.settings.realtime_gc_tuning:
            # Fewer young-generation collections: measured to matter for fan-out (DESIGN §6).
            gc.set_threshold(50_000, 50, 100)
        self._queue = asyncio.Queue(maxsize=10_000)
        self.accepting = True
        self._announce_on_exit_signals()
        loops = [self._heartbeat_loop(), self._session_loop(), self._work_loop()]
        if rt.redis is not None:
            loops.append(self._revocation_listener())
        self._tasks = [asyncio.create_task(c) for c in loops]

    async def announce_shutdown(self) -> None:
        """Stop accepting and tell this process's clients to reconnect elsewhere (once)."""
        self.accepting = False
        if self._announced or not self.conns:
            return
        self._announced = True
        await self.sio.emit("serverShutdown", ServerShutdownOut().wire(), ignore_queue=True)
        self.sio.eio.flusher.flush()

    def _announce_on_exit_signals(self) -> None:
        """uvicorn closes every connection on SIGTERM/SIGINT before the application's shutdown
        runs: the signal first announces the shutdown, then hands over to uvicorn's handler, so
        the announcement is written before any connection is closed. A second signal during the
        announcement goes straight to uvicorn (a second Ctrl-C still forces the exit)."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        announcing: list[int] = []
        tasks: set[asyncio.Task[None]] = set()

        def start(previous: Any, sig: int) -> None:
            task = loop.create_task(announce_then(previous, sig))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def announce_then(previous: Any, sig: int) -> None:
            try:
                await asyncio.wait_for(self.announce_shutdown(), ANNOUNCE_TIMEOUT)
            except Exception:  # the shutdown goes ahead regardless
                log.warning("realtime.shutdown_announce_failed", exc_info=True)
            finally:
                previous(sig, None)

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            owner = getattr(previous, "__self__", None)
            if owner is None or type(owner).__module__ != "uvicorn.server":
                continue

            def handler(sig: int, frame: Any, previous: Any = previous) -> None:
                if announcing or self._announced:
                    previous(sig, frame)
                    return
                announcing.append(sig)
                # Thread-safe scheduling also wakes the loop out of its selector.
                loop.call_soon_threadsafe(start, previous, sig)

            signal.signal(signum, handler)

    async def stop(self) -> None:
        """Stop accepting, tell clients to reconnect elsewhere, take this process's devices off
        presence, drain the outgoing work and close. Safe to call twice."""
        if self.rt is None or self._stopped:
            return
        self._stopped = True
        await self.announce_shutdown()
        for sid in list(self.conns):
            await self._forget(sid)
        # Closing the engine.io sockets (not a Socket.IO disconnect) makes clients reconnect.
        # Without waiting for the CLOSE packet to be collected: a long-polling client that went
        # away never collects it, and would hold the shutdown forever.
        eio = self.sio.eio
        for eio_sid, sock in list(eio.sockets.items()):
            with contextlib.suppress(Exception):  # already gone
                await sock.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            eio.sockets.pop(eio_sid, None)
        if self._queue is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout=5)
            except TimeoutError:
                log.warning("realtime_drain_timeout", left=self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for handle in self._viewer_timers.values():
            handle.cancel()
        await self.sio.shutdown()
        manager = self.sio.manager
        if isinstance(manager, FastRedisManager) and getattr(manager, "redis", None) is not None:
            with contextlib.suppress(Exception):  # closing anyway
                await manager.redis.aclose()

    @property
    def sessions(self) -> Any:
        assert self.rt is not None
        return self.rt.sessions

    def submit(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run `fn(*args)` on this process's ordered work queue (domain events → emits)."""
        if self._queue is None:
            return
        try:
            self._queue.put_nowait((fn, args))
        except asyncio.QueueFull:
            log.warning("realtime_queue_full", fn=getattr(fn, "__name__", str(fn)))

    async def _work_loop(self) -> None:
        assert self._queue is not None
        while True:
            fn, args = await self._queue.get()
            try:
                await fn(self, *args)
            except Exception:
                log.exception("realtime_work_failed", fn=getattr(fn, "__name__", str(fn)))
            finally:
                self._queue.task_done()

    # --- emitting ----------------------------------------------------------------------------

    async def emit(
        self, event: str, data: Any, rooms: str | list[str] | None, *, skip_sid: Any = None
    ) -> None:
        if isinstance(rooms, list) and len(rooms) > AUDIENCE_BATCH:
            for i in range(0, len(rooms), AUDIENCE_BATCH):
                await self.sio.emit(
                    event, data, to=rooms[i : i + AUDIENCE_BATCH], skip_sid=skip_sid
                )
            return
        if isinstance(rooms, list) and not rooms:
            return
        await self.sio.emit(event, data, to=rooms, skip_sid=skip_sid)

    async def _error(self, sid: str, message: str, code: ErrorCode) -> None:
        await self.sio.emit("error", ErrorOut(message=message, code=code).wire(), to=sid)

    # --- connect / disconnect ----------------------------------------------------------------

    def _origin_allowed(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if not origin:
            return True  # not a browser: authentication decides
        allowed = {
            _origin(self.settings.base_url),
            *(_origin(o) for o in self.settings.cors_origins),
        }
        if environ is not None and environ.get("HTTP_HOST"):
            allowed.add(f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}")
            allowed.add(f"https://{environ['HTTP_HOST']}")
        return origin in allowed

    async def _authenticate(self, environ: dict[str, Any], auth: Any) -> tuple[User, uuid.UUID]:
        token = auth.get("token") if isinstance(auth, dict) else None
        refresh = None
        if not token:
            cookies = SimpleCookie()
            # A malformed cookie header is no credential.
            with contextlib.suppress(Exception):
                cookies.load(environ.get("HTTP_COOKIE", ""))
            token = cookies[ACCESS_COOKIE].value if ACCESS_COOKIE in cookies else None
            refresh = cookies[REFRESH_COOKIE].value if REFRESH_COOKIE in cookies else None
        if not token and not refresh:
            raise socketio.exceptions.ConnectionRefusedError("Authentication required")
        if not isinstance(token, str | None) or (token and len(token) > 4096):
            raise socketio.exceptions.ConnectionRefusedError("Invalid token")
        assert self.rt is not None
        principal = None
        if token:
            found = await self._token_checks.submit(token)
            principal = found if isinstance(found, auth_service.Principal) else None
        if principal is None and refresh:
            async with self.rt.sessions() as session:
                principal = await auth_service.authenticate_refresh_cookie(
                    session, self.rt, refresh
                )
        if principal is None:
            raise socketio.exceptions.ConnectionRefusedError("Invalid token")
        return principal.user, principal.session_id

    async def _lookup_tokens(
        self, tokens: list[str]
    ) -> list[auth_service.Principal | SparkleError]:
        assert self.rt is not None
        async with self.rt.sessions() as session:
            return await auth_service.authenticate_many(session, self.rt, tokens)

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not self.accepting or self.rt is None:
            raise socketio.exceptions.ConnectionRefusedError("Server shutting down")
        user, session_id = await self._authenticate(environ, auth)
        conn = Conn(
            sid=sid,
            user=user,
            session_id=session_id,
            bucket=Bucket(
                self.settings.realtime_events_per_second,
                self.settings.realtime_events_per_second * 2,
            ),
        )
        self._pending[sid] = conn
        await self.sio.enter_room(sid, f"user:{user.id}")

    async def _connected(self, sid: str) -> None:
        """After the CONNECT packet went out: register, mark online, greet."""
        conn = self._pending.pop(sid, None)
        if conn is None:
            return
        self.conns[sid] = conn
        self.user_sids.setdefault(conn.user_id, set()).add(sid)
        came_online = await self.store.connect(conn.user_id, sid, presence.now())
        await self.sio.emit(
            "connected", ConnectedOut(socket_id=sid, user_id=conn.user.id).wire(), to=sid
        )
        if came_online:
            self.presence_changed(conn.user_id)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._pending.pop(sid, None)
        await self._forget(sid)

    async def _forget(self, sid: str) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        for channel in list(conn.typing):
            await self._stop_typing(conn, channel)
        for callback in list(channels._disconnects):
            try:
                await callback(self, conn)
            except Exception:
                log.exception("realtime_disconnect_callback_failed")
        sids = self.user_sids.get(conn.user_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.user_sids[conn.user_id]
                self.user_buckets.pop(conn.user_id, None)
        for room in conn.viewing:
            await self.store.room_leave(room, sid)
            self._viewers_changed(room)
        if await self.store.disconnect(conn.user_id, sid, presence.now()):
            self.presence_changed(conn.user_id)

    async def disconnect_user_session(self, user_id: str, session_id: str | None) -> int:
        """Disconnect this process's sockets of a revoked session (all of the user's sessions
        when `session_id` is None and they are no longer live) with reason `token_expired`."""
        sids = list(self.user_sids.get(user_id, ()))
        if not sids:
            return 0
        if session_id is None:
            families = {self.conns[s].session_id for s in sids if s in self.conns}
            live = await self._live(families)
            doomed = [s for s in sids if s in self.conns and self.conns[s].session_id not in live]
        else:
            doomed = [
                s for s in sids if s in self.conns and str(self.conns[s].session_id) == session_id
            ]
        for sid in doomed:
            await self._expire(sid)
        return len(doomed)

    async def _expire(self, sid: str) -> None:
        await self._error(sid, "token_expired", ErrorCode.TOKEN_EXPIRED)
        await self.sio.disconnect(sid)

    async def _live(self, families: set[uuid.UUID]) -> set[uuid.UUID]:
        assert self.rt is not None
        async with self.rt.sessions() as session:
            return await auth_service.live_sessions(session, families)

    # --- background loops --------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        interval = self.settings.realtime_heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                now = presence.now()
                devices = [(c.user_id, s) for s, c in self.conns.items()]
                rooms = [(r, s) for s, c in self.conns.items() for r in c.viewing]
                await self.store.heartbeat(devices, rooms, now)
                for user_id in await self.store.expire(now):
                    self.presence_changed(user_id)
            except Exception:
                log.exception("realtime_heartbeat_failed")

    async def _session_loop(self) -> None:
        interval = self.settings.realtime_session_check_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                families = {c.session_id for c in self.conns.values()}
                if not families:
                    continue
                live = await self._live(families)
                for sid, conn in list(self.conns.items()):
                    if conn.session_id not in live:
                        await self._expire(sid)
            except Exception:
                log.exception("realtime_session_check_failed")

    async def _revocation_listener(self) -> None:
        assert self.rt is not None
        assert self.rt.redis is not None
        import json

        pubsub = self.rt.redis.pubsub()
        await pubsub.subscribe(REVOKED_CHANNEL)
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    data = json.loads(message["data"])
                    await self.disconnect_user_session(data["userId"], data.get("sessionId"))
                except Exception:
                    log.exception("realtime_revocation_failed")
        finally:
            await pubsub.aclose()

    # --- presence ----------------------------------------------------------------------------

    async def get_presence(
        self, user_ids: list[uuid.UUID], *, viewer: str | None = None
    ) -> dict[str, PresenceRead]:
        records = await self.store.get_many([str(u) for u in user_ids], presence.now())
        return {
            uid: rec.read(uuid.UUID(uid), as_self=uid == viewer) for uid, rec in records.items()
        }

    def presence_changed(self, user_id: str) -> None:
        """Tell `user_id`'s audience about their presence, at most once per throttle window;
        changes inside the window are coalesced into one message with the latest state."""
        if user_id in self._scheduled:
            return
        last = self._last_sent.get(user_id)
        wait = (
            0.0
            if last is None
            else last[0] + self.settings.realtime_presence_throttle - time.monotonic()
        )
        self._scheduled.add(user_id)
        loop = asyncio.get_running_loop()
        loop.call_later(max(0.0, wait), lambda: self.submit(_broadcast_presence, user_id))

    async def set_status(self, conn: Conn, status: str, location: str | None) -> None:
        await self.store.set_status(conn.user_id, status, location)
        self.presence_changed(conn.user_id)

    # --- live viewers ------------------------------------------------------------------------

    def _viewers_changed(self, room: str) -> None:
        if room in self._viewer_timers:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._viewer_timers.pop(room, None)
            self.submit(_broadcast_viewers, room)

        self._viewer_timers[room] = loop.call_later(VIEWER_DEBOUNCE, fire)

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

    def attach(
        self, name: str, model: Any, handler: Callable[..., Awaitable[Any]], failure: str
    ) -> None:
        """Serve an inbound event another domain registered (`register_event`)."""

        async def call(conn: Conn, payload: Any) -> Any:
            return await handler(self, conn, payload)

        self._on(name, model, call, ErrorCode(failure))

    def _on(
        self,
        name: str,
        model: Any,
        handler: Handler,
        failure: ErrorCode = ErrorCode.INVALID_PAYLOAD,
    ) -> None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(model)

        async def wrapped(sid: str, *args: Any) -> Any:
            conn = self.conns.get(sid)
            if conn is None:
                return None
            if not self._allow(conn):
                now = time.monotonic()
                if now - conn.refused_since > ABUSE_WINDOW:
                    conn.refused, conn.refused_since = 0, now
                conn.refused += 1
                if conn.refused >= ABUSE_LIMIT:
                    log.warning("realtime_abusive_socket", user_id=conn.user_id)
                    await self.sio.disconnect(sid)
                    return None
                return await self._refuse(sid, "Too many events; slow down", ErrorCode.RATE_LIMITED)
            try:
                payload = adapter.validate_python(args[0] if args else None)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "root")
                message = (
                    f"Invalid payload for {name}"
                    + (f": {where}" if where else "")
                    + f": {first['msg']}"
                )
                return await self._refuse(sid, message, ErrorCode.INVALID_PAYLOAD)
            try:
                result = await handler(conn, payload)
            except Refused as exc:
                return await self._refuse(sid, exc.message, exc.code)
            except SparkleError as exc:
                return await self._refuse(sid, exc.detail, failure)
            except Exception:
                log.exception("realtime_handler_failed", event=name)
                return await self._refuse(sid, "Something went wrong", failure)
            if isinstance(result, BaseModel):
                return result.model_dump(mode="json", by_alias=True, exclude_none=True)
            return result

        self.sio.on(name, wrapped)

    def _allow(self, conn: Conn) -> bool:
        if not conn.bucket.take():
            return False
        rate = self.settings.realtime_user_events_per_second
        bucket = self.user_buckets.get(conn.user_id)
        if bucket is None:
            bucket = self.user_buckets[conn.user_id] = Bucket(rate, rate * 2)
        return bucket.take()

    async def _refuse(self, sid: str, message: str, code: ErrorCode) -> dict[str, Any]:
        error = ErrorOut(message=message, code=code)
        await self.sio.emit("error", error.wire(), to=sid)
        return {"ok": False, "error": error.wire()}

    async def _update_presence(self, conn: Conn, payload: Any) -> dict[str, Any]:
        status, location = (
            (payload.root, None)
            if isinstance(payload, PresenceStatusIn)
            else (payload.status, payload.location)
        )
        await self.set_status(conn, status, location)
        return {"ok": True, "status": status}

    async def _get_presence(self, conn: Conn, payload: PresenceGetIn) -> dict[str, Any]:
        found = await self.get_presence(payload.root, viewer=conn.user_id)
        return {
            uid: p.model_dump(mode="json", by_alias=True, exclude_none=True)
            for uid, p in found.items()
        }

    def _subscriber(self, kind: str, *, join: bool) -> Handler:
        async def handle(conn: Conn, payload: Id) -> SubscribeAck:
            room = channels.room(kind, payload.root)
            if join:
                await self._join(conn, room)
            else:
                await self._leave(conn, room)
            return SubscribeAck(ok=True, room=room)

        return handle

    async def _room_join(self, conn: Conn, payload: RoomRef) -> SubscribeAck:
        await self._join(conn, payload.root)
        return SubscribeAck(ok=True, room=payload.root)

    async def _room_leave(self, conn: Conn, payload: RoomRef) -> SubscribeAck:
        await self._leave(conn, payload.root)
        return SubscribeAck(ok=True, room=payload.root)

    async def _join(self, conn: Conn, room: str) -> None:
        if self._in_room(conn.sid, room):
            return  # duplicate subscribes are harmless
        kind, ident = channels.parse_room(room)
        check = channels.authorizer(kind)
        if check is None or kind == "user":
            raise Refused(f"Not authorized to join {room}", ErrorCode.UNAUTHORIZED)
        assert self.rt is not None
        async with self.rt.sessions() as session:
            allowed = await check(session, conn.user, ident)
        if not allowed:
            raise Refused(f"Not authorized to join {room}", ErrorCode.UNAUTHORIZED)
        await self.sio.enter_room(conn.sid, room)
        if kind == "post":
            conn.viewing.add(room)
            await self.store.room_join(room, conn.sid, presence.now())
            self._viewers_changed(room)

    async def _leave(self, conn: Conn, room: str) -> None:
        if room == f"user:{conn.user_id}":
            return
        await self.sio.leave_room(conn.sid, room)
        if room in conn.viewing:
            conn.viewing.discard(room)
            await self.store.room_leave(room, conn.sid)
            self._viewers_changed(room)
        if room in conn.typing:
            await self._stop_typing(conn, room)

    def _in_room(self, sid: str, room: str) -> bool:
        # The manager's room map directly: `sio.rooms(sid)` scans every room in the namespace.
        return sid in self.sio.manager.rooms.get("/", {}).get(room, ())

    def _member(self, conn: Conn, room: str) -> None:
        if not self._in_room(conn.sid, room):
            raise Refused(f"Join {room} first", ErrorCode.NOT_SUBSCRIBED)

    async def _room_message(self, conn: Conn, payload: RoomMessageIn) -> dict[str, Any]:
        room = payload.room_id.root
        self._member(conn, room)
        out = RoomMessageOut(
            room_id=room,
            user_id=conn.user.id,
            username=conn.username,
            message=payload.message,
            timestamp=utcnow(),
        )
        await self.emit("room:message", out.wire(), room)
        return {"ok": True}

    def _typing(self, start: bool) -> Handler:
        async def handle(conn: Conn, payload: TypingIn) -> None:
            room = channels.room(payload.channel_type, payload.channel_id)
            self._member(conn, room)
            if start:
                await self._start_typing(conn, room)
            else:
                await self._stop_typing(conn, room)

        return handle

    def _room_typing(self, start: bool) -> Handler:
        async def handle(conn: Conn, payload: RoomTypingIn) -> None:
            room = payload.room_id.root
            self._member(conn, room)
            if start:
                await self._start_typing(conn, room)
            else:
                await self._stop_typing(conn, room)

        return handle

    async def _start_typing(self, conn: Conn, room: str) -> None:
        handle = conn.typing.pop(room, None)
        if handle is not None:
            handle.cancel()
        else:
            skip = list(self.user_sids.get(conn.user_id, ()))
            channel_id = room.partition(":")[2]
            await self.emit(
                "userTyping",
                UserTypingOut(
                    user_id=conn.user.id, channel_id=channel_id, username=conn.username
                ).wire(),
                room,
                skip_sid=skip,
            )
            await self.emit(
                "user:typing",
                RoomTypingOut(
                    user_id=conn.user.id, username=conn.username, room_id=room, is_typing=True
                ).wire(),
                room,
                skip_sid=skip,
            )
        loop = asyncio.get_running_loop()
        conn.typing[room] = loop.call_later(
            self.settings.realtime_typing_timeout,
            lambda: self.submit(_typing_timeout, conn.sid, room),
        )

    async def _stop_typing(self, conn: Conn, room: str) -> None:
        handle = conn.typing.pop(room, None)
        if handle is None:
            return
        handle.cancel()
        skip = list(self.user_sids.get(conn.user_id, ()))
        channel_id = room.partition(":")[2]
        await self.emit(
            "userStoppedTyping",
            UserStoppedTypingOut(user_id=conn.user.id, channel_id=channel_id).wire(),
            room,
            skip_sid=skip,
        )
        await self.emit(
            "user:typing",
            RoomTypingOut(
                user_id=conn.user.id, username=conn.username, room_id=room, is_typing=False
            ).wire(),
            room,
            skip_sid=skip,
        )

    def _reaction(self, add: bool) -> Handler:
        async def handle(conn: Conn, payload: ReactionIn) -> ReactionAck:
            assert self.rt is not None
            change = reactions_service.react if add else reactions_service.unreact
            async with session_scope(self.rt.sessions, write=True) as session:
                user = await live_user(session, conn)
                summary, _ = await change(
                    session,
                    user,
                    payload.entity_type,
                    payload.entity_id,
                    ReactionType(payload.reaction_type),
                )
            return ReactionAck(
                ok=True, counts=summary.reaction_counts, my_reactions=summary.my_reactions
            )

        return handle


# --- queued work (runs on the hub's ordered work loop) -----------------------------------------


async def _broadcast_presence(hub: Hub, user_id: str) -> None:
    hub._scheduled.discard(user_id)
    record = (await hub.store.get_many([user_id], presence.now()))[user_id]
    shown = record.read(uuid.UUID(user_id))
    last = hub._last_sent.get(user_id)
    # What this process last reported; a change another process reported is news here too.
    previous = last[1].split("|")[0] if last else None
    key = f"{shown.status.value}|{shown.location or ''}"
    if last is not None and last[1] == key:
        return
    hub._last_sent[user_id] = (time.monotonic(), key)
    assert hub.rt is not None
    async with hub.rt.sessions() as session:
        audience = await channels.audience(session, uuid.UUID(user_id))
    rooms = [f"user:{a}" for a in audience] + [f"user-updates:{user_id}"]
    changed = PresenceChangedOut(
        user_id=shown.user_id, status=shown.status, location=shown.location, timestamp=utcnow()
    ).wire()
    await hub.emit("presenceUpdate", changed, rooms)
    await hub.emit("presence:changed", changed, rooms)
    if shown.status == Status.OFFLINE:
        if previous != Status.OFFLINE.value:
            await hub.emit(
                "userOffline",
                UserOfflineOut(user_id=shown.user_id, last_seen=shown.last_seen).wire(),
                rooms,
            )
    elif previous in (None, Status.OFFLINE.value):
        await hub.emit(
            "userOnline", UserOnlineOut(user_id=shown.user_id, status=shown.status).wire(), rooms
        )


async def _broadcast_viewers(hub: Hub, room: str) -> None:
    count = await hub.store.room_count(room, presence.now())
    _, ident = channels.parse_room(room)
    await hub.emit("liveViewerCount", LiveViewerCountOut(entity_id=ident, count=count).wire(), room)


async def _typing_timeout(hub: Hub, sid: str, room: str) -> None:
    conn = hub.conns.get(sid)
    if conn is not None and room in conn.typing:
        await hub._stop_typing(conn, room)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
