"""Reactions (LIKE, LOVE, LAUGH, WOW, SAD, ANGRY) on posts and comments."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow


class ReactionType(enum.StrEnum):
    LIKE = "LIKE"
    LOVE = "LOVE"
    LAUGH = "LAUGH"
    WOW = "WOW"
    SAD = "SAD"
    ANGRY = "ANGRY"


class Reaction(UUIDPrimaryKey, Base):
    __tablename__ = "reactions"
    __table_args__ = (
        CheckConstraint(
            "(post_id IS NOT NULL AND comment_id IS NULL) "
            "OR (post_id IS NULL AND comment_id IS NOT NULL)",
            name="reaction_target",
        ),
        UniqueConstraint("post_id", "user_id", "reaction_type", name="uq_reactions_post_user_type"),
        UniqueConstraint(
            "comment_id", "user_id", "reaction_type", name="uq_reactions_comment_user_type"
        ),
        # Who reacted to a post, newest first (migration 0004).
        Index("ix_reactions_post_created", "post_id", "created_at", "id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE")
    )
    reaction_type: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
