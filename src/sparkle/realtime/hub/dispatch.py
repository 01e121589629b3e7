"""The hub's ordered work queue and its emits: domain events and debounced presence and
viewer counts run here one after another, in the order they were submitted."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from sparkle.core.db import utcnow
from sparkle.realtime import channels, presence
from sparkle.realtime.hub.base import (
    AUDIENCE_BATCH,
    VIEWER_DEBOUNCE,
    Conn,
    HubState,
)
from sparkle.realtime.schemas import (
    ErrorCode,
    ErrorOut,
    LiveViewerCountOut,
    PresenceChangedOut,
    PresenceRead,
    Status,
    UserOfflineOut,
    UserOnlineOut,
)

# The name of the module the hub was one file in, kept for the logs.
log = structlog.get_logger("sparkle.realtime.hub")


class Dispatch(HubState):
    """The ordered work queue, emitting, presence and live viewer counts."""

    # --- work queue --------------------------------------------------------------------------

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


# --- queued work (runs on the hub's ordered work loop) -----------------------------------------


async def _broadcast_presence(hub: Dispatch, user_id: str) -> None:
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


async def _broadcast_viewers(hub: Dispatch, room: str) -> None:
    count = await hub.store.room_count(room, presence.now())
    _, ident = channels.parse_room(room)
    await hub.emit("liveViewerCount", LiveViewerCountOut(entity_id=ident, count=count).wire(), room)
