"""Notification mail, batched the way Discourse does it.

The notifications domain enqueues `email.notification` a short while after a notification is
created (20 s for a direct message, 10 min for the rest, one waiting job per user). When the
job runs it collects everything the user has not read in the app and has not been mailed
about yet, keeps the types they want by email, and sends one mail: the type's own template
for a single notification, the summary template for several. During the user's quiet hours
it waits until they end.
"""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core.db import utcnow
from sparkle.core.runtime import Runtime
from sparkle.email import catalog, repository, service
from sparkle.email.models import EmailCategory, EmailedNotification
from sparkle.notifications import preferences
from sparkle.notifications.models import Notification, NotificationType

# Older unread notifications are left to the digest and the app.
MAX_AGE = timedelta(days=7)
MAX_ITEMS = 50
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class Batch:
    status: str  # "sent", "empty", "skipped", "delayed", "duplicate"
    delay: float = 0.0
    count: int = 0


def quiet_hours_left(prefs: preferences.Preferences, now: datetime) -> float:
    """Seconds until the user's quiet hours end (0 when they are not in them)."""
    if not preferences.in_quiet_hours(prefs, now) or prefs.quiet_hours_end is None:
        return 0.0
    try:
        tz = zoneinfo.ZoneInfo(prefs.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(tz)
    end = local.replace(
        hour=prefs.quiet_hours_end.hour,
        minute=prefs.quiet_hours_end.minute,
        second=0,
        microsecond=0,
    )
    if end <= local:
        end += timedelta(days=1)
    return max(1.0, (end.astimezone(UTC) - now).total_seconds())


async def pending(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[Notification]:
    """The user's unread, unexpired, recent notifications that were never mailed, oldest first."""
    return await repository.unmailed_notifications(
        session, user_id, now, since=now - MAX_AGE, limit=MAX_ITEMS
    )


async def _actor_names(
    session: AsyncSession, rows: list[Notification]
) -> dict[str, tuple[str, str]]:
    ids = {uuid.UUID(a) for n in rows for a in (n.actor_ids or [])[:1]}
    if not ids:
        return {}
    found = await repository.names(session, ids)
    return {str(i): (username, name or username) for i, username, name in found}


def _url(base: str, n: Notification, actor_username: str | None) -> str:
    data = n.data or {}
    link = data.get("url") or data.get("link")
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//"):
        return base + link
    post_id = data.get("postId") or (str(n.target_id) if n.target_type == "post" else None)
    if post_id:
        anchor = f"#comment-{data['commentId']}" if data.get("commentId") else ""
        return f"{base}/p/{post_id}{anchor}"
    if n.type == NotificationType.USER_FOLLOWED and actor_username:
        return f"{base}/u/{actor_username}"
    return f"{base}/notifications"


def notification_context(
    base: str, n: Notification, actors: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """What a notification template sees as `notification`: the row's data (camelCase, as the
    seed's templates name it) plus the actor, the link, the title and the message."""
    first = n.actor_ids[0] if n.actor_ids else None
    username, name = actors.get(str(first), (None, "Someone")) if first else (None, "Someone")
    data = {
        k: v
        for k, v in (n.data or {}).items()
        if isinstance(v, _SCALARS)
        or (isinstance(v, list) and all(isinstance(i, _SCALARS) for i in v))
    }
    return {
        **data,
        "type": n.type,
        "actorName": data.get("actorName") or name,
        "othersCount": max(0, (n.actor_count or 1) - 1),
        "title": n.title,
        "message": n.content or "",
        "url": _url(base, n, username),
    }


async def send_batch(rt: Runtime, user_id: uuid.UUID) -> Batch:
    """Mail the user what is waiting for them (see the module docstring)."""
    await service.resend_unsent(rt, user_id, EmailCategory.NOTIFICATION)
    now = utcnow()
    base = rt.settings.base_url.rstrip("/")
    async with rt.sessions() as session:
        who = await service.recipient(session, user_id)
        if who is None or not who.verified:
            return Batch("skipped")
        prefs = await preferences.get_preferences(session, user_id)
        rows = [
            n
            for n in await pending(session, user_id, now)
            if n.type in NotificationType.__members__
            and prefs.channels[NotificationType(n.type)][preferences.Channel.EMAIL]
        ]
        if not rows:
            return Batch("empty")
        wait = quiet_hours_left(prefs, now)
        if wait:
            return Batch("delayed", delay=wait)
        actors = await _actor_names(session, rows)
    items = [notification_context(base, n, actors) for n in rows]
    user = {"name": who.name, "username": who.username}
    if len(rows) == 1:
        template = catalog.template_for(rows[0].type)
        context: dict[str, Any] = {"user": user, "accent": who.accent, "notification": items[0]}
        scope = NotificationType(rows[0].type).value
    else:
        template, scope = "notification_summary", "notifications"
        context = {
            "user": user,
            "accent": who.accent,
            "notifications_url": f"{base}/notifications",
            "items": [_summary_item(rt, user, item) for item in items],
        }
    key = service.payload_key("notify", {"ids": sorted(str(n.id) for n in rows)})
    out = service.Outgoing(
        who.email,
        template,
        context,
        key,
        user_id=user_id,
        category=EmailCategory.NOTIFICATION,
        scope=scope,
        attach=[EmailedNotification(notification_id=n.id) for n in rows],
    )
    outcome = await service.deliver(rt, out)
    return Batch(outcome.status, delay=outcome.delay, count=len(rows))


def _summary_item(rt: Runtime, user: dict[str, str], item: dict[str, Any]) -> dict[str, str]:
    """One line of the summary: the notification's title, else its own mail's subject."""
    title = (
        item.get("title")
        or rt.mailer.render(
            catalog.template_for(item["type"]), {"user": user, "notification": item}
        ).subject
    )
    return {"title": str(title), "message": str(item.get("message") or ""), "url": item["url"]}
