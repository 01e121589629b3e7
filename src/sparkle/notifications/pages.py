"""Notification pages: the header bell's count, the notifications list (open, mark read, mark
all read, delete) and the preferences matrix at `/settings/notifications`. Every change goes
through the same services as the JSON API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.auth.deps import OptionalPrincipal, check_csrf
from sparkle.core import events
from sparkle.core.deps import DbSession
from sparkle.core.errors import SparkleError, ValidationFailed
from sparkle.notifications import preferences, service
from sparkle.notifications.models import Channel, NotificationType
from sparkle.notifications.schemas import NotificationRead, PreferencesUpdate
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    is_htmx,
    redirect,
    render,
    render_error,
    safe_next,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
PAGE_SIZE = 30

TYPE_LABELS: dict[NotificationType, str] = {
    NotificationType.POST_LIKED: "Reactions to my posts",
    NotificationType.COMMENT_LIKED: "Reactions to my comments",
    NotificationType.POST_COMMENTED: "Comments and replies",
    NotificationType.MENTION: "Mentions",
    NotificationType.USER_FOLLOWED: "New followers",
    NotificationType.DIRECT_MESSAGE: "Direct messages",
    NotificationType.ACHIEVEMENT_UNLOCKED: "Achievements",
    NotificationType.LEVEL_UP: "Level ups",
    NotificationType.QUEST_COMPLETE: "Quests completed",
    NotificationType.MILESTONE_REACHED: "Milestones",
    NotificationType.GROUP_INVITE: "Group invitations",
    NotificationType.GROUP_POST: "Posts in my groups",
    NotificationType.EVENT_REMINDER: "Event reminders",
    NotificationType.WATCH_PARTY_INVITE: "Watch party invitations",
    NotificationType.YOUTUBE_PREMIERE: "YouTube premieres",
    NotificationType.TRADE_REQUEST: "Trade requests",
    NotificationType.CONTENT_FEATURED: "My content featured",
    NotificationType.SYSTEM: "Announcements",
}
CHANNEL_LABELS = {Channel.IN_APP: "In the app", Channel.EMAIL: "Email", Channel.PUSH: "Push"}
ICONS = {
    NotificationType.POST_LIKED: "♥",
    NotificationType.COMMENT_LIKED: "♥",
    NotificationType.POST_COMMENTED: "💬",
    NotificationType.MENTION: "@",
    NotificationType.USER_FOLLOWED: "➕",
    NotificationType.SYSTEM: "📣",
}
TABS = {"all": "All", "unread": "Unread"}


def _day_label(when: datetime, now: datetime) -> str:
    days = (now.date() - when.date()).days
    if days <= 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return "This week"
    return "Earlier"


def _by_day(items: list[NotificationRead]) -> list[tuple[str, list[NotificationRead]]]:
    now = datetime.now(UTC)
    groups: list[tuple[str, list[NotificationRead]]] = []
    for item in items:
        label = _day_label(item.created_at, now)
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(item)
    return groups


@router.get("/notifications/bell")
async def bell(request: Request, principal: OptionalPrincipal, db: DbSession) -> Response:
    """The header bell's badge (HTMX polls it; the realtime layer may set it directly)."""
    if principal is None:
        return Response(status_code=204)
    count = await service.unread_count(db, principal.user.id)
    return render(request, "notifications/_bell_count.html", {"count": count})


@router.get("/notifications")
async def notifications_page(request: Request, user: PageUser, db: DbSession) -> Response:
    tab = request.query_params.get("tab", "all")
    tab = tab if tab in TABS else "all"
    cursor = request.query_params.get("cursor")
    try:
        page = await service.list_for_user(
            db, user, cursor=cursor, limit=PAGE_SIZE, unread=tab == "unread"
        )
    except SparkleError as exc:
        return render_error(request, 400, "This page does not exist", exc.detail)
    context: dict[str, Any] = {
        "groups": _by_day(page.items),
        "tab": tab,
        "tabs": TABS,
        "icons": ICONS,
        "next_url": f"/notifications?tab={tab}&cursor={page.next_cursor}"
        if page.next_cursor
        else None,
        "unread": await service.unread_count(db, user.id),
    }
    if is_htmx(request) and cursor:
        return render(request, "notifications/_items.html", context)
    return render(request, "notifications/index.html", context)


