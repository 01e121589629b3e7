"""The Redis mirror of the current standings (distributed mode): one sorted set per board,
member = user id, score = points, replaced atomically after every update, read with
ZREVRANGE / ZREVRANK / ZCOUNT (never a key scan). The database stays the source of truth:
a missing or stale mirror sends readers back to SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sparkle.core.runtime import Runtime
from sparkle.leaderboards.repository import Ranked

PREFIX = "sparkle:leaderboard:"
# A half-written copy left by a crashed writer disappears on its own.
TEMP_TTL_SECONDS = 3600


@dataclass(frozen=True)
class Snapshot:
    """What the mirror holds for a board: its period start, when it was computed, how many."""

    period_start: datetime
    computed_at: datetime
    entry_count: int


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisMirror:
    def __init__(self, redis: Any, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.prefix = prefix

    def _board(self, period: str) -> str:
        return f"{self.prefix}{period}"

    def _meta(self, period: str) -> str:
        return f"{self.prefix}{period}:meta"

    async def replace(
        self,
        period: str,
        snapshot: Snapshot,
        chunks: Any,
    ) -> None:
        """Swap in a new copy of `period`'s board: `chunks` yields lists of (user id, score);
        readers see the old copy or the new one, never a mix."""
        temp = f"{self.prefix}{period}:next:{uuid.uuid4().hex}"
        written = 0
        async for chunk in chunks:
            if chunk:
                pipe = self.redis.pipeline(transaction=False)
                pipe.zadd(temp, {user_id.hex: score for user_id, score in chunk})
                pipe.expire(temp, TEMP_TTL_SECONDS)
                await pipe.execute()
                written += len(chunk)
        pipe = self.redis.pipeline(transaction=True)
        if written:
            pipe.rename(temp, self._board(period))
            pipe.persist(self._board(period))
        else:
            pipe.delete(self._board(period))
        pipe.hset(
            self._meta(period),
            mapping={
                "periodStart": snapshot.period_start.isoformat(),
                "computedAt": snapshot.computed_at.isoformat(),
                "entryCount": str(snapshot.entry_count),
            },
        )
        await pipe.execute()

    async def snapshot(self, period: str, start: datetime) -> Snapshot | None:
        """The mirror's snapshot of `period` if it holds the period starting at `start`."""
        raw = {
            _text(k): _text(v) for k, v in (await self.redis.hgetall(self._meta(period))).items()
        }
        if raw.get("periodStart") != start.isoformat():
            return None
        return Snapshot(
            period_start=start,
            computed_at=datetime.fromisoformat(raw["computedAt"]),
            entry_count=int(raw.get("entryCount", "0")),
        )

    async def page(self, period: str, after: int, limit: int) -> list[Ranked]:
        """Up to `limit` entries after position `after` (positions count from 1)."""
        key = self._board(period)
        items = await self.redis.zrevrange(key, after, after + limit - 1, withscores=True)
        if not items:
            return []
        out: list[Ranked] = []
        first_score = int(items[0][1])
        # Competition rank: one more than the number of strictly higher scores.
        rank = int(await self.redis.zcount(key, f"({first_score}", "+inf")) + 1
        previous: int | None = None
        for index, (member, raw_score) in enumerate(items):
            score = int(raw_score)
            position = after + index + 1
            if previous is not None and score != previous:
                rank = position
            previous = score
            out.append(Ranked(uuid.UUID(_text(member)), score, rank, position))
        return out

    async def standing(self, period: str, user_id: uuid.UUID) -> Ranked | None:
        key = self._board(period)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zscore(key, user_id.hex)
        pipe.zrevrank(key, user_id.hex)
        raw_score, index = await pipe.execute()
        if raw_score is None or index is None:
            return None
        score = int(raw_score)
        higher = int(await self.redis.zcount(key, f"({score}", "+inf"))
        return Ranked(user_id, score, higher + 1, int(index) + 1)


def get(rt: Runtime) -> RedisMirror | None:
    """The runtime's mirror when Redis is configured (tests may put their own in `extras`)."""
    mirror = rt.extras.get("leaderboards.mirror")
    if mirror is None and rt.redis is not None:
        mirror = rt.extras["leaderboards.mirror"] = RedisMirror(rt.redis)
    return mirror
