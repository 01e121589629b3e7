"""Event → job routes are durable: the job is an outbox row of the transaction that published
the event, so a process that dies between commit and hand-over, or a broker that refuses the
hand-over, loses no notification — the sweeper relays the row and a worker runs the job. Each
notification route is also driven through the real outbox → broker → worker path.

The worker's jobs commit on connections of their own, so these tests use a migrated database
of their own with real commits instead of the suite's rolled-back transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from sparkle.comments import service as comments_service
from sparkle.comments.schemas import CommentCreate
from sparkle.core import events, jobs, runtime
from sparkle.core.config import Settings
from sparkle.core.db import session_scope
from sparkle.core.db.engine import create_engine
from sparkle.core.queue import outbox
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.models import JobOutbox
from sparkle.core.queue.worker import JobWorker
from sparkle.notifications.models import Notification
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from sparkle.social import service as social_service
from tests.conftest import BACKENDS, Account, make_runtime
from tests.factories.accounts import create_account
from tests.factories.content import create_post
from tests.fixtures.database import empty_database, run_alembic
from tests.jobs.conftest import until


@pytest.fixture(scope="module", params=BACKENDS)
async def committed_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async for url in empty_database(request.param, tmp_path_factory.mktemp("routes"), "routes"):
        await run_alembic(url, "upgrade", "head")
        engine = create_engine(url)
        yield engine
        await engine.dispose()


@pytest.fixture
async def rt(committed_engine: AsyncEngine, settings: Settings) -> AsyncIterator[runtime.Runtime]:
    """A runtime whose sessions commit for real, on a database of this module's own."""
    sessions = async_sessionmaker(committed_engine, expire_on_commit=False, autoflush=False)
    rt = make_runtime(settings, committed_engine, sessions)
    runtime.install(rt)
    yield rt


@pytest.fixture
def make_account(rt: runtime.Runtime) -> Callable[..., Awaitable[Account]]:
    async def make(**kwargs: Any) -> Account:
        return await create_account(rt, **kwargs)  # type: ignore[no-any-return]

    return make


@pytest.fixture
async def owner(rt: runtime.Runtime) -> Account:
    return await create_account(rt, username=f"owner_{uuid.uuid4().hex[:10]}")  # type: ignore[no-any-return]


@pytest.fixture
async def other(rt: runtime.Runtime) -> Account:
    return await create_account(rt, username=f"other_{uuid.uuid4().hex[:10]}")  # type: ignore[no-any-return]


@pytest.fixture
async def persisted(rt: runtime.Runtime, broker: Broker) -> Broker:
    jobs.configure(inline=False)  # the runtime fixture chose inline jobs
    return broker


@pytest.fixture
async def worker(persisted: Broker, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[JobWorker]:
    monkeypatch.setattr(jobs, "SCHEDULES", [])
    w = JobWorker(persisted, None, queues=["notification"], sweep_seconds=1, shutdown_grace=1)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def ran(broker: Broker, n: int) -> None:
    """Wait until `n` notification jobs completed (the broker, not the database, is polled:
    the worker owns the test's connection meanwhile)."""

    async def done() -> bool:
        counts = await broker.queue("notification").counts()
        assert counts["failed"] == 0
        return counts["completed"] >= n

    await until(done, timeout=20)


async def kinds(rt: runtime.Runtime, account: Account) -> list[str]:
    async with rt.sessions() as session:
        stmt = select(Notification.type).where(Notification.user_id == account.id)
        return sorted(str(t) for t in (await session.scalars(stmt)).all())


async def unsent(rt: runtime.Runtime, account: Account) -> list[str]:
    """Unsent outbox rows naming `account` (other tests' rows share the table)."""
    async with rt.sessions() as session:
        rows = (await session.scalars(select(JobOutbox).where(JobOutbox.sent_at.is_(None)))).all()
    return [r.name for r in rows if str(account.id) in r.payload.values()]


class TestNothingLost:
    async def test_a_crash_between_commit_and_hand_over(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        worker: JobWorker,
        owner: Account,
        other: Account,
    ) -> None:
        async with rt.sessions() as session:
            await social_service.follow(session, rt.limiter, other.user, owner.id)
            await session.commit()  # the process dies here: no flush, no hand-over
        events.discard(session)
        assert await unsent(rt, owner) == ["notification.user_followed"]
        assert (await persisted.queue("notification").counts())["waiting"] == 0

        assert await outbox.sweep(rt.sessions, persisted, older_than=0) == 1
        await ran(persisted, 1)
        assert await kinds(rt, owner) == ["USER_FOLLOWED"]
        assert await unsent(rt, owner) == []

    async def test_a_broker_that_refuses_the_hand_over(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        worker: JobWorker,
        owner: Account,
        other: Account,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        accept = persisted.enqueue

        async def refuse(*args: Any, **kwargs: Any) -> str:
            raise ConnectionError("the broker is down")

        monkeypatch.setattr(persisted, "enqueue", refuse)
        async with session_scope(rt.sessions) as session:  # the request still succeeds
            await social_service.follow(session, rt.limiter, other.user, owner.id)
        assert await unsent(rt, owner) == ["notification.user_followed"]

        monkeypatch.setattr(persisted, "enqueue", accept)  # the broker is back
        assert await outbox.sweep(rt.sessions, persisted, older_than=0) == 1
        await ran(persisted, 1)
        assert await kinds(rt, owner) == ["USER_FOLLOWED"]


class TestEveryRouteThroughTheWorker:
    async def test_follow_then_unfollow(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        worker: JobWorker,
        owner: Account,
        other: Account,
    ) -> None:
        async with session_scope(rt.sessions) as session:
            await social_service.follow(session, rt.limiter, other.user, owner.id)
        await ran(persisted, 1)
        assert await kinds(rt, owner) == ["USER_FOLLOWED"]
        async with session_scope(rt.sessions) as session:
            await social_service.unfollow(session, other.user, owner.id)
        await ran(persisted, 2)
        assert await kinds(rt, owner) == []  # a follow taken back at once is withdrawn

    async def test_reaction_added_then_removed(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        worker: JobWorker,
        owner: Account,
        other: Account,
    ) -> None:
        post = await create_post(rt, owner.user)
        async with session_scope(rt.sessions) as session:
            await reactions_service.react(session, other.user, "post", post.id, ReactionType.LIKE)
        await ran(persisted, 1)
        assert await kinds(rt, owner) == ["POST_LIKED"]
        async with session_scope(rt.sessions) as session:
            await reactions_service.unreact(session, other.user, "post", post.id, ReactionType.LIKE)
        await ran(persisted, 2)
        assert await kinds(rt, owner) == []

    async def test_comment_with_a_mention(
        self,
        rt: runtime.Runtime,
        persisted: Broker,
        worker: JobWorker,
        owner: Account,
        other: Account,
        make_account: Any,
    ) -> None:
        third = await make_account(username=f"third_{uuid.uuid4().hex[:10]}")
        post = await create_post(rt, owner.user)
        async with session_scope(rt.sessions) as session:
            await comments_service.create(
                session, other.user, post.id, CommentCreate(content=f"Hi @{third.user.username}!")
            )
        await ran(persisted, 2)  # comment:created and user:mentioned
        assert await kinds(rt, owner) == ["POST_COMMENTED"]
        assert await kinds(rt, third) == ["MENTION"]
