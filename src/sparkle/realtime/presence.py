"""Presence: who is online, on how many devices, with which status; liveness by TTL.

Each connected socket is a device with an expiry that the owning process renews every
heartbeat (Zulip's numbers by default: renew every 60 s, offline 140 s after the last renewal).
A user is online while at least one device is unexpired, so a crashed process's users go
offline within the TTL without anyone scanning keys. Two stores with one interface: in-process
dicts (embedded mode) and Redis sorted sets and hashes (distributed mode, no `KEYS`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sparkle.realtime.schemas import PresenceRead, Status

STATUS_KEEP_SECONDS = 7 * 24 * 3600


@dataclass
class Record:
    status: str = Status.ONLINE.value
    location: str | None = None
    last_seen: float | None = None
    devices: int = 0

    def read(self, user_id: uuid.UUID, *, as_self: bool = False) -> PresenceRead:
        """The presence others see: no devices is offline, invisible is offline to others."""
        status = self.status if self.devices else Status.OFFLINE.value
        if status == Status.INVISIBLE.value and not as_self:
            status = Status.OFFLINE.value
        shown_offline = status == Status.OFFLINE.value
        return PresenceRead(
            user_id=user_id,
            status=Status(status),
            location=None if shown_offline else self.location,
            last_seen=datetime.fromtimestamp(self.last_seen, UTC) if self.last_seen else None,
            devices=0 if shown_offline and not as_self else self.devices,
        )


class PresenceStore(Protocol):
    async def connect(self, user_id: str, sid: str, now: float) -> bool:
        """Register a device; True when the user had none live before."""

    async def disconnect(self, user_id: str, sid: str, now: float) -> bool:
        """Drop a device; True when it was the user's last live one."""

    async def heartbeat(
        self, devices: Iterable[tuple[str, str]], rooms: Iterable[tuple[str, str]], now: float
    ) -> None:
        """Renew the given (user, sid) devices and (room, sid) viewer entries."""

    async def set_status(self, user_id: str, status: str, location: str | None) -> None: ...

    async def get_many(self, user_ids: list[str], now: float) -> dict[str, Record]: ...

    async def expire(self, now: float) -> list[str]:
        """Drop expired devices; the users whose last device expired (each reported once)."""

    async def room_join(self, room: str, sid: str, now: float) -> None: ...

    async def room_leave(self, room: str, sid: str) -> None: ...

    async def room_count(self, room: str, now: float) -> int: ...

    async def close(self) -> None: ...


@dataclass
class _User:
    status: str = Status.ONLINE.value
    location: str | None = None
    last_seen: float | None = None
    devices: dict[str, float] = field(default_factory=dict)


