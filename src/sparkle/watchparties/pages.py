"""Watch party pages: live and upcoming parties with a form to create one, and the party page
(player, synced state, chat, participants; after the party, the timeline of moments)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.auth.deps import OptionalPrincipal, check_csrf
from sparkle.core import events
from sparkle.core.deps import DbSession
from sparkle.core.errors import SparkleError
from sparkle.watchparties import service
from sparkle.watchparties.schemas import PartyCreate
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]


def clock(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


@router.get("/watch-parties")
async def parties_page(request: Request, principal: OptionalPrincipal, db: DbSession) -> Response:
    viewer = principal.user if principal else None
    live = await service.list_parties(db, viewer, status="live", cursor=None, limit=30)
    upcoming = await service.list_parties(db, viewer, status="upcoming", cursor=None, limit=30)
    return render(
        request,
        "watchparties/index.html",
        {"live": live.items, "upcoming": upcoming.items, "errors": {}},
    )


@router.post("/watch-parties", dependencies=CSRF)
async def create_party(request: Request, user: PageUser, db: DbSession) -> Response:
    form = await form_data(request)
    try:
        data = PartyCreate(
            youtube_video_id=form.get("youtube_video_id", "").strip(),
            title=form.get("title", ""),
            description=form.get("description") or None,
            visibility=form.get("visibility", "public"),
            scheduled_for=datetime.fromisoformat(form["scheduled_for"])
            if form.get("scheduled_for")
            else None,
        )
        async with events.savepoint(db):
            party = await service.create(db, user, data)
    except (ValidationError, SparkleError, ValueError) as exc:
        errors = (
            field_errors(exc)
            if isinstance(exc, ValidationError | SparkleError)
            else {"scheduledFor": "Invalid time"}
        )
        live = await service.list_parties(db, user, status="live", cursor=None, limit=30)
        upcoming = await service.list_parties(db, user, status="upcoming", cursor=None, limit=30)
        return render(
            request,
            "watchparties/index.html",
            {"live": live.items, "upcoming": upcoming.items, "errors": errors, "form": form},
            400,
        )
    return redirect(request, f"/watch-parties/{party.id}")


@router.get("/watch-parties/{party_id}")
async def party_page(
    request: Request, party_id: uuid.UUID, principal: OptionalPrincipal, db: DbSession
) -> Response:
    viewer = principal.user if principal else None
    try:
        party = await service.read(db, viewer, party_id)
    except SparkleError:
        return render_error(request, 404, "Watch party not found")
    context: dict[str, Any] = {
        "party": party,
        "participants": await service.participants(db, viewer, party_id),
        "moments": (await service.list_moments(db, viewer, party_id, cursor=None, limit=200)).items,
        "timeline": await service.timeline(db, viewer, party_id)
        if party.status == "ended"
        else None,
        "clock": clock,
        "is_host": viewer is not None
        and (viewer.id == party.host.id or viewer.id in party.cohost_ids),
    }
    return render(request, "watchparties/party.html", context)
