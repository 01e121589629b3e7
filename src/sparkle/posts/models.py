"""Posts, their tags and categories, revisions, views and mentions."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, SoftDeleteMixin, TimestampMixin, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class PostStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"
    REMOVED = "REMOVED"


class Category(UUIDPrimaryKey, Base):
    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    icon: Mapped[str | None] = mapped_column(String(50))
    color: Mapped[str | None] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(UUIDPrimaryKey, Base):
    __tablename__ = "tags"
    __table_args__ = (Index("ix_tags_usage_count", "usage_count"),)

    name: Mapped[str] = mapped_column(String(30), unique=True)
    slug: Mapped[str] = mapped_column(String(30), unique=True)
    usage_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(UUIDPrimaryKey, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_status_published_at", "status", "published_at", "id"),
        Index("ix_posts_author_published_at", "author_id", "published_at", "id"),
        Index("ix_posts_category_published_at", "category_id", "published_at", "id"),
        # The "popular" sort: the same expression as repository.POPULARITY (migration 0004).
        Index(
            "ix_posts_status_popularity",
            "status",
            text("(reaction_count * 2 + comment_count * 3 + share_count * 2 + view_count / 10)"),
            "id",
        ),
        CheckConstraint("sentiment >= -1 AND sentiment <= 1", name="valid_sentiment"),
    )

    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(350), unique=True)
    # The validated Tiptap/ProseMirror document, its sanitised HTML rendering and plain text.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_html: Mapped[str] = mapped_column(Text, default="")
    content_text: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str | None] = mapped_column(Text)
    cover_image: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.DRAFT.value)
    published_at: Mapped[datetime | None]
    featured_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    share_count: Mapped[int] = mapped_column(default=0)
    # Denormalised counters, kept exact in the same transaction as the rows they count; they
    # make "popular" sorting and list pages cheap.
    comment_count: Mapped[int] = mapped_column(default=0)
    reaction_count: Mapped[int] = mapped_column(default=0)
    reading_time: Mapped[int] = mapped_column(default=1)
    sentiment: Mapped[float | None]
    ai_suggestions: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    nft_token_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    revision: Mapped[int] = mapped_column(default=1)


class PostTag(Base):
    __tablename__ = "post_tags"

    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class PostRevision(UUIDPrimaryKey, Base):
    """The state of a post before an edit (title, excerpt, document), kept for history."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "revision"),)

    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    excerpt: Mapped[str | None] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostView(Base):
    """At most one counted view per viewer (user id or anonymous session key) per post per day."""

    __tablename__ = "post_views"

    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    viewer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)


class Mention(UUIDPrimaryKey, Base):
    """An @username resolved in a post or a comment."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint(
            "post_id", "comment_id", "mentioned_user_id", name="uq_mentions_target_user"
        ),
        CheckConstraint("post_id IS NOT NULL OR comment_id IS NOT NULL", name="mention_target"),
        # The constraint above treats NULL comment ids as distinct: these make a user mentioned
        # at most once per post and once per comment.
        Index(
            "uq_mentions_post_user",
            "post_id",
            "mentioned_user_id",
            unique=True,
            postgresql_where=text("comment_id IS NULL"),
            sqlite_where=text("comment_id IS NULL"),
        ),
        Index(
            "uq_mentions_comment_user",
            "comment_id",
            "mentioned_user_id",
            unique=True,
            postgresql_where=text("comment_id IS NOT NULL"),
            sqlite_where=text("comment_id IS NOT NULL"),
        ),
    )

    mentioned_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendingPost(Base):
    """Time-decayed trending scores, recomputed by a periodic job (the seed's trending_posts)."""

    __tablename__ = "trending_posts"

    post_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(index=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
