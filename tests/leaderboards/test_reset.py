"""Resetting: a finished period's standings are archived once and never rewritten, the new
period starts, and running either job twice gives the same result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sparkle.comments.models import Comment
from sparkle.core import jobs
from sparkle.core.db import utcnow
from sparkle.core.errors import ValidationFailed
from sparkle.core.runtime import Runtime
from sparkle.leaderboards import service
from sparkle.leaderboards.errors import PeriodNotArchived, UnknownPeriod
from sparkle.leaderboards.models import LeaderboardArchiveEntry, LeaderboardStanding
from sparkle.leaderboards.periods import Period, previous_start, start_of
from sparkle.leaderboards.scoring import COMMENT_POINTS, POST_POINTS, REACTION_POINTS
from sparkle.posts.models import Post
from sparkle.reactions.models import Reaction
from tests.conftest import Account
from tests.factories.content import create_comment, create_post
from tests.leaderboards.helpers import move, move_where, react, recompute, reset, scores

# Monday 00:00:30: the daily and weekly resets of this minute close Sunday and last week.
MONDAY = datetime(2026, 11, 23, 0, 0, 30, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 16, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 22, tzinfo=UTC)


async def rows(rt: Runtime, model, period: Period) -> list[tuple[str, datetime, int, int, int]]:  # type: ignore[no-untyped-def]
    async with rt.sessions() as session:
        result = await session.execute(
            select(model.user_id, model.period_start, model.score, model.rank, model.position)
            .where(model.period == period.value)
            .order_by(model.period_start, model.position)
        )
        return [tuple(r) for r in result.all()]  # type: ignore[misc]


async def last_week_activity(rt: Runtime, owner: Account, other: Account) -> Post:
    """owner: a post on Wednesday with a like and a comment from other on Sunday."""
    post = await create_post(rt, owner.user)
    await move(rt, Post, post.id, published_at=LAST_WEEK + timedelta(days=2))
    await react(rt, other.user, post.id)
    await move_where(
        rt, Reaction, Reaction.post_id == post.id, created_at=SUNDAY + timedelta(hours=9)
    )
    comment = await create_comment(rt, other.user, post.id, "So good")
    await move(rt, Comment, comment.id, created_at=SUNDAY + timedelta(hours=10))
    return post


async def history(rt: Runtime, period: Period, **kw) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    async with rt.sessions() as session:
        page = await service.history(session, period, **kw)
    return {e.user.username: (e.rank, e.score) for e in page.items}


async def test_reset_archives_the_finished_period(
    rt: Runtime, owner: Account, other: Account
) -> None:
    await last_week_activity(rt, owner, other)
    expected = POST_POINTS + REACTION_POINTS + COMMENT_POINTS
    assert await reset(rt, Period.WEEKLY, MONDAY) is True
    assert await history(rt, Period.WEEKLY) == {"owner_user": (1, expected)}
    assert await history(rt, Period.WEEKLY, period_start=LAST_WEEK + timedelta(days=3)) == {
        "owner_user": (1, expected)
    }
    # Sunday's board had the like and the comment, not the post.
    assert await reset(rt, Period.DAILY, MONDAY) is True
    assert await history(rt, Period.DAILY) == {"owner_user": (1, REACTION_POINTS + COMMENT_POINTS)}
    # The new week starts empty.
    assert await scores(rt, Period.WEEKLY, MONDAY) == {}
    assert await rows(rt, LeaderboardStanding, Period.WEEKLY) == []


async def test_reset_twice_changes_nothing_even_after_new_activity(
    rt: Runtime, owner: Account, other: Account
) -> None:
    post = await last_week_activity(rt, owner, other)
    assert await reset(rt, Period.WEEKLY, MONDAY) is True
    archived = await rows(rt, LeaderboardArchiveEntry, Period.WEEKLY)
    assert len(archived) == 1
    # The post is deleted afterwards; the archive is final.
    await move(rt, Post, post.id, deleted_at=utcnow())
    assert await reset(rt, Period.WEEKLY, MONDAY + timedelta(minutes=5)) is False
    assert await rows(rt, LeaderboardArchiveEntry, Period.WEEKLY) == archived


async def test_update_twice_gives_the_same_standings(
    rt: Runtime,
    owner: Account,
    other: Account,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    for account in (owner, other, await make_account(username="lb_x")):
        await create_post(rt, account.user)
    post = await create_post(rt, owner.user)
    await react(rt, other.user, post.id)
    now = utcnow()
    first = await recompute(rt, now)
    before = {p: await rows(rt, LeaderboardStanding, p) for p in Period}
    assert await recompute(rt, now) == first
    assert {p: await rows(rt, LeaderboardStanding, p) for p in Period} == before
    assert first[Period.ALL_TIME] == 3


async def test_reset_refuses_what_cannot_be_archived(rt: Runtime) -> None:
    with pytest.raises(UnknownPeriod) as exc:
        await reset(rt, Period.ALL_TIME, MONDAY)
    assert [f.field for f in exc.value.fields] == ["period"]
    with pytest.raises(ValidationFailed) as exc:
        await reset(rt, Period.WEEKLY, MONDAY, period_start=MONDAY)
    assert [f.field for f in exc.value.fields] == ["periodStart"]


async def test_an_unarchived_period_has_no_history(rt: Runtime) -> None:
    with pytest.raises(PeriodNotArchived):
        await history(rt, Period.DAILY)
    # The current period has standings, not an archive.
    await recompute(rt, MONDAY)
    with pytest.raises(PeriodNotArchived):
        await history(rt, Period.DAILY, period_start=MONDAY)


async def test_reset_can_archive_an_earlier_period(
    rt: Runtime, owner: Account, other: Account
) -> None:
    await last_week_activity(rt, owner, other)
    later = MONDAY + timedelta(days=9)
    assert await reset(rt, Period.WEEKLY, later, period_start=LAST_WEEK) is True
    assert set(await history(rt, Period.WEEKLY, period_start=LAST_WEEK)) == {"owner_user"}


class TestJobs:
    def test_registered_on_the_leaderboard_queue_with_the_seed_schedules(self) -> None:
        import sparkle.domains  # noqa: F401
        from sparkle.core.queue.maintenance import seed_coverage

        assert jobs.REGISTRY["leaderboard.update"].queue == "leaderboard"
        assert jobs.REGISTRY["leaderboard.reset"].queue == "leaderboard"
        scheduled = {(s.name, s.cron, s.payload.get("period")) for s in jobs.SCHEDULES}
        assert {
            ("leaderboard.update", "0 * * * *", None),
            ("leaderboard.reset", "0 0 * * *", "daily"),
            ("leaderboard.reset", "0 0 * * 1", "weekly"),
            ("leaderboard.reset", "0 0 1 * *", "monthly"),
        } <= scheduled
        missing = [seed for seed, match in seed_coverage() if match is None]
        assert [seed for seed in missing if seed.queue == "leaderboard"] == []

    async def test_jobs_run_through_the_registry(self, rt: Runtime, owner: Account) -> None:
        await create_post(rt, owner.user)
        await jobs.dispatch("leaderboard.update", {})
        assert await scores(rt) == {"owner_user": POST_POINTS}
        await jobs.dispatch("leaderboard.reset", {"period": "daily"})
        await jobs.dispatch("leaderboard.reset", {"period": "daily"})
        now = utcnow()
        async with rt.sessions() as session:
            archived = await service.archived_starts(session, Period.DAILY)
        assert archived == [previous_start(Period.DAILY, now)]
        assert start_of(Period.DAILY, now) not in archived