class MemoryPresence:
    """The embedded mode's store: dictionaries in this process."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.users: dict[str, _User] = {}
        self.rooms: dict[str, dict[str, float]] = {}

    def _live(self, user: _User, now: float) -> int:
        return sum(1 for exp in user.devices.values() if exp > now)

    async def connect(self, user_id: str, sid: str, now: float) -> bool:
        user = self.users.setdefault(user_id, _User())
        was = self._live(user, now)
        user.devices[sid] = now + self.ttl
        user.last_seen = now
        return was == 0

    async def disconnect(self, user_id: str, sid: str, now: float) -> bool:
        user = self.users.get(user_id)
        if user is None or user.devices.pop(sid, None) is None:
            return False
        user.last_seen = now
        user.devices = {s: e for s, e in user.devices.items() if e > now}
        return not user.devices

    async def heartbeat(
        self, devices: Iterable[tuple[str, str]], rooms: Iterable[tuple[str, str]], now: float
    ) -> None:
        for user_id, sid in devices:
            user = self.users.setdefault(user_id, _User())
            user.devices[sid] = now + self.ttl
            user.last_seen = now
        for room, sid in rooms:
            self.rooms.setdefault(room, {})[sid] = now + self.ttl

    async def set_status(self, user_id: str, status: str, location: str | None) -> None:
        user = self.users.setdefault(user_id, _User())
        user.status, user.location = status, location

    async def get_many(self, user_ids: list[str], now: float) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for user_id in user_ids:
            user = self.users.get(user_id)
            if user is None:
                out[user_id] = Record()
                continue
            out[user_id] = Record(user.status, user.location, user.last_seen, self._live(user, now))
        return out

    async def expire(self, now: float) -> list[str]:
        gone = []
        for user_id, user in self.users.items():
            if user.devices and all(exp <= now for exp in user.devices.values()):
                user.devices.clear()
                user.last_seen = now
                gone.append(user_id)
        for room, members in list(self.rooms.items()):
            live = {s: e for s, e in members.items() if e > now}
            if live:
                self.rooms[room] = live
            else:
                del self.rooms[room]
        return gone

    async def room_join(self, room: str, sid: str, now: float) -> None:
        self.rooms.setdefault(room, {})[sid] = now + self.ttl

    async def room_leave(self, room: str, sid: str) -> None:
        members = self.rooms.get(room)
        if members is not None:
            members.pop(sid, None)
            if not members:
                del self.rooms[room]

    async def room_count(self, room: str, now: float) -> int:
        return sum(1 for exp in self.rooms.get(room, {}).values() if exp > now)

    async def close(self) -> None:
        return None


class RedisPresence:
    """The distributed mode's store.

    `{p}d:{user}` sorted set of the user's devices scored by expiry; `{p}u:{user}` hash with
    status, location and lastSeen; `{p}online` sorted set of users scored by their latest device
    expiry, which the sweeper reads with ZRANGEBYSCORE (never KEYS); `{p}r:{room}` viewers.
    """

    def __init__(self, redis: Any, ttl: float, prefix: str = "sparkle:presence:") -> None:
        self.redis = redis
        self.ttl = ttl
        self.p = prefix

    async def connect(self, user_id: str, sid: str, now: float) -> bool:
        d = f"{self.p}d:{user_id}"
        exp = now + self.ttl
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(d, "-inf", now)
        pipe.zcard(d)
        pipe.zadd(d, {sid: exp})
        pipe.expire(d, int(self.ttl) + 60)
        pipe.zadd(f"{self.p}online", {user_id: exp}, gt=True)
        pipe.hset(f"{self.p}u:{user_id}", "lastSeen", repr(now))
        pipe.expire(f"{self.p}u:{user_id}", STATUS_KEEP_SECONDS)
        res = await pipe.execute()
        return int(res[1]) == 0

    async def disconnect(self, user_id: str, sid: str, now: float) -> bool:
        d = f"{self.p}d:{user_id}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(d, sid)
        pipe.zremrangebyscore(d, "-inf", now)
        pipe.zcard(d)
        pipe.hset(f"{self.p}u:{user_id}", "lastSeen", repr(now))
        removed, _, left, _ = await pipe.execute()
        if not removed or left:
            return False
        # Only the process that takes the user off the online set reports the change.
        return bool(await self.redis.zrem(f"{self.p}online", user_id))

    async def heartbeat(
        self, devices: Iterable[tuple[str, str]], rooms: Iterable[tuple[str, str]], now: float
    ) -> None:
        exp = now + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        n = 0
        for user_id, sid in devices:
            d = f"{self.p}d:{user_id}"
            pipe.zadd(d, {sid: exp})
            pipe.expire(d, int(self.ttl) + 60)
            pipe.zadd(f"{self.p}online", {user_id: exp})
            pipe.hset(f"{self.p}u:{user_id}", "lastSeen", repr(now))
            n += 1
        for room, sid in rooms:
            r = f"{self.p}r:{room}"
            pipe.zadd(r, {sid: exp})
            pipe.expire(r, int(self.ttl) + 60)
            n += 1
        if n:
            await pipe.execute()

    async def set_status(self, user_id: str, status: str, location: str | None) -> None:
        key = f"{self.p}u:{user_id}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"status": status, "location": location or ""})
        pipe.expire(key, STATUS_KEEP_SECONDS)
        await pipe.execute()

    async def get_many(self, user_ids: list[str], now: float) -> dict[str, Record]:
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcount(f"{self.p}d:{user_id}", f"({now}", "+inf")
            pipe.hmget(f"{self.p}u:{user_id}", "status", "location", "lastSeen")
        res = await pipe.execute()
        out: dict[str, Record] = {}
        for i, user_id in enumerate(user_ids):
            devices = int(res[2 * i])
            status, location, last_seen = (_text(v) for v in res[2 * i + 1])
            out[user_id] = Record(
                status or Status.ONLINE.value,
                location or None,
                float(last_seen) if last_seen else None,
                devices,
            )
        return out

    async def expire(self, now: float) -> list[str]:
        online = f"{self.p}online"
        due = [
            _text(u) for u in await self.redis.zrangebyscore(online, "-inf", now, start=0, num=1000)
        ]
        gone: list[str] = []
        for user_id in due:
            assert user_id is not None
            d = f"{self.p}d:{user_id}"
            pipe = self.redis.pipeline(transaction=True)
            pipe.zremrangebyscore(d, "-inf", now)
            pipe.zrange(d, 0, -1, withscores=True)
            _, live = await pipe.execute()
            if live:
                await self.redis.zadd(online, {user_id: max(score for _, score in live)})
                continue
            if await self.redis.zrem(online, user_id):
                await self.redis.hset(f"{self.p}u:{user_id}", "lastSeen", repr(now))
                gone.append(user_id)
        return gone

    async def room_join(self, room: str, sid: str, now: float) -> None:
        r = f"{self.p}r:{room}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(r, {sid: now + self.ttl})
        pipe.expire(r, int(self.ttl) + 60)
        await pipe.execute()

    async def room_leave(self, room: str, sid: str) -> None:
        await self.redis.zrem(f"{self.p}r:{room}", sid)

    async def room_count(self, room: str, now: float) -> int:
        return int(await self.redis.zcount(f"{self.p}r:{room}", f"({now}", "+inf"))

    async def close(self) -> None:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def now() -> float:
    return time.time()
