"""Threaded comments on posts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow


class Comment(UUIDPrimaryKey, Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_created", "post_id", "created_at", "id"),
        # Top-level comment pages, oldest and newest (migration 0004).
        Index(
            "ix_comments_post_roots",
            "post_id",
            "created_at",
            "id",
            postgresql_where=text("parent_id IS NULL"),
            sqlite_where=text("parent_id IS NULL"),
        ),
    )

    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    depth: Mapped[int] = mapped_column(default=0)
    content: Mapped[str] = mapped_column(Text)
    reaction_count: Mapped[int] = mapped_column(default=0)
    reply_count: Mapped[int] = mapped_column(default=0)
    edited_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    deleted_at: Mapped[datetime | None]


# sort=top: most reactions first, then oldest (declared here: it needs a column's DESC).
Index(
    "ix_comments_post_roots_top",
    Comment.post_id,
    Comment.reaction_count.desc(),
    Comment.created_at,
    Comment.id,
    postgresql_where=text("parent_id IS NULL"),
    sqlite_where=text("parent_id IS NULL"),
)
