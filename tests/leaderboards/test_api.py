"""`/api/leaderboards`: standings, my standing, history; errors as problems naming the field;
documented in OpenAPI."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from sparkle.core import jobs
from sparkle.core.db import utcnow
from sparkle.core.runtime import Runtime
from sparkle.leaderboards.periods import Period, previous_start
from sparkle.leaderboards.scoring import POST_POINTS, REACTION_POINTS
from sparkle.leaderboards.store import RedisMirror
from sparkle.posts.models import Post
from tests.conftest import Account
from tests.factories.content import create_post
from tests.leaderboards.helpers import move, react, reset


def problem_fields(resp: httpx.Response) -> list[str]:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    return [e["field"] for e in resp.json().get("errors", [])]


@pytest.fixture
async def ranked(rt: Runtime, owner: Account, other: Account, make_account) -> list[Account]:  # type: ignore[no-untyped-def]
    """owner 2 posts + a like (11), other 1 post (5), a third member 1 post (5); updated."""
    third = await make_account(username="lb_third")
    first = await create_post(rt, owner.user)
    await create_post(rt, owner.user)
    await create_post(rt, other.user)
    await create_post(rt, third.user)
    await react(rt, other.user, first.id)
    await jobs.dispatch("leaderboard.update", {})
    return [owner, other, third]


class TestBoard:
    async def test_standings_with_user_summaries(
        self, client: httpx.AsyncClient, mirror: RedisMirror | None, ranked: list[Account]
    ) -> None:
        resp = await client.get("/api/leaderboards/weekly")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["period"] == "weekly" and body["entryCount"] == 3
        assert body["periodStart"] and body["periodEnd"] and body["computedAt"]
        first = body["items"][0]
        assert first == {
            "rank": 1,
            "score": 2 * POST_POINTS + REACTION_POINTS,
            "user": {
                "id": str(ranked[0].id),
                "username": "owner_user",
                "displayName": first["user"]["displayName"],
                "avatarUrl": None,
            },
        }
        assert first["user"]["displayName"]
        assert [(i["rank"], i["score"]) for i in body["items"][1:]] == [(2, 5), (2, 5)]
        assert body["nextCursor"] is None

    async def test_cursor_pages(
        self, client: httpx.AsyncClient, mirror: RedisMirror | None, ranked: list[Account]
    ) -> None:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            body = (await client.get("/api/leaderboards/all_time", params=params)).json()
            seen += [i["user"]["username"] for i in body["items"]]
            cursor = body["nextCursor"]
            if not cursor:
                break
        assert len(seen) == 3 and len(set(seen)) == 3 and seen[0] == "owner_user"

    async def test_empty_before_the_first_update(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/api/leaderboards/daily")).json()
        assert body["items"] == [] and body["entryCount"] == 0 and body["computedAt"] is None

    @pytest.mark.parametrize(
        ("url", "field"),
        [
            ("/api/leaderboards/yearly", "period"),
            ("/api/leaderboards/weekly?limit=101", "limit"),
            ("/api/leaderboards/weekly?limit=0", "limit"),
            ("/api/leaderboards/weekly?cursor=not-a-cursor", "cursor"),
            ("/api/leaderboards/yearly/me", "period"),
            ("/api/leaderboards/all_time/history", "period"),
            ("/api/leaderboards/weekly/history?periodStart=last-week", "periodStart"),
        ],
    )
    async def test_bad_input_is_a_problem_naming_the_field(
        self, client: httpx.AsyncClient, owner: Account, url: str, field: str
    ) -> None:
        resp = await client.get(url, headers=owner.headers)
        assert resp.status_code == 400, resp.text
        assert problem_fields(resp) == [field]


class TestMe:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/leaderboards/weekly/me")
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")

    async def test_ranked_and_unranked(
        self,
        client: httpx.AsyncClient,
        mirror: RedisMirror | None,
        ranked: list[Account],
        make_account,  # type: ignore[no-untyped-def]
    ) -> None:
        body = (await client.get("/api/leaderboards/monthly/me", headers=ranked[1].headers)).json()
        assert (body["rank"], body["score"], body["entryCount"]) == (2, POST_POINTS, 3)
        newcomer = await make_account(username="lb_newcomer")
        body = (await client.get("/api/leaderboards/monthly/me", headers=newcomer.headers)).json()
        assert (body["rank"], body["score"]) == (None, 0)


class TestHistory:
    async def test_archived_period(
        self, rt: Runtime, client: httpx.AsyncClient, owner: Account
    ) -> None:
        now = utcnow()
        yesterday = previous_start(Period.DAILY, now)
        post = await create_post(rt, owner.user)
        await move(rt, Post, post.id, published_at=yesterday + timedelta(hours=12))
        assert await reset(rt, Period.DAILY, now)
        resp = await client.get("/api/leaderboards/daily/history")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["archivedAt"] and body["entryCount"] == 1
        assert [(i["user"]["username"], i["rank"], i["score"]) for i in body["items"]] == [
            ("owner_user", 1, POST_POINTS)
        ]
        # Any instant of the period names it; a naive one is UTC.
        naive = (yesterday + timedelta(hours=3)).replace(tzinfo=None).isoformat()
        again = await client.get("/api/leaderboards/daily/history", params={"periodStart": naive})
        assert again.json()["periodStart"] == body["periodStart"]

    async def test_not_archived_is_404(self, client: httpx.AsyncClient) -> None:
        resp = await client.get(
            "/api/leaderboards/weekly/history", params={"periodStart": "2020-01-06T00:00:00Z"}
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "leaderboard_not_archived"


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path, summary in (
        ("/api/leaderboards/{period}", "A leaderboard's current standings"),
        ("/api/leaderboards/{period}/me", "My rank and score on a leaderboard"),
        ("/api/leaderboards/{period}/history", "The final standings of a finished period"),
    ):
        op = paths[path]["get"]
        assert op["tags"] == ["leaderboards"] and op["summary"] == summary
        assert "200" in op["responses"] and "400" in op["responses"]
    assert "401" in paths["/api/leaderboards/{period}/me"]["get"]["responses"]
    assert "404" in paths["/api/leaderboards/{period}/history"]["get"]["responses"]
    assert {"LeaderboardPage", "LeaderboardEntry", "LeaderboardStandingRead"} <= set(
        spec["components"]["schemas"]
    )


async def test_a_page_costs_the_same_few_queries_at_any_size(
    rt: Runtime,
    client: httpx.AsyncClient,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    from tests.feed.helpers import count_queries

    async def queries_for(limit: int) -> int:
        with count_queries(rt.engine) as seen:
            resp = await client.get("/api/leaderboards/all_time", params={"limit": limit})
        assert resp.status_code == 200 and len(resp.json()["items"]) == limit
        return len(seen)

    for n in range(12):
        await create_post(rt, (await make_account(username=f"lb_q{n}")).user)
    await jobs.dispatch("leaderboard.update", {})
    # The period's row, the page of standings, the page's members: three, whatever the size.
    assert await queries_for(2) == await queries_for(12) == 3
