"""The follow graph's public service functions, used by feeds, notifications and presence,
and the race between two simultaneous follows."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core import runtime
from sparkle.core.config import Settings
from sparkle.core.db import session_scope
from sparkle.core.db.engine import sessionmaker
from sparkle.core.events import capture_events
from sparkle.core.ratelimit import Limiter
from sparkle.core.runtime import Runtime
from sparkle.social import service as social_service
from sparkle.social.models import Follow
from tests.conftest import Account, make_runtime
from tests.social.helpers import delete_account, follow, follow_as, make_users


class TestLookups:
    async def test_ids_counts_and_relation(
        self, rt: Runtime, db: AsyncSession, owner: Account, other: Account, admin: Account
    ) -> None:
        await follow_as(rt, owner.user, other.user)
        await follow_as(rt, owner.user, admin.user)
        await follow_as(rt, admin.user, owner.user)
        assert set(await social_service.following_ids(db, owner.id)) == {other.id, admin.id}
        assert await social_service.follower_ids(db, owner.id) == [admin.id]
        assert await social_service.follower_ids(db, other.id) == [owner.id]
        assert await social_service.following_ids(db, other.id) == []
        nobody = uuid.uuid4()
        assert await social_service.counts(
            db, [owner.id, other.id, admin.id, nobody, owner.id]
        ) == {
            owner.id: (1, 2),
            other.id: (1, 0),
            admin.id: (1, 1),
            nobody: (0, 0),
        }
        assert await social_service.counts(db, []) == {}
        assert await social_service.is_following(db, owner.id, other.id)
        assert not await social_service.is_following(db, other.id, owner.id)
        assert await social_service.relation(db, other.id, owner.id) == (False, True)
        assert await social_service.relation(db, admin.id, owner.id) == (True, True)

    async def test_following_statement_as_subquery(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        idols = await make_users(rt, "idol", 3)
        for idol in idols[:2]:
            await follow_as(rt, owner.user, idol)
        stmt = select(User.username).where(
            User.id.in_(social_service.following_statement(owner.id))
        )
        assert set((await db.scalars(stmt)).all()) == {"idol0", "idol1"}

    async def test_deleted_accounts_left_out(
        self, client: httpx.AsyncClient, db: AsyncSession, owner: Account, other: Account
    ) -> None:
        await follow(client, owner, other)
        await follow(client, other, owner)
        await delete_account(client, other)
        assert await social_service.following_ids(db, owner.id) == []
        assert await social_service.follower_ids(db, owner.id) == []
        assert (await social_service.counts(db, [owner.id]))[owner.id] == (0, 0)


class TestRace:
    async def test_simultaneous_follows_write_one_edge(
        self, engine: AsyncEngine, settings: Settings
    ) -> None:
        """Two transactions on separate connections follow at the same moment: one row, one
        event, both callers told they follow. Runs on committed data, so it cleans up."""
        sessions = sessionmaker(engine)
        runtime.install(make_runtime(settings, engine, sessions))  # the follow's jobs run inline
        tag = uuid.uuid4().hex[:8]
        async with session_scope(sessions) as db:
            fan = await accounts_service.create(
                db, email=f"fan{tag}@example.com", username=f"fan{tag}", hashed_password=None
            )
            star = await accounts_service.create(
                db, email=f"star{tag}@example.com", username=f"star{tag}", hashed_password=None
            )
        limiter = Limiter.from_url(None, enabled=False)

        async def attempt() -> bool:
            async with session_scope(sessions) as db:
                state = await social_service.follow(db, limiter, fan, star.id)
                await asyncio.sleep(0.05)  # hold the transaction open so the two overlap
                return state.following

        try:
            with capture_events() as seen:
                results = await asyncio.gather(attempt(), attempt())
            assert results == [True, True]
            assert [e.name for e in seen if e.name.startswith("user:")] == ["user:followed"]
            async with sessions() as db:
                n = await db.scalar(
                    select(func.count()).select_from(Follow).where(Follow.follower_id == fan.id)
                )
            assert n == 1
        finally:
            async with session_scope(sessions) as db:
                await db.execute(delete(User).where(User.id.in_([fan.id, star.id])))
