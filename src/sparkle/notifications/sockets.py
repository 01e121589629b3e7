"""Socket routes of the notifications domain: the `notification` toast and the bell's
`unreadCountUpdate`, to the recipient's `user:{id}` room."""

from __future__ import annotations

from typing import Any

from sparkle import realtime
from sparkle.notifications.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationsRead,
)


@realtime.route(NotificationCreated)
async def _created(ctx: Any, event: NotificationCreated) -> None:
    room = f"user:{event.user_id}"
    # The toast honours the recipient's push switch and quiet hours, decided once when the
    # notification was written; the unread count always follows so the bell stays right.
    if event.push:
        await ctx.emit("notification", event.notification, room)
    if event.unread_count is not None:
        await ctx.emit("unreadCountUpdate", event.unread_count, room)


async def _count_changed(ctx: Any, event: NotificationsRead | NotificationDeleted) -> None:
    await ctx.emit("unreadCountUpdate", event.unread_count, f"user:{event.user_id}")


# One handler for both events (not stacked decorators, which would type it for one event).
realtime.route(NotificationDeleted)(_count_changed)
realtime.route(NotificationsRead)(_count_changed)
