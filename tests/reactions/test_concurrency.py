"""Two identical reactions racing on separate connections make one row and count once.

This test commits for real (outside the per-test rollback) and cleans up after itself."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core.db import utcnow
from sparkle.core.db.engine import begin_write, sessionmaker
from sparkle.core.events import discard
from sparkle.posts.models import Post, PostStatus
from sparkle.reactions import service
from sparkle.reactions.models import Reaction, ReactionType


async def racer_blocked(engine: AsyncEngine, racer: asyncio.Task[bool]) -> None:
    """Wait until the racing transaction waits for the first one. PostgreSQL: a backend of
    this database waits on a lock (the first transaction's uncommitted row). SQLite: this
    process's writers queue on one gate, so the racer only needs to have started; there is
    no overlap to wait for."""
    if engine.dialect.name != "postgresql":
        await asyncio.sleep(0)  # one turn of the loop: the racer reaches the gate
        return
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        assert not racer.done(), "the racer finished without waiting for the first writer"
        assert asyncio.get_running_loop().time() < deadline, "the racer never waited"
        await asyncio.sleep(0.01)


async def test_concurrent_identical_reactions(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = sessionmaker(engine)
    tag = uuid.uuid4().hex[:8]
    async with sessions() as session:
        user = await accounts_service.create(
            session, email=f"race{tag}@example.com", username=f"race{tag}", hashed_password=None
        )
        post = Post(
            author_id=user.id,
            title="Race",
            slug=f"race-{tag}",
            content={"type": "doc", "content": []},
            status=PostStatus.PUBLISHED.value,
            published_at=utcnow(),
        )
        session.add(post)
        await session.commit()
        discard(session)
    first_inserted = asyncio.Event()
    release = asyncio.Event()

    async def react(hold: bool) -> bool:
        async with sessions() as session:
            await begin_write(session)
            _, added = await service.react(session, user, "post", post.id, ReactionType.LIKE)
            if hold:
                first_inserted.set()
                await release.wait()
            await session.commit()
            discard(session)
            return added

    try:
        holder = asyncio.create_task(react(hold=True))
        await first_inserted.wait()
        # The second transaction starts while the first, holding its row, is still open.
        racer = asyncio.create_task(react(hold=False))
        await racer_blocked(engine, racer)
        release.set()
        results = await asyncio.gather(holder, racer)
        assert sorted(results) == [False, True]
        async with sessions() as session:
            rows = await session.scalar(
                select(func.count()).select_from(Reaction).where(Reaction.post_id == post.id)
            )
            assert rows == 1
            assert (await session.get(Post, post.id)).reaction_count == 1  # type: ignore[union-attr]
    finally:
        async with sessions() as session:
            await session.execute(delete(Post).where(Post.id == post.id))
            await session.execute(delete(User).where(User.id == user.id))
            await session.commit()
