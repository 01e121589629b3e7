"""Follow and unfollow buttons on public profiles (`/u/{username}`), through the same service
as `POST /api/users/{id}/follow`; an HTMX click gets the refreshed button and counts back."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sparkle.accounts import service as accounts_service
from sparkle.accounts.errors import UserNotFound
from sparkle.accounts.models import User
from sparkle.auth.deps import OptionalPrincipal, check_csrf
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.social import service
from sparkle.social.errors import SelfFollow
from sparkle.web.rendering import get_viewer, is_htmx, redirect, render, render_error

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]


async def _change(
    request: Request,
    username: str,
    principal: OptionalPrincipal,
    db: DbSession,
    rt: RuntimeDep,
    *,
    on: bool,
) -> Response:
    profile_url = f"/u/{quote(username, safe='')}"
    if principal is None:
        return redirect(request, f"/signin?next={quote(profile_url, safe='/')}")
    actor = principal.user
    try:
        user = await accounts_service.access_by_username(db, username)
    except UserNotFound:
        return render_error(request, 404, "Profile not found", f"No one here goes by “{username}”.")
    status = 200
    try:
        if on:
            await service.follow(db, rt.limiter, actor, user.id)
        else:
            await service.unfollow(db, actor, user.id)
    except SelfFollow:
        status = 400  # only a hand-made request gets here: the own profile has no button
    if not is_htmx(request):
        return redirect(request, profile_url)
    return await _follow_box(request, db, user, actor, status)


async def _follow_box(
    request: Request, db: DbSession, user: User, viewer: User, status: int
) -> Response:
    context = {
        "profile": await service.public_profile(db, user, viewer),
        "is_own": viewer.id == user.id,
    }
    return render(request, "social/_follow.html", context, status)


@router.post("/u/{username}/follow", dependencies=CSRF)
async def follow(
    request: Request, username: str, principal: OptionalPrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    return await _change(request, username, principal, db, rt, on=True)


@router.post("/u/{username}/unfollow", dependencies=CSRF)
async def unfollow(
    request: Request, username: str, principal: OptionalPrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    return await _change(request, username, principal, db, rt, on=False)
