"""Who is calling: bearer tokens for the API, httpOnly cookies (plus CSRF) for the web pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sparkle.accounts.models import Role, User
from sparkle.auth import service
from sparkle.auth.errors import AdminRequired, CsrfFailed, ModeratorRequired, TwoFactorSetupRequired
from sparkle.auth.service import Principal
from sparkle.core import security
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import Unauthorized

ACCESS_COOKIE = "sparkle_access"
REFRESH_COOKIE = "sparkle_refresh"
CSRF_COOKIE = "sparkle_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login")


async def check_csrf(request: Request) -> None:
    """Double-submit check: the CSRF cookie must come back in a header or form field."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not security.constant_time_equal(cookie, sent):
        raise CsrfFailed()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


async def get_principal_optional(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    if "principal" in request.state._state:
        return request.state.principal
    principal: Principal | None = None
    if credentials is not None:
        principal = await service.authenticate(db, rt, credentials.credentials)
    elif (token := request.cookies.get(ACCESS_COOKIE)) or request.cookies.get(REFRESH_COOKIE):
        await check_csrf(request)
        principal = await _from_cookies(request, db, rt, token)
    request.state.principal = principal
    return principal


async def _from_cookies(
    request: Request, db: DbSession, rt: RuntimeDep, token: str | None
) -> Principal | None:
    if token:
        try:
            return await service.authenticate(db, rt, token)
        except Unauthorized:
            pass
    refresh = request.cookies.get(REFRESH_COOKIE)
    return await service.authenticate_refresh_cookie(db, rt, refresh) if refresh else None


async def get_principal(
    principal: Annotated[Principal | None, Depends(get_principal_optional)],
) -> Principal:
    if principal is None:
        raise Unauthorized("Authentication required")
    return principal


async def get_user_optional(
    principal: Annotated[Principal | None, Depends(get_principal_optional)],
) -> User | None:
    return principal.user if principal else None


async def get_user(principal: Annotated[Principal, Depends(get_principal)]) -> User:
    return principal.user


async def get_admin(user: Annotated[User, Depends(get_user)], rt: RuntimeDep) -> User:
    if user.role != Role.ADMIN:
        raise AdminRequired()
    if rt.settings.require_admin_2fa and user.totp_enabled_at is None:
        raise TwoFactorSetupRequired()
    return user


async def get_moderator(user: Annotated[User, Depends(get_user)]) -> User:
    if user.role not in (Role.ADMIN, Role.MODERATOR):
        raise ModeratorRequired()
    return user


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_principal_optional)]
CurrentUser = Annotated[User, Depends(get_user)]
OptionalUser = Annotated[User | None, Depends(get_user_optional)]
AdminUser = Annotated[User, Depends(get_admin)]
ModeratorUser = Annotated[User, Depends(get_moderator)]
