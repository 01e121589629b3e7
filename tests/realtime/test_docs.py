"""docs/realtime.md is generated from the protocol's models and must match them."""

from __future__ import annotations

import subprocess
import sys

from sparkle.realtime import docs
from sparkle.realtime.schemas import CLIENT_EVENTS, SERVER_EVENTS
from tests.fixtures.database import ROOT


def test_realtime_doc_matches_the_models() -> None:
    # A fresh interpreter: what other tests registered in this one must not count.
    rendered = subprocess.run(
        [sys.executable, "-m", "sparkle.realtime.docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    written = (ROOT / "docs" / "realtime.md").read_text()
    assert written == rendered, "run: python -m sparkle.realtime.docs > docs/realtime.md"


def test_every_event_is_documented_with_its_fields() -> None:
    text = docs.render()
    for spec in [*CLIENT_EVENTS, *SERVER_EVENTS]:
        assert f"`{spec.name}`" in text
    assert '"channelType"' in text and '"reactionType"' in text and '"socketId"' in text
