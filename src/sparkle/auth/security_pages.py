"""Account security pages: active sessions (revoke one or all), password change and TOTP
two-factor enrolment, recovery codes and removal — each one auth service call."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from sparkle.auth import service
from sparkle.auth.deps import check_csrf
from sparkle.auth.pages import clear_session_cookies
from sparkle.auth.schemas import ChangePasswordRequest, TwoFactorCode, TwoFactorDisable
from sparkle.auth.service import Principal
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import NotFound, SparkleError
from sparkle.web.guards import PagePrincipal
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    is_htmx,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
SECURITY = "/settings/security"


def _security_page(
    request: Request, principal: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    user = principal.user
    page = {
        "two_factor_enabled": user.totp_enabled_at is not None,
        "two_factor_since": user.totp_enabled_at,
        "errors": {},
        "section": None,
        **context,
    }
    return render(request, "accounts/security.html", page, status)


def _failed(
    request: Request,
    principal: Principal,
    section: str,
    exc: ValidationError | SparkleError,
    **context: Any,
) -> Response:
    errors = field_errors(exc)
    if not errors:
        errors["form"] = exc.detail if isinstance(exc, SparkleError) else "Invalid input"
    status = exc.status if isinstance(exc, SparkleError) else 400
    return _security_page(request, principal, status, section=section, errors=errors, **context)


@router.get("/settings/sessions")
async def sessions(request: Request, principal: PagePrincipal, db: DbSession) -> Response:
    rows = await service.list_sessions(db, principal)
    return render(request, "accounts/sessions.html", {"sessions": rows})


@router.post("/settings/sessions/{session_id}/revoke", dependencies=CSRF)
async def revoke_session(
    request: Request, session_id: uuid.UUID, principal: PagePrincipal, db: DbSession
) -> Response:
    try:
        await service.revoke_session(db, principal, session_id)
    except NotFound:
        if is_htmx(request):
            raise
        return redirect(
            request, "/settings/sessions", message="That session had already ended.", kind="info"
        )
    if session_id == principal.session_id:
        response = redirect(request, "/signin", message="This device is signed out.")
        clear_session_cookies(request, response)
        return response
    if is_htmx(request):
        return HTMLResponse("")  # the row is replaced by nothing
    return redirect(request, "/settings/sessions", message="Session revoked.")


@router.post("/settings/sessions/revoke-all", dependencies=CSRF)
async def revoke_all_sessions(
    request: Request, principal: PagePrincipal, db: DbSession
) -> Response:
    await service.logout_all(db, principal)
    response = redirect(request, "/signin", message="You are signed out on every device.")
    clear_session_cookies(request, response)
    return response


@router.get(SECURITY)
async def security(request: Request, principal: PagePrincipal) -> Response:
    return _security_page(request, principal)


@router.post(SECURITY + "/password", dependencies=CSRF)
async def change_password(
    request: Request, principal: PagePrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    form = await form_data(request)
    try:
        data = ChangePasswordRequest(
            current_password=form.get("current_password", ""),
            new_password=form.get("new_password", ""),
        )
        await service.change_password(db, rt, principal, data)
    except (ValidationError, SparkleError) as exc:
        return _failed(request, principal, "password", exc)
    return redirect(
        request, SECURITY, message="Password changed. Your other devices were signed out."
    )


@router.post(SECURITY + "/2fa/setup", dependencies=CSRF)
async def two_factor_setup(
    request: Request, principal: PagePrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    form = await form_data(request)
    try:
        setup = await service.setup_two_factor(db, rt, principal.user, form.get("password", ""))
    except SparkleError as exc:
        return _failed(request, principal, "setup", exc)
    return _security_page(request, principal, section="enrol", setup=setup)


@router.post(SECURITY + "/2fa/confirm", dependencies=CSRF)
async def two_factor_confirm(
    request: Request, principal: PagePrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    form = await form_data(request)
    try:
        codes = await service.confirm_two_factor(
            db, rt, principal.user, TwoFactorCode(code=form.get("code", "")).code
        )
    except (ValidationError, SparkleError) as exc:
        # The QR code was shown once; the key is enough to retry in the authenticator app.
        return _failed(request, principal, "enrol", exc, pending_secret=principal.user.totp_secret)
    return _security_page(
        request,
        principal,
        section="codes",
        recovery_codes=codes,
        notice="Two-factor authentication is on. Keep these recovery codes somewhere safe.",
    )


@router.post(SECURITY + "/2fa/recovery-codes", dependencies=CSRF)
async def two_factor_recovery_codes(
    request: Request, principal: PagePrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    form = await form_data(request)
    try:
        code = TwoFactorCode(code=form.get("code", "")).code
        codes = await service.regenerate_recovery_codes(db, rt, principal.user, code)
    except (ValidationError, SparkleError) as exc:
        return _failed(request, principal, "regenerate", exc)
    return _security_page(
        request,
        principal,
        section="codes",
        recovery_codes=codes,
        notice="New recovery codes: the old ones no longer work.",
    )


@router.post(SECURITY + "/2fa/disable", dependencies=CSRF)
async def two_factor_disable(
    request: Request, principal: PagePrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    form = await form_data(request)
    try:
        data = TwoFactorDisable(password=form.get("password", ""), code=form.get("code", ""))
        await service.disable_two_factor(db, rt, principal.user, data.password, data.code)
    except (ValidationError, SparkleError) as exc:
        return _failed(request, principal, "disable", exc)
    return redirect(request, SECURITY, message="Two-factor authentication is off.", kind="info")