@router.get("/notifications/{notification_id}/open")
async def open_notification(
    request: Request, notification_id: uuid.UUID, user: PageUser, db: DbSession
) -> Response:
    """Mark the notification read and go to what it is about."""
    try:
        item = await service.mark_read(db, user, notification_id)
    except SparkleError:
        return render_error(request, 404, "Notification not found")
    return redirect(request, safe_next(item.url, "/notifications"))


@router.post("/notifications/{notification_id}/read", dependencies=CSRF)
async def read_one(
    request: Request, notification_id: uuid.UUID, user: PageUser, db: DbSession
) -> Response:
    try:
        item = await service.mark_read(db, user, notification_id)
    except SparkleError:
        return render_error(request, 404, "Notification not found")
    if not is_htmx(request):
        return redirect(request, "/notifications")
    count = await service.unread_count(db, user.id)
    return render(
        request,
        "notifications/_item.html",
        {"n": item, "icons": ICONS},
        headers={"HX-Trigger": f'{{"sparkle:unread-count": {count}}}'},
    )


@router.post("/notifications/{notification_id}/delete", dependencies=CSRF)
async def delete_one(
    request: Request, notification_id: uuid.UUID, user: PageUser, db: DbSession
) -> Response:
    try:
        await service.delete(db, user, notification_id)
    except SparkleError:
        return render_error(request, 404, "Notification not found")
    if not is_htmx(request):
        return redirect(request, "/notifications", message="Notification deleted.")
    count = await service.unread_count(db, user.id)
    return Response("", headers={"HX-Trigger": f'{{"sparkle:unread-count": {count}}}'})


@router.post("/notifications/read-all", dependencies=CSRF)
async def read_all(request: Request, user: PageUser, db: DbSession) -> Response:
    changed = await service.mark_all_read(db, user)
    message = "All caught up." if changed else None
    return redirect(request, "/notifications", message=message)


# --- preferences ---------------------------------------------------------------------------


def _form_context(
    prefs: preferences.Preferences, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "prefs": prefs,
        "rows": [(t, TYPE_LABELS[t]) for t in TYPE_LABELS],
        "channels": list(CHANNEL_LABELS.items()),
        "errors": errors or {},
    }


@router.get("/settings/notifications")
async def preferences_page(request: Request, user: PageUser, db: DbSession) -> Response:
    prefs = await preferences.get_preferences(db, user.id)
    return render(request, "notifications/preferences.html", _form_context(prefs))


def _time(value: str | None) -> time | None:
    value = (value or "").strip()
    return time.fromisoformat(value) if value else None


def _update_from(form: dict[str, str]) -> PreferencesUpdate:
    # Unchecked boxes are not sent: every cell of the matrix is in the form, so absence is "off".
    channels = {
        t: {c: f"ch.{t.value}.{c.value}" in form for c in Channel} for t in NotificationType
    }
    try:
        start, end = _time(form.get("quiet_hours_start")), _time(form.get("quiet_hours_end"))
    except ValueError:
        raise ValidationFailed("Invalid time", fields={"quietHoursStart": "Use HH:MM"}) from None
    return PreferencesUpdate(
        channels=channels,
        digest=form.get("digest", "weekly"),
        quiet_hours_start=start,
        quiet_hours_end=end,
        timezone=(form.get("timezone") or "").strip(),
    )


@router.post("/settings/notifications", dependencies=CSRF)
async def save_preferences(request: Request, user: PageUser, db: DbSession) -> Response:
    form = await form_data(request)
    try:
        async with events.savepoint(db):
            await service.update_preferences(db, user, _update_from(form))
    except (ValidationError, SparkleError) as exc:
        prefs = await preferences.get_preferences(db, user.id)
        return render(
            request,
            "notifications/preferences.html",
            _form_context(prefs, field_errors(exc)),
            400,
        )
    return redirect(request, "/settings/notifications", message="Notification preferences saved.")
