"""Events of the reactions domain."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from sparkle.core.events import DomainEvent


class ReactionEvent(DomainEvent):
    """A member's reaction of `type` on a post or a comment (`targetType`)."""

    target_type: Literal["post", "comment"]
    target_id: uuid.UUID
    post_id: uuid.UUID
    comment_id: uuid.UUID | None
    user_id: uuid.UUID
    type: str


class ReactionAdded(ReactionEvent):
    """A member reacted to a post or a comment."""

    name: ClassVar[str] = "reaction:added"


class ReactionRemoved(ReactionEvent):
    """A member took a reaction back."""

    name: ClassVar[str] = "reaction:removed"
