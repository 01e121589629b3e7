"""The top-ten bar chart of the leaderboard page, laid out here and drawn by the template as
an inline SVG (no script: the CSP allows none inline, and a chart of ten bars needs none)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sparkle.leaderboards.schemas import LeaderboardEntry

WIDTH = 640
LABEL_WIDTH = 190  # rank and name, right-aligned before the bars
VALUE_WIDTH = 56  # the score after the longest bar
BAR_HEIGHT = 24
GAP = 10
TOP = 8
MAX_NAME = 18
TOP_N = 10


@dataclass(frozen=True)
class Bar:
    rank: int
    name: str
    score: int
    y: int
    width: int
    is_me: bool

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT // 2 + 5

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]

    @property
    def description(self) -> str:
        return "; ".join(f"rank {b.rank}, {b.name}: {b.score} points" for b in self.bars)


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def bar_chart(entries: list[LeaderboardEntry], me: uuid.UUID | None = None) -> Chart | None:
    """Bars for the first ten entries, scaled to the best score; None when there are none."""
    top = entries[:TOP_N]
    if not top:
        return None
    best = max(e.score for e in top) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            rank=e.rank,
            name=_short(e.user.display_name or e.user.username),
            score=e.score,
            y=TOP + i * (BAR_HEIGHT + GAP),
            # Every ranked member has a score > 0: keep their bar visible.
            width=max(2, round(span * e.score / best)),
            is_me=me is not None and e.user.id == me,
        )
        for i, e in enumerate(top)
    ]
    height = TOP * 2 + len(bars) * BAR_HEIGHT + (len(bars) - 1) * GAP
    return Chart(WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, bars)
