"""Inbound socket events and subscriptions: validation, rate limits, joining and leaving
rooms (authorised by the owning domain), room messages, typing and reactions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

from sparkle.core.db import utcnow
from sparkle.core.db.engine import session_scope
from sparkle.core.errors import SparkleError
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from sparkle.realtime import channels, presence
from sparkle.realtime.hub.base import (
    ABUSE_LIMIT,
    ABUSE_WINDOW,
    Bucket,
    Conn,
    Handler,
    Refused,
    live_user,
)
from sparkle.realtime.hub.dispatch import Dispatch
from sparkle.realtime.schemas import (
    ErrorCode,
    ErrorOut,
    Id,
    PresenceGetIn,
    PresenceStatusIn,
    ReactionAck,
    ReactionIn,
    RoomMessageIn,
    RoomMessageOut,
    RoomRef,
    RoomTypingIn,
    RoomTypingOut,
    SubscribeAck,
    TypingIn,
    UserStoppedTypingOut,
    UserTypingOut,
)

# The name of the module the hub was one file in, kept for the logs.
log = structlog.get_logger("sparkle.realtime.hub")


class Rooms(Dispatch):
    """Inbound events: the handler plumbing, rooms, typing and reactions."""

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


async def _typing_timeout(hub: Rooms, sid: str, room: str) -> None:
    conn = hub.conns.get(sid)
    if conn is not None and room in conn.typing:
        await hub._stop_typing(conn, room)
