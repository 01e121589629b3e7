"""Period boundaries, and which period's board each piece of activity lands on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sparkle.core.runtime import Runtime
from sparkle.leaderboards.periods import (
    ALL_TIME_START,
    Period,
    end_of,
    previous_start,
    start_of,
)
from sparkle.leaderboards.scoring import POST_POINTS, REACTION_POINTS
from sparkle.posts.models import Post
from sparkle.reactions.models import Reaction
from tests.factories.content import create_post
from tests.leaderboards.helpers import move, move_where, react, recompute, scores

# A Wednesday afternoon.
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


class TestBoundaries:
    @pytest.mark.parametrize(
        ("period", "start", "end"),
        [
            (Period.DAILY, datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC)),
            (Period.WEEKLY, datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
            (Period.MONTHLY, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
            (Period.ALL_TIME, ALL_TIME_START, None),
        ],
    )
    def test_start_and_end(self, period: Period, start: datetime, end: datetime | None) -> None:
        assert start_of(period, NOW) == start
        assert end_of(period, start) == end
        assert start_of(period, start) == start  # a start belongs to its own period

    def test_other_time_zones_are_read_as_utc(self) -> None:
        # 01:00 on Monday in UTC+3 is still Sunday in UTC.
        monday_in_moscow = datetime(2026, 11, 16, 1, 0, tzinfo=timezone(timedelta(hours=3)))
        assert start_of(Period.WEEKLY, monday_in_moscow) == datetime(2026, 11, 9, tzinfo=UTC)
        assert start_of(Period.DAILY, monday_in_moscow) == datetime(2026, 11, 15, tzinfo=UTC)

    def test_months_roll_over_years_and_short_months(self) -> None:
        assert end_of(Period.MONTHLY, datetime(2026, 12, 1, tzinfo=UTC)) == datetime(
            2027, 1, 1, tzinfo=UTC
        )
        assert end_of(Period.MONTHLY, datetime(2027, 2, 1, tzinfo=UTC)) == datetime(
            2027, 3, 1, tzinfo=UTC
        )

    def test_previous_period(self) -> None:
        monday = datetime(2026, 11, 23, 0, 0, 5, tzinfo=UTC)
        assert previous_start(Period.DAILY, monday) == datetime(2026, 11, 22, tzinfo=UTC)
        assert previous_start(Period.WEEKLY, monday) == datetime(2026, 11, 16, tzinfo=UTC)
        assert previous_start(Period.MONTHLY, datetime(2027, 1, 1, tzinfo=UTC)) == datetime(
            2026, 12, 1, tzinfo=UTC
        )


async def test_activity_lands_on_the_boards_of_its_time(rt: Runtime, make_account) -> None:  # type: ignore[no-untyped-def]
    when = {
        "lb_today": NOW - timedelta(hours=2),
        "lb_week": datetime(2026, 11, 16, 0, 0, tzinfo=UTC),  # Monday 00:00: this week
        "lb_month": datetime(2026, 11, 15, 23, 59, tzinfo=UTC),  # Sunday: last week
        "lb_old": datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    }
    for name, at in when.items():
        author = await make_account(username=name)
        post = await create_post(rt, author.user)
        await move(rt, Post, post.id, published_at=at)
    future = await make_account(username="lb_future")
    post = await create_post(rt, future.user)
    await move(rt, Post, post.id, published_at=NOW + timedelta(days=1))
    await recompute(rt, NOW)

    assert set(await scores(rt, Period.DAILY, NOW)) == {"lb_today"}
    assert set(await scores(rt, Period.WEEKLY, NOW)) == {"lb_today", "lb_week"}
    assert set(await scores(rt, Period.MONTHLY, NOW)) == {"lb_today", "lb_week", "lb_month"}
    # Activity dated after the update (a post scheduled ahead) waits for its time.
    assert set(await scores(rt, Period.ALL_TIME, NOW)) == set(when)
    await recompute(rt, NOW + timedelta(days=1, hours=1))
    assert set(await scores(rt, Period.DAILY, NOW + timedelta(days=1))) == {"lb_future"}


async def test_a_reaction_counts_in_the_period_it_was_given(
    rt: Runtime,
    owner,
    other,  # type: ignore[no-untyped-def]
) -> None:
    post = await create_post(rt, owner.user)
    await move(rt, Post, post.id, published_at=datetime(2026, 11, 2, tzinfo=UTC))
    await react(rt, other.user, post.id)
    await move_where(rt, Reaction, Reaction.post_id == post.id, created_at=NOW - timedelta(hours=1))
    await recompute(rt, NOW)
    assert await scores(rt, Period.DAILY, NOW) == {"owner_user": REACTION_POINTS}
    assert await scores(rt, Period.MONTHLY, NOW) == {"owner_user": POST_POINTS + REACTION_POINTS}


async def test_a_new_period_starts_empty(rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
    post = await create_post(rt, owner.user)
    await move(rt, Post, post.id, published_at=NOW - timedelta(hours=1))
    await recompute(rt, NOW)
    assert await scores(rt, Period.DAILY, NOW) == {"owner_user": POST_POINTS}
    tomorrow = NOW + timedelta(days=1)
    # Until the next update the new day has no standings; after it, still none.
    assert await scores(rt, Period.DAILY, tomorrow) == {}
    await recompute(rt, tomorrow)
    assert await scores(rt, Period.DAILY, tomorrow) == {}
    assert await scores(rt, Period.WEEKLY, tomorrow) == {"owner_user": POST_POINTS}
