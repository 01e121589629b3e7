"""The `/leaderboards` page: tabs, the top-ten chart as an inline SVG, the table, the viewer's
row highlighted; HTMX partials for tabs and further rows."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from sparkle.core import jobs
from sparkle.core.db import utcnow
from sparkle.core.runtime import Runtime
from sparkle.leaderboards.periods import Period, previous_start
from sparkle.leaderboards.scoring import POST_POINTS
from sparkle.leaderboards.store import RedisMirror
from sparkle.posts.models import Post
from tests.conftest import Account
from tests.factories.content import create_post
from tests.leaderboards.helpers import move, reset
from tests.web.pages import HTML, HTMX, sign_in

ROW = re.compile(r'<tr data-testid="leaderboard-row"( class="is-me" aria-current="true")?>')


@pytest.fixture
async def twelve(rt: Runtime, make_account) -> list[Account]:  # type: ignore[no-untyped-def]
    """Twelve members with 12, 11, …, 1 posts (scores 60 down to 5), ranked."""
    people = [await make_account(username=f"lb_p{n:02d}") for n in range(12)]
    for index, person in enumerate(people):
        for _ in range(12 - index):
            await create_post(rt, person.user)
    await jobs.dispatch("leaderboard.update", {})
    return people


async def test_page_shows_chart_table_and_my_rank(
    client: httpx.AsyncClient, mirror: RedisMirror | None, twelve: list[Account]
) -> None:
    await sign_in(client, twelve[11])
    resp = await client.get("/leaderboards?period=all_time", headers=HTML)
    assert resp.status_code == 200, resp.text
    html = resp.text
    # The chart: an accessible inline SVG of the top ten, no script.
    svg = re.search(r"<svg[^>]*data-testid=\"leaderboard-chart\".*?</svg>", html, re.DOTALL)
    assert svg, html
    assert 'role="img"' in svg.group(0) and '<title id="lb-chart-title">Top 10 scores' in svg.group(
        0
    )
    assert svg.group(0).count('data-testid="chart-bar"') == 10
    assert f'data-score="{12 * POST_POINTS}"' in svg.group(0)
    assert "<script" not in svg.group(0)
    assert "rank 1, " in svg.group(0)  # the description reads out every bar
    # The table: twelve rows, the viewer's highlighted, and their rank card.
    rows = ROW.findall(html)
    assert len(rows) == 12 and [r for r in rows if r] == [rows[11]]
    assert 'data-testid="my-rank"' in html and "#12</span> Your rank" in html
    assert 'aria-current="page">All time</a>' in html
    assert 'href="/leaderboards"' in html  # the header's navigation link


async def test_anonymous_sees_no_rank_card(
    client: httpx.AsyncClient, twelve: list[Account]
) -> None:
    html = (await client.get("/leaderboards", headers=HTML)).text
    assert 'data-testid="leaderboard-chart"' in html and 'data-testid="my-rank"' not in html
    assert 'aria-current="page">This week</a>' in html  # the default tab
    assert 'class="is-me"' not in html


async def test_empty_board(client: httpx.AsyncClient, owner: Account) -> None:
    await sign_in(client, owner)
    html = (await client.get("/leaderboards?period=daily", headers=HTML)).text
    assert "Nobody has scored" in html and "leaderboard-chart" not in html
    assert "You are not ranked" in html


async def test_htmx_tab_and_more_rows(
    client: httpx.AsyncClient, twelve: list[Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparkle.leaderboards import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 5)
    board = await client.get(
        "/leaderboards?period=monthly",
        headers={**HTML, **HTMX, "HX-Target": "leaderboard-board"},
    )
    assert board.text.lstrip().startswith('<section id="leaderboard-board"')
    assert "<html" not in board.text and len(ROW.findall(board.text)) == 5
    more = re.search(r'hx-get="([^"]+cursor=[^"]+)"', board.text)
    assert more
    rows = await client.get(more.group(1).replace("&amp;", "&"), headers={**HTML, **HTMX})
    assert "<section" not in rows.text and len(ROW.findall(rows.text)) == 5
    assert '<td class="lb-rank">6</td>' in rows.text


async def test_archived_period_page(rt: Runtime, client: httpx.AsyncClient, owner: Account) -> None:
    now = utcnow()
    post = await create_post(rt, owner.user)
    await move(
        rt, Post, post.id, published_at=previous_start(Period.DAILY, now) + timedelta(hours=1)
    )
    await reset(rt, Period.DAILY, now)
    html = (await client.get("/leaderboards?period=daily", headers=HTML)).text
    link = re.search(r'<nav class="lb-past".*?href="([^"]+)"', html, re.DOTALL)
    assert link, html
    archived = (await client.get(link.group(1).replace("&amp;", "&"), headers=HTML)).text
    assert "Final standings" in archived and "owner_user" in archived
    bad = await client.get("/leaderboards?period=all_time&periodStart=2020-01-01", headers=HTML)
    assert bad.status_code == 400
