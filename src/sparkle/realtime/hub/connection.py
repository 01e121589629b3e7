"""Connections: the origin check and authentication at connect (access token or refresh
cookie, looked up in batches), presence on connect and disconnect, and the loops that
keep presence fresh and disconnect revoked sessions."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import socketio
import structlog

from sparkle.accounts.models import User
from sparkle.auth import service as auth_service
from sparkle.auth.deps import ACCESS_COOKIE, REFRESH_COOKIE
from sparkle.core.errors import SparkleError
from sparkle.realtime import channels, presence
from sparkle.realtime.hub.base import (
    REVOKED_CHANNEL,
    Bucket,
    Conn,
)
from sparkle.realtime.hub.rooms import Rooms
from sparkle.realtime.schemas import (
    ConnectedOut,
    ErrorCode,
)

# The name of the module the hub was one file in, kept for the logs.
log = structlog.get_logger("sparkle.realtime.hub")


class Connection(Rooms):
    """Connect, authenticate, disconnect; heartbeats and session checks."""

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


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
