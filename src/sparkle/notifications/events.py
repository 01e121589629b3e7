"""Events of the notifications domain: what the bell and the toasts follow."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sparkle.core.events import DomainEvent


class NotificationCreated(DomainEvent):
    """A notification was written or grouped into (`notification`: its read model). `push` says
    whether the member wants a live toast now; `unreadCount` is set when the count changed."""

    name: ClassVar[str] = "notification:created"
    user_id: uuid.UUID
    notification: dict[str, Any]
    push: bool
    unread_count: int | None = None


class NotificationUpdated(DomainEvent):
    """A grouped notification lost an actor (a like taken back) and was re-titled."""

    name: ClassVar[str] = "notification:updated"
    user_id: uuid.UUID
    notification: dict[str, Any]


class NotificationsRead(DomainEvent):
    """Notifications were marked read (`ids` null: all of them)."""

    name: ClassVar[str] = "notification:read"
    user_id: uuid.UUID
    ids: list[uuid.UUID] | None
    unread_count: int


class NotificationDeleted(DomainEvent):
    """A notification was deleted (by its recipient, or withdrawn with its cause)."""

    name: ClassVar[str] = "notification:deleted"
    user_id: uuid.UUID
    id: uuid.UUID
    unread_count: int
