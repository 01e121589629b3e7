"""The Redis mirror (distributed mode) serves the same standings as SQL (embedded mode):
same order, ranks, scores and cursors; it is replaced atomically and falls back to SQL when
it does not hold the current period."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from sparkle.core import jobs
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.leaderboards import service
from sparkle.leaderboards.models import LeaderboardStanding
from sparkle.leaderboards.periods import Period, start_of
from sparkle.leaderboards.scoring import FOLLOWER_POINTS, POST_POINTS
from sparkle.leaderboards.store import RedisMirror, Snapshot
from tests.factories.content import create_post
from tests.leaderboards.helpers import follow


async def community(rt: Runtime, make_account) -> list[Any]:  # type: ignore[no-untyped-def]
    """Seven members; scores 10, 5, 5, 5, 3, 3 and 0 points (ties on purpose)."""
    people = [await make_account(username=f"lb_m{n}") for n in range(7)]
    posts = {0: 2, 1: 1, 2: 1, 3: 1}
    for index, count in posts.items():
        for _ in range(count):
            await create_post(rt, people[index].user)
    await follow(rt, people[0].user, people[4].user)
    await follow(rt, people[0].user, people[5].user)
    return people


async def walk(rt: Runtime, mirror: RedisMirror | None, period: Period, limit: int) -> list[Any]:
    pages = []
    cursor = None
    async with rt.sessions() as session:
        while True:
            page = await service.board(session, mirror, period, cursor=cursor, limit=limit)
            pages.append([(e.rank, e.user.username, e.score) for e in page.items])
            cursor = page.next_cursor
            if cursor is None:
                return pages
            assert len(pages) < 20


async def test_mirror_serves_what_sql_serves(
    rt: Runtime,
    mirror: RedisMirror | None,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    people = await community(rt, make_account)
    await jobs.dispatch("leaderboard.update", {})
    pages = await walk(rt, mirror, Period.ALL_TIME, limit=2)
    flat = [entry for page in pages for entry in page]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert [(rank, score) for rank, _, score in flat] == [
        (1, 2 * POST_POINTS),
        (2, POST_POINTS),
        (2, POST_POINTS),
        (2, POST_POINTS),
        (5, FOLLOWER_POINTS),
        (5, FOLLOWER_POINTS),
    ]
    # Exactly the order and cursors of the database, whichever store answered.
    assert pages == await walk(rt, None, Period.ALL_TIME, limit=2)
    async with rt.sessions() as session:
        for person in people:
            via = await service.my_standing(session, mirror, person.id, Period.ALL_TIME)
            sql = await service.my_standing(session, None, person.id, Period.ALL_TIME)
            assert via == sql
        assert (
            await service.my_standing(session, mirror, people[6].id, Period.ALL_TIME)
        ).rank is None


async def test_reads_come_from_redis_when_it_holds_the_period(
    rt: Runtime,
    redis_mirror: RedisMirror,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    mirror = redis_mirror
    await community(rt, make_account)
    await jobs.dispatch("leaderboard.update", {})
    async with session_scope(rt.sessions) as session:
        await session.execute(delete(LeaderboardStanding))
    page = await walk(rt, mirror, Period.WEEKLY, limit=100)
    assert len(page[0]) == 6  # served by the sorted set: the table is empty
    assert await walk(rt, None, Period.WEEKLY, limit=100) == [[]]


async def test_a_stale_or_missing_mirror_falls_back_to_sql(
    rt: Runtime,
    redis_mirror: RedisMirror,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    mirror = redis_mirror
    await community(rt, make_account)
    async with session_scope(rt.sessions) as session:
        await service.update(session, now=utcnow())
    # Never mirrored: SQL answers.
    assert await walk(rt, mirror, Period.DAILY, limit=100) == await walk(
        rt, None, Period.DAILY, limit=100
    )
    # Mirrored for yesterday only: stale for today, so SQL answers.
    yesterday = start_of(Period.DAILY, utcnow()) - timedelta(days=1)
    one = (await make_account(username="lb_stale")).id

    async def chunks():  # type: ignore[no-untyped-def]
        yield [(one, 99)]

    await mirror.replace("daily", Snapshot(yesterday, utcnow(), 1), chunks())
    got = await walk(rt, mirror, Period.DAILY, limit=100)
    assert got[0] and all(name != "lb_stale" for _, name, _ in got[0])


async def test_the_mirror_is_replaced_whole(redis_mirror: RedisMirror) -> None:
    mirror = redis_mirror
    start = start_of(Period.WEEKLY, utcnow())
    a, b, c = (uuid.uuid4() for _ in range(3))

    async def chunks(*rows: list[tuple[uuid.UUID, int]]):  # type: ignore[no-untyped-def]
        for row in rows:
            yield row

    await mirror.replace("weekly", Snapshot(start, utcnow(), 3), chunks([(a, 9), (b, 4)], [(c, 4)]))
    # Tied scores: reverse id order, as the database's positions.
    first, second = sorted([b, c], key=lambda u: u.hex, reverse=True)
    assert [(r.user_id, r.rank, r.position) for r in await mirror.page("weekly", 0, 10)] == [
        (a, 1, 1),
        (first, 2, 2),
        (second, 2, 3),
    ]
    assert [r.user_id for r in await mirror.page("weekly", 1, 1)] == [first]
    assert (await mirror.standing("weekly", c)).rank == 2  # type: ignore[union-attr]
    await mirror.replace("weekly", Snapshot(start, utcnow(), 1), chunks([(c, 1)]))
    assert [(r.user_id, r.score) for r in await mirror.page("weekly", 0, 10)] == [(c, 1)]
    assert await mirror.standing("weekly", a) is None
    await mirror.replace("weekly", Snapshot(start, utcnow(), 0), chunks())
    assert await mirror.page("weekly", 0, 10) == []
    snapshot = await mirror.snapshot("weekly", start)
    assert snapshot is not None and snapshot.entry_count == 0
    # Only the board and its meta key remain: the temporary copies were renamed away.
    keys = {k.decode() async for k in mirror.redis.scan_iter(match=f"{mirror.prefix}*")}
    assert keys == {f"{mirror.prefix}weekly:meta"}
