"""Reaction schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from sparkle.core.schemas import InputSchema, Schema
from sparkle.reactions.models import ReactionType


class ReactionCreate(InputSchema):
    type: ReactionType


class ReactionSummary(Schema):
    """Fresh counts per type (every type present, zero when nobody reacted so) and the
    caller's own reactions."""

    reaction_counts: dict[str, int] = Field(
        default_factory=lambda: {t.value: 0 for t in ReactionType}
    )
    reaction_count: int = 0
    my_reactions: list[str] = Field(default_factory=list)


class ReactionUserRead(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class ReactorRead(Schema):
    user: ReactionUserRead
    type: str
    created_at: datetime
