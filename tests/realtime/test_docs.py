"""docs/realtime.md is generated from the protocol's models and must match them."""

from __future__ import annotations

from sparkle.realtime import docs
from sparkle.realtime.schemas import CLIENT_EVENTS, SERVER_EVENTS
from tests.fixtures.docs import rendered, written


def test_realtime_doc_matches_the_models() -> None:
    assert written("realtime.md") == rendered("sparkle.realtime.docs"), (
        "run: python -m sparkle.realtime.docs > docs/realtime.md"
    )


def test_every_event_is_documented_with_its_fields() -> None:
    text = docs.render()
    for spec in [*CLIENT_EVENTS, *SERVER_EVENTS]:
        assert f"`{spec.name}`" in text
    assert '"channelType"' in text and '"reactionType"' in text and '"socketId"' in text
