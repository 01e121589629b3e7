"""Activity and readings for the leaderboard tests: activity goes through the domains' own
services (posts are rows, as in the content factories); timestamps are moved directly when a
test needs activity in another period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update

from sparkle.accounts.models import User
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.leaderboards import service
from sparkle.leaderboards.periods import Period
from sparkle.leaderboards.store import RedisMirror
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from sparkle.social import service as social_service


async def react(
    rt: Runtime, user: User, target_id: uuid.UUID, kind: str = "post", type: str = "LIKE"
) -> None:
    async with session_scope(rt.sessions) as session:
        await reactions_service.react(session, user, kind, target_id, ReactionType(type))  # type: ignore[arg-type]


async def follow(rt: Runtime, follower: User, target: User) -> None:
    async with session_scope(rt.sessions) as session:
        await social_service.follow(session, rt.limiter, follower, target.id)


async def move(rt: Runtime, model: Any, row_id: Any, **values: Any) -> None:
    """Change columns of one row directly (its time, its state)."""
    await move_where(rt, model, model.id == row_id, **values)


async def move_where(rt: Runtime, model: Any, *where: Any, **values: Any) -> None:
    """Change columns of the rows of `model` matching `where` directly."""
    async with session_scope(rt.sessions) as session:
        await session.execute(
            update(model)
            .where(*where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def recompute(rt: Runtime, now: datetime | None = None) -> dict[Period, int]:
    async with session_scope(rt.sessions) as session:
        return await service.update(session, now=now or utcnow())


async def reset(rt: Runtime, period: Period, now: datetime, **kw: Any) -> bool:
    async with session_scope(rt.sessions) as session:
        return await service.reset(session, period, now=now, **kw)


async def standings(
    rt: Runtime,
    period: Period = Period.ALL_TIME,
    now: datetime | None = None,
    mirror: RedisMirror | None = None,
) -> dict[str, tuple[int, int]]:
    """username → (rank, score) on the current board of `period`."""
    async with rt.sessions() as session:
        page = await service.board(session, mirror, period, limit=100, now=now)
    return {e.user.username: (e.rank, e.score) for e in page.items}


async def scores(
    rt: Runtime, period: Period = Period.ALL_TIME, now: datetime | None = None
) -> dict[str, int]:
    return {name: score for name, (_, score) in (await standings(rt, period, now)).items()}
