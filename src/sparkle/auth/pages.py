"""Sign-up, sign-in (with the 2FA step), sign-out, e-mail verification and password reset pages.

Each handler turns a form into one auth service call, the same one the JSON API makes; the
session lives in httpOnly cookies and every unsafe request carries the CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.auth import service
from sparkle.auth.deps import ACCESS_COOKIE, REFRESH_COOKIE, OptionalPrincipal, check_csrf
from sparkle.auth.errors import EmailNotVerified, InvalidToken, TwoFactorRequired
from sparkle.auth.schemas import (
    EmailRequest,
    LoginRequest,
    RegisterRequest,
    ResetPasswordRequest,
    Tokens,
    TwoFactorLoginRequest,
)
from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import SparkleError, ValidationFailed
from sparkle.web.rendering import (
    PageViewer,
    field_errors,
    form_data,
    get_viewer,
    redirect,
    render,
    safe_next,
    settings_of,
    viewer_of,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]


def set_session_cookies(request: Request, response: Response, tokens: Tokens) -> None:
    settings = settings_of(request)
    flags: dict[str, Any] = {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.is_production,
        "path": "/",
    }
    response.set_cookie(
        ACCESS_COOKIE, tokens.access_token, max_age=settings.access_token_minutes * 60, **flags
    )
    response.set_cookie(
        REFRESH_COOKIE, tokens.refresh_token, max_age=settings.refresh_token_days * 86400, **flags
    )


def clear_session_cookies(request: Request, response: Response) -> None:
    secure = settings_of(request).is_production
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def form_failed(
    request: Request,
    template: str,
    exc: ValidationError | SparkleError,
    context: dict[str, Any],
    blame: str = "form",
) -> Response:
    """Re-render a form with the service's field errors inline; an error that names no field
    is shown on field `blame` (by default, above the form)."""
    errors = field_errors(exc)
    # A hidden field (a link's token) cannot show an inline error, so it becomes the form's.
    hidden = errors.pop("token", None) or errors.pop("challenge_token", None)
    if hidden:
        errors["form"] = exc.detail if isinstance(exc, SparkleError) else hidden
    elif not errors:
        errors[blame] = exc.detail if isinstance(exc, SparkleError) else "Invalid input"
    status, headers = (exc.status, exc.headers) if isinstance(exc, SparkleError) else (400, {})
    headers = {k: v for k, v in headers.items() if k.lower() != "www-authenticate"}
    return render(request, template, {**context, "errors": errors}, status, headers=headers)


def missing(form: dict[str, str], *names: str) -> ValidationFailed | None:
    empty = {name: "This field is required" for name in names if not form.get(name, "").strip()}
    return ValidationFailed(fields=empty) if empty else None


@router.get("/signup")
async def signup_form(request: Request, viewer: PageViewer) -> Response:
    if viewer:
        return redirect(request, "/")
    return render(request, "auth/signup.html", {"values": {}, "errors": {}})


@router.post("/signup", dependencies=CSRF)
async def signup(request: Request, db: DbSession, rt: RuntimeDep, client: Client) -> Response:
    form = await form_data(request)
    values = {"email": form.get("email", "").strip(), "username": form.get("username", "").strip()}
    try:
        data = RegisterRequest(
            email=values["email"], username=values["username"], password=form.get("password", "")
        )
        _, tokens = await service.register(db, rt, data, client)
    except (ValidationError, SparkleError) as exc:
        return form_failed(request, "auth/signup.html", exc, {"values": values})
    response = redirect(request, "/check-email")
    set_session_cookies(request, response, tokens)
    return response


@router.get("/signin")
async def signin_form(request: Request, viewer: PageViewer) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if viewer:
        return redirect(request, next_url)
    return render(request, "auth/signin.html", {"values": {}, "errors": {}, "next": next_url})


@router.post("/signin", dependencies=CSRF)
async def signin(request: Request, db: DbSession, rt: RuntimeDep, client: Client) -> Response:
    form = await form_data(request)
    values = {"email": form.get("email", "").strip()}
    context: dict[str, Any] = {"values": values, "next": safe_next(form.get("next"))}
    try:
        if error := missing(form, "email", "password"):
            raise error
        data = LoginRequest(email=values["email"], password=form.get("password", ""))
        user, tokens = await service.login(db, rt, data, client)
    except TwoFactorRequired as exc:
        challenge = {
            "challenge_token": exc.extra["challengeToken"],
            "next": context["next"],
            "errors": {},
        }
        return render(request, "auth/signin_2fa.html", challenge)
    except EmailNotVerified as exc:
        return form_failed(
            request, "auth/signin.html", exc, {**context, "unverified_email": values["email"]}
        )
    except (ValidationError, SparkleError) as exc:
        return form_failed(request, "auth/signin.html", exc, context)
    response = redirect(
        request, context["next"], message=f"Welcome back, {user.profile.display_name}!"
    )
    set_session_cookies(request, response, tokens)
    return response


@router.post("/signin/2fa", dependencies=CSRF)
async def signin_two_factor(
    request: Request, db: DbSession, rt: RuntimeDep, client: Client
) -> Response:
    form = await form_data(request)
    next_url = safe_next(form.get("next"))
    challenge = form.get("challenge_token", "")
    try:
        data = TwoFactorLoginRequest(challenge_token=challenge, code=form.get("code", "").strip())
        user, tokens = await service.login_two_factor(
            db, rt, data.challenge_token, data.code, client
        )
    except InvalidToken as exc:
        return form_failed(request, "auth/signin.html", exc, {"values": {}, "next": next_url})
    except (ValidationError, SparkleError) as exc:
        context = {"challenge_token": challenge, "next": next_url}
        return form_failed(request, "auth/signin_2fa.html", exc, context, blame="code")
    response = redirect(request, next_url, message=f"Welcome back, {user.profile.display_name}!")
    set_session_cookies(request, response, tokens)
    return response


@router.post("/signout", dependencies=CSRF)
async def signout(request: Request, principal: OptionalPrincipal, db: DbSession) -> Response:
    if principal is not None:
        await service.logout(db, principal)
    response = redirect(request, "/", message="You are signed out. See you soon!")
    clear_session_cookies(request, response)
    return response


@router.get("/check-email")
async def check_email(request: Request, principal: OptionalPrincipal) -> Response:
    email = principal.user.email if principal else None
    return render(request, "auth/check_email.html", {"email": email, "errors": {}})


@router.post("/check-email/resend", dependencies=CSRF)
async def resend_verification(
    request: Request, db: DbSession, rt: RuntimeDep, client: Client
) -> Response:
    form = await form_data(request)
    try:
        data = EmailRequest(email=form.get("email", "").strip())
        await service.resend_verification(db, rt, data.email, client)
    except SparkleError as exc:
        return redirect(request, "/check-email", message=exc.detail, kind="error")
    message = "If that account exists and is unverified, a new link is on its way."
    return redirect(request, "/check-email", message=message, kind="info")


@router.get("/verify-email")
async def verify_email(
    request: Request, principal: OptionalPrincipal, db: DbSession, rt: RuntimeDep
) -> Response:
    token = request.query_params.get("token", "")
    try:
        if not token:
            raise ValidationFailed(
                "This link is missing its token; open the link from the mail again."
            )
        user = await service.verify_email(db, rt, token)
    except ValidationFailed as exc:
        return render(
            request, "auth/verify_email.html", {"verified": False, "message": exc.detail}, 400
        )
    if principal is not None and principal.user.id == user.id:
        request.state.viewer = viewer_of(user)
    return render(request, "auth/verify_email.html", {"verified": True, "username": user.username})


@router.get("/forgot-password")
async def forgot_password_form(request: Request) -> Response:
    return render(request, "auth/forgot_password.html", {"values": {}, "errors": {}, "sent": False})


@router.post("/forgot-password", dependencies=CSRF)
async def forgot_password(request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    form = await form_data(request)
    values = {"email": form.get("email", "").strip()}
    try:
        if error := missing(form, "email"):
            raise error
        await service.forgot_password(db, rt, EmailRequest(email=values["email"]).email)
    except (ValidationError, SparkleError) as exc:
        return form_failed(
            request, "auth/forgot_password.html", exc, {"values": values, "sent": False}
        )
    return render(
        request, "auth/forgot_password.html", {"values": values, "errors": {}, "sent": True}
    )


@router.get("/reset-password")
async def reset_password_form(request: Request) -> Response:
    token = request.query_params.get("token", "")
    errors = (
        {}
        if token
        else {"form": "This link is missing its token; open the link from the mail again."}
    )
    return render(
        request,
        "auth/reset_password.html",
        {"token": token, "errors": errors},
        200 if token else 400,
    )


@router.post("/reset-password", dependencies=CSRF)
async def reset_password(request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    form = await form_data(request)
    token = form.get("token", "")
    try:
        data = ResetPasswordRequest(token=token, password=form.get("password", ""))
        await service.reset_password(db, rt, data.token, data.password)
    except (ValidationError, SparkleError) as exc:
        return form_failed(request, "auth/reset_password.html", exc, {"token": token})
    response = redirect(
        request, "/signin", message="Password changed. Sign in with your new password."
    )
    clear_session_cookies(request, response)
    return response
