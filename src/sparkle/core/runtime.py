"""The process-wide runtime: settings, database, rate limiter and mail transport.

Built once by the app's lifespan, the CLI or the test harness; jobs and other boundaries
outside a request reach the database through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sparkle.core.config import Settings
from sparkle.core.db.engine import create_engine, sessionmaker
from sparkle.core.ratelimit import Limiter

if TYPE_CHECKING:
    from sparkle.core.mail import Mailer


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    limiter: Limiter
    mailer: Mailer
    redis: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


_current: Runtime | None = None


def build(settings: Settings) -> Runtime:
    from sparkle.core.mail import Mailer

    settings.ensure_dirs()
    engine = create_engine(settings.effective_database_url, echo=settings.db_echo)
    redis = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        redis = aioredis.from_url(settings.redis_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(engine),
        limiter=Limiter.from_url(settings.redis_url, enabled=settings.rate_limits_enabled),
        mailer=Mailer.from_settings(settings),
        redis=redis,
    )


def install(rt: Runtime) -> Runtime:
    global _current
    _current = rt
    return rt


def get() -> Runtime:
    if _current is None:
        raise RuntimeError("the Sparkle runtime is not started")
    return _current
