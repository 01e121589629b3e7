"""Trending: the hot-rank formula, which posts it scores, the table it replaces, the job that
runs it and the ticker that runs the job."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import jobs
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.feed import jobs as feed_jobs
from sparkle.feed import service
from sparkle.posts import service as posts_service
from sparkle.posts.models import PostStatus, TrendingPost
from tests.conftest import Account
from tests.factories.posts import create_post
from tests.feed.helpers import feed_ids, set_columns


async def scores(db: AsyncSession) -> dict[str, float]:
    rows = await db.execute(select(TrendingPost.post_id, TrendingPost.score))
    return {str(pid): score for pid, score in rows.all()}


async def aged_post(rt: Runtime, author: Account, hours: float, **counters: int) -> str:
    """A published post `hours` old with the given counters (reaction_count, view_count, ...)."""
    post = await create_post(rt, author.user)
    await set_columns(rt, post.id, published_at=utcnow() - timedelta(hours=hours), **counters)
    return str(post.id)


class TestFormula:
    def test_engagement_weights(self) -> None:
        assert service.engagement(reactions=3, comments=2, shares=1, views=40) == 3 + 4 + 1 + 2

    def test_hot_rank_is_lemmys(self) -> None:
        assert service.hot_rank(7, 3) == pytest.approx(math.log10(10) / 5**1.8)
        # No engagement still ranks above zero, so every scored post sorts before unscored ones.
        assert service.hot_rank(0, 0) == pytest.approx(math.log10(3) / 2**1.8)
        assert service.hot_rank(0, 10_000) > 0

    def test_age_decays_and_engagement_lifts(self) -> None:
        assert service.hot_rank(5, 1) > service.hot_rank(5, 10) > service.hot_rank(5, 100)
        assert service.hot_rank(50, 10) > service.hot_rank(5, 10)
        # A fresh post with a little engagement passes a two-day-old one with a lot.
        assert service.hot_rank(2, 1) > service.hot_rank(60, 48)


class TestRecompute:
    async def test_newer_post_with_fewer_reactions_ranks_first(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        fresh = await aged_post(rt, owner, 1, reaction_count=2)
        older = await aged_post(rt, owner, 48, reaction_count=60)
        mid = await aged_post(rt, owner, 12, reaction_count=5)
        assert await service.recompute_trending(db) == 3
        got = await scores(db)
        assert sorted(got, key=got.__getitem__, reverse=True) == [fresh, mid, older]

    async def test_stored_score_is_the_formula(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        now = utcnow()
        post = await create_post(rt, owner.user)
        counters = {"reaction_count": 4, "comment_count": 3, "share_count": 2, "view_count": 100}
        await set_columns(rt, post.id, published_at=now - timedelta(hours=5), **counters)
        await service.recompute_trending(db, now=now)
        expected = service.hot_rank(4 + 2 * 3 + 2 + 100 / 20, 5)
        assert (await scores(db))[str(post.id)] == pytest.approx(expected)

    async def test_only_published_live_posts_of_the_last_seven_days(
        self, rt: Runtime, db: AsyncSession, owner: Account, moderator: Account
    ) -> None:
        now = utcnow()
        kept = await aged_post(rt, owner, 24 * 7 - 1)
        too_old = await aged_post(rt, owner, 24 * 7 + 1)
        draft = await create_post(rt, owner.user, status="DRAFT")
        deleted = await create_post(rt, owner.user)
        archived = await create_post(rt, owner.user)
        async with session_scope(rt.sessions) as session:
            await posts_service.delete(session, owner.user, deleted.id)
            await posts_service.set_status(session, owner.user, archived.id, PostStatus.ARCHIVED)
        assert await service.recompute_trending(db, now=now) == 1
        got = await scores(db)
        assert set(got) == {kept}
        assert {too_old, str(draft.id), str(deleted.id), str(archived.id)}.isdisjoint(got)

    async def test_replaces_every_row(self, rt: Runtime, db: AsyncSession, owner: Account) -> None:
        first, second = await aged_post(rt, owner, 2), await aged_post(rt, owner, 3)
        then = utcnow()
        await service.recompute_trending(db, now=then)
        assert set(await scores(db)) == {first, second}
        # A day later `first` has aged out of the window and `third` has appeared.
        await set_columns(rt, first, published_at=then - timedelta(days=8))
        third = await aged_post(rt, owner, 1)
        later = then + timedelta(minutes=5)
        assert await service.recompute_trending(db, now=later) == 2
        rows = (await db.execute(select(TrendingPost))).scalars().all()
        assert {str(r.post_id) for r in rows} == {second, third}
        assert {r.computed_at for r in rows} == {later}

    async def test_empty_window_empties_the_table(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        post = await aged_post(rt, owner, 2)
        await service.recompute_trending(db)
        await set_columns(rt, post, published_at=utcnow() - timedelta(days=30))
        assert await service.recompute_trending(db) == 0
        assert await scores(db) == {}


class TestJob:
    async def test_registered_on_a_queue(self) -> None:
        registered = jobs.REGISTRY["feed.recompute_trending"]
        assert registered.queue == "analytics"
        jobs.validate("feed.recompute_trending", {})

    async def test_dispatch_recomputes(self, rt: Runtime, db: AsyncSession, owner: Account) -> None:
        fresh = await aged_post(rt, owner, 1, reaction_count=1)
        older = await aged_post(rt, owner, 30, reaction_count=1)
        await jobs.dispatch("feed.recompute_trending", {})
        got = await scores(db)
        assert set(got) == {fresh, older}
        assert got[fresh] > got[older]

    async def test_ticker_runs_the_job_repeatedly_and_stops(
        self, rt: Runtime, db: AsyncSession, owner: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        post = await aged_post(rt, owner, 1)
        job = jobs.REGISTRY[feed_jobs.RECOMPUTE_TRENDING]
        runs: list[None] = []
        twice = asyncio.Event()

        async def counted(payload: Any) -> None:
            await job.handler(payload)
            runs.append(None)
            if len(runs) >= 2:
                twice.set()

        monkeypatch.setitem(
            jobs.REGISTRY, feed_jobs.RECOMPUTE_TRENDING, dataclasses.replace(job, handler=counted)
        )
        ticker = feed_jobs.start_ticker(interval=0.01)
        try:
            await asyncio.wait_for(twice.wait(), timeout=10)
        finally:
            await feed_jobs.stop_ticker(ticker)
        assert ticker.done()
        assert set(await scores(db)) == {post}

    async def test_a_failing_run_does_not_stop_the_ticker(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        job = jobs.REGISTRY[feed_jobs.RECOMPUTE_TRENDING]
        calls: list[None] = []
        again = asyncio.Event()

        async def flaky(payload: Any) -> None:
            calls.append(None)
            if len(calls) == 1:
                raise RuntimeError("database away")
            again.set()

        monkeypatch.setitem(
            jobs.REGISTRY, feed_jobs.RECOMPUTE_TRENDING, dataclasses.replace(job, handler=flaky)
        )
        ticker = feed_jobs.start_ticker(interval=0.01)
        try:
            await asyncio.wait_for(again.wait(), timeout=10)
        finally:
            await feed_jobs.stop_ticker(ticker)
        assert len(calls) >= 2


class TestTrendingTab:
    async def test_serves_the_scores(
        self, rt: Runtime, db: AsyncSession, client: httpx.AsyncClient, owner: Account
    ) -> None:
        fresh = await aged_post(rt, owner, 1, reaction_count=2)
        older = await aged_post(rt, owner, 48, reaction_count=60)
        await aged_post(rt, owner, 24 * 10, reaction_count=500)
        await service.recompute_trending(db)
        await db.commit()
        # The stale post is outside the 7-day window: scored by nobody, trending for nobody.
        assert await feed_ids(client, tab="trending") == [fresh, older]
        # The same order as the posts listing's trending sort.
        resp = await client.get("/api/posts", params={"sort": "trending"})
        assert [p["id"] for p in resp.json()["items"]] == [fresh, older]

    async def test_unscored_posts_are_not_listed(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account
    ) -> None:
        await aged_post(rt, owner, 5)
        await aged_post(rt, owner, 2)
        assert await feed_ids(client, tab="trending") == []
