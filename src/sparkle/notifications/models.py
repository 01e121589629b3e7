"""Notifications (one row per recipient and group of events) and per-user preferences."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class NotificationType(enum.StrEnum):
    POST_LIKED = "POST_LIKED"
    POST_COMMENTED = "POST_COMMENTED"
    COMMENT_LIKED = "COMMENT_LIKED"
    USER_FOLLOWED = "USER_FOLLOWED"
    ACHIEVEMENT_UNLOCKED = "ACHIEVEMENT_UNLOCKED"
    LEVEL_UP = "LEVEL_UP"
    MENTION = "MENTION"
    SYSTEM = "SYSTEM"
    GROUP_INVITE = "GROUP_INVITE"
    GROUP_POST = "GROUP_POST"
    EVENT_REMINDER = "EVENT_REMINDER"
    WATCH_PARTY_INVITE = "WATCH_PARTY_INVITE"
    DIRECT_MESSAGE = "DIRECT_MESSAGE"
    YOUTUBE_PREMIERE = "YOUTUBE_PREMIERE"
    QUEST_COMPLETE = "QUEST_COMPLETE"
    TRADE_REQUEST = "TRADE_REQUEST"
    CONTENT_FEATURED = "CONTENT_FEATURED"
    MILESTONE_REACHED = "MILESTONE_REACHED"


class Channel(enum.StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    PUSH = "push"


class DigestFrequency(enum.StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


_TYPES = ", ".join(f"'{t.value}'" for t in NotificationType)
_DIGESTS = ", ".join(f"'{d.value}'" for d in DigestFrequency)


class Notification(UUIDPrimaryKey, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"type IN ({_TYPES})", name="notification_type"),
        CheckConstraint("actor_count >= 0", name="actor_count_non_negative"),
        # One open group per recipient and key: concurrent events upsert into the same row.
        # A closed group (read, or its window over) has its key cleared; NULLs never collide.
        UniqueConstraint("user_id", "group_key", name="uq_notifications_user_group"),
        # The recipient's list, newest first (keyset over created_at, id).
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        # Unread counts and the unread filter.
        Index("ix_notifications_user_read", "user_id", "read"),
        Index("ix_notifications_expires_at", "expires_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    # The latest actors (service.KEPT_ACTORS), most recent first; actor_count counts them all.
    actor_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    actor_count: Mapped[int] = mapped_column(default=0)
    # When each actor joined the group, kept only for the withdrawal window.
    recent_actors: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID | None]
    group_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None]
    # The latest activity of the group: a new actor moves the notification to the top.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime | None]


class NotificationPreferences(Base):
    """A user's choices; `channels` stores only the overrides of the defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint(f"digest IN ({_DIGESTS})", name="digest_frequency"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # {"POST_LIKED": {"email": false}, ...}
    channels: Mapped[dict[str, dict[str, bool]]] = mapped_column(JSONType, default=dict)
    digest: Mapped[str] = mapped_column(String(10), default=DigestFrequency.WEEKLY.value)
    quiet_hours_start: Mapped[time | None] = mapped_column(Time)
    quiet_hours_end: Mapped[time | None] = mapped_column(Time)
    # None: the profile's timezone.
    timezone: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
