"""Notification, preference and broadcast schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from sparkle.accounts.schemas import check_timezone
from sparkle.core.schemas import InputSchema, Schema
from sparkle.notifications.models import Channel, NotificationType
from sparkle.notifications.preferences import Preferences

__all__ = [
    "ActorRead",
    "BroadcastAccepted",
    "BroadcastCreate",
    "NotificationPage",
    "NotificationRead",
    "Preferences",
    "PreferencesUpdate",
    "UnreadCount",
]


class ActorRead(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class NotificationRead(Schema):
    id: uuid.UUID
    type: NotificationType
    title: str
    content: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    target_type: str | None = None
    target_id: uuid.UUID | None = None
    url: str | None = Field(None, description="Where opening the notification leads")
    actors: list[ActorRead] = Field(default_factory=list, description="The latest actors (up to 3)")
    actor_count: int = 0
    read: bool = False
    read_at: datetime | None = None
    created_at: datetime


class NotificationPage(Schema):
    items: list[NotificationRead]
    next_cursor: str | None = None


class UnreadCount(Schema):
    count: int


def _no_control(value: str) -> str:
    value = value.strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("Must not contain control characters")
    if not value:
        raise ValueError("Must not be empty")
    return value


def _timezone_or_empty(value: str) -> str:
    return check_timezone(value) if value else value


class AudienceUsers(InputSchema):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)


class BroadcastCreate(InputSchema):
    title: Annotated[str, Field(max_length=200), AfterValidator(_no_control)]
    content: Annotated[str, Field(max_length=5000), AfterValidator(_no_control)]
    audience: Literal["all", "admins", "moderators"] | AudienceUsers = "all"
    url: str | None = Field(
        None, max_length=500, pattern=r"^/[^/\\]", description="A path on this site"
    )


class BroadcastAccepted(Schema):
    batch_id: uuid.UUID


class PreferencesUpdate(InputSchema):
    """Only the fields present change. `channels` cells override the defaults per type."""

    channels: dict[NotificationType, dict[Channel, bool]] | None = None
    digest: Literal["off", "daily", "weekly"] | None = None
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    timezone: Annotated[str, AfterValidator(_timezone_or_empty)] | None = Field(
        None, description="IANA name; null or empty to follow the profile's time zone"
    )
