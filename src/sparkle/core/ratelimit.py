"""Throttling of abusable actions: in-process store (embedded) or Redis (distributed)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from sparkle.core.errors import TooManyRequests

# Mastodon's defaults (config/initializers/rack_attack.rb).
LOGIN_PER_IP = parse("25/5 minutes")
LOGIN_PER_ACCOUNT = parse("25/5 minutes")
REGISTER_PER_IP = parse("5/30 minutes")
PASSWORD_RESET_PER_EMAIL = parse("5/30 minutes")
RESEND_VERIFICATION_PER_ACCOUNT = parse("3/15 minutes")
TWO_FACTOR_PER_ACCOUNT = parse("10/5 minutes")


class Limiter:
    def __init__(self, storage: Storage, *, enabled: bool = True) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self.enabled = enabled

    @classmethod
    def from_url(cls, redis_url: str | None, *, enabled: bool = True) -> Limiter:
        if redis_url:
            url = redis_url.replace("redis://", "async+redis://", 1).replace(
                "rediss://", "async+rediss://", 1
            )
            return cls(RedisStorage(url, key_prefix="sparkle-rl"), enabled=enabled)
        return cls(MemoryStorage(), enabled=enabled)

    async def hit(self, item: RateLimitItem, *keys: str) -> None:
        """Count one attempt against `item` for `keys`; raise 429 when over the limit."""
        if not self.enabled:
            return
        if not await self.strategy.hit(item, *keys):
            stats = await self.strategy.get_window_stats(item, *keys)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(retry)

    async def clear(self, item: RateLimitItem, *keys: str) -> None:
        await self.strategy.clear(item, *keys)

    async def ping(self) -> bool:
        return bool(await self.storage.check())
