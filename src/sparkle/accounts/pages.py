"""Public profiles at `/u/{username}` and the profile settings page; profile edits
go through `accounts.service.update_profile`, exactly like `PATCH /api/users/me/profile`."""

from __future__ import annotations

import json
import zoneinfo
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.accounts import service
from sparkle.accounts.errors import UserNotFound
from sparkle.accounts.models import User
from sparkle.accounts.schemas import SOCIAL_NETWORKS, ProfileUpdate
from sparkle.auth.deps import OptionalPrincipal, check_csrf
from sparkle.core.deps import Client, DbSession
from sparkle.core.errors import SparkleError
from sparkle.social import service as social_service
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    is_htmx,
    on_accent,
    redirect,
    render,
    render_error,
    viewer_of,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
NETWORKS = [n for n in SOCIAL_NETWORKS if n != "website"]  # the profile has its own website field
OPTIONAL_TEXT = ("bio", "location", "website", "pronouns", "avatar_url", "banner_url")


@lru_cache
def timezones() -> list[str]:
    return sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


def values_of(user: User) -> dict[str, Any]:
    p = user.profile
    values: dict[str, Any] = {name: getattr(p, name) or "" for name in OPTIONAL_TEXT}
    values.update(
        display_name=p.display_name,
        timezone=p.timezone,
        theme=p.theme,
        accent_color=p.accent_color,
        is_public=p.is_public,
        show_email=p.show_email,
        social=dict(p.social_links or {}),
    )
    return values


def values_from_form(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: form.get(name, "").strip() for name in (*OPTIONAL_TEXT, "display_name", "timezone")
    }
    values.update(
        theme=form.get("theme", "system"),
        accent_color=form.get("accent_color", "").lower(),
        is_public="is_public" in form,
        show_email="show_email" in form,
        social={
            n: form[f"social_{n}"].strip() for n in NETWORKS if form.get(f"social_{n}", "").strip()
        },
    )
    return values


def update_from(values: dict[str, Any]) -> ProfileUpdate:
    """The same schema the JSON API validates; empty optional fields clear the value."""
    payload: dict[str, Any] = {name: values[name] or None for name in OPTIONAL_TEXT}
    payload.update(
        display_name=values["display_name"],
        theme=values["theme"],
        accent_color=values["accent_color"],
        is_public=values["is_public"],
        show_email=values["show_email"],
        social_links=values["social"],
    )
    if values["timezone"]:
        payload["timezone"] = values["timezone"]
    return ProfileUpdate(**payload)


def _profile_form(
    request: Request,
    user: User,
    values: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The whole settings page, or only the form for an HTMX save."""
    context = {
        "values": values,
        "errors": {},
        "networks": NETWORKS,
        "timezones": timezones(),
        "username": user.username,
        **extra,
    }
    template = "accounts/_profile_form.html" if is_htmx(request) else "accounts/profile_edit.html"
    return render(request, template, context, status, headers=headers)


@router.get("/u/{username}")
async def public_profile(
    request: Request, username: str, principal: OptionalPrincipal, db: DbSession
) -> Response:
    viewer = principal.user if principal else None
    try:
        user = await service.access_by_username(db, username)
    except UserNotFound:
        return render_error(request, 404, "Profile not found", f"No one here goes by “{username}”.")
    context = {
        "profile": await social_service.public_profile(db, user, viewer),
        "is_own": viewer is not None and viewer.id == user.id,
    }
    return render(request, "accounts/profile.html", context)


@router.get("/settings/profile")
async def edit_profile(request: Request, user: PageUser) -> Response:
    return _profile_form(request, user, values_of(user))


@router.post("/settings/profile", dependencies=CSRF)
async def save_profile(request: Request, user: PageUser, db: DbSession, client: Client) -> Response:
    values = values_from_form(await form_data(request))
    try:
        user = await service.update_profile(db, user, user, update_from(values), ip=client.ip)
    except (ValidationError, SparkleError) as exc:
        return _profile_form(request, user, values, 400, errors=field_errors(exc))
    request.state.viewer = viewer_of(user)
    if not is_htmx(request):
        return redirect(request, "/settings/profile", message="Profile saved.")
    look = {
        "theme": user.profile.theme,
        "accentColor": user.profile.accent_color,
        "onAccent": on_accent(user.profile.accent_color),
    }
    headers = {"HX-Trigger": json.dumps({"sparkle:profile-saved": look})}
    return _profile_form(request, user, values_of(user), saved=True, headers=headers)


@router.post("/settings/theme", dependencies=CSRF)
async def save_theme(
    request: Request, principal: OptionalPrincipal, db: DbSession, client: Client
) -> Response:
    """The header's theme toggle: stores the choice in the signed-in user's profile."""
    if principal is None:
        return Response(status_code=401)
    form = await form_data(request)
    try:
        data = ProfileUpdate(theme=form.get("theme"))
    except ValidationError:
        return Response(status_code=400)
    await service.update_profile(db, principal.user, principal.user, data, ip=client.ip)
    return Response(status_code=204)
