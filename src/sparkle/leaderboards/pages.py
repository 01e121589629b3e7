"""The leaderboard page (`/leaderboards?period=&periodStart=`): tabs per period, the top ten
as a bar chart, the standings table with the viewer's row highlighted; tabs and further rows
load over HTMX. Same services as `/api/leaderboards`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import SparkleError
from sparkle.leaderboards import scoring, service, store
from sparkle.leaderboards.chart import bar_chart
from sparkle.leaderboards.periods import LABELS, RESETTABLE, Period
from sparkle.leaderboards.schemas import LeaderboardPage
from sparkle.web.rendering import PageViewer, is_htmx, render, render_error

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
DEFAULT_PERIOD = Period.WEEKLY
WEIGHTS = (
    ("a published post", scoring.POST_POINTS),
    ("a new follower", scoring.FOLLOWER_POINTS),
    ("a comment on your post", scoring.COMMENT_POINTS),
    ("a person reacting to your post or comment", scoring.REACTION_POINTS),
)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _url(period: Period, **extra: str) -> str:
    return "/leaderboards?" + urlencode({"period": period.value, **extra})


@router.get("/leaderboards")
async def leaderboards_page(
    request: Request, db: DbSession, rt: RuntimeDep, viewer: PageViewer
) -> Response:
    params = request.query_params
    try:
        period = Period(params.get("period", DEFAULT_PERIOD.value))
    except ValueError:
        period = DEFAULT_PERIOD
    cursor = params.get("cursor")
    raw_start = params.get("periodStart")
    at = _instant(raw_start)
    if raw_start and (at is None or period not in RESETTABLE):
        return render_error(request, 400, "No such leaderboard", "That period has no history.")
    mirror = store.get(rt)
    me = viewer.id if viewer else None
    board: LeaderboardPage
    try:
        if at is not None:
            board = await service.history(
                db, period, period_start=at, cursor=cursor, limit=PAGE_SIZE
            )
        else:
            board = await service.board(db, mirror, period, cursor=cursor, limit=PAGE_SIZE)
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    extra = {"periodStart": board.period_start.isoformat()} if at is not None else {}
    context: dict[str, Any] = {
        "period": period,
        "labels": LABELS,
        "board": board,
        "archived": at is not None,
        "me": me,
        "more_url": _url(period, cursor=board.next_cursor, **extra) if board.next_cursor else None,
        "url": _url,
    }
    if is_htmx(request) and cursor:
        return render(request, "leaderboards/_rows.html", context)
    context["chart"] = None if cursor else bar_chart(board.items, me)
    context["weights"] = WEIGHTS
    context["past"] = await service.archived_starts(db, period, limit=6)
    if me is not None and at is None:
        context["mine"] = await service.my_standing(db, mirror, me, period)
    if is_htmx(request) and request.headers.get("HX-Target") == "leaderboard-board":
        return render(request, "leaderboards/_board.html", context)
    return render(request, "leaderboards/leaderboards.html", context)
