"""Server-rendered pages: the Jinja2 environment, the context every page gets (viewer, CSRF
token, flash messages, theme) and the small HTTP helpers the page routers share."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jwt
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from pydantic.alias_generators import to_snake

from sparkle.accounts.models import Role, User
from sparkle.auth.deps import CSRF_COOKIE, OptionalPrincipal, new_csrf_token
from sparkle.core import security
from sparkle.core.config import Settings
from sparkle.core.errors import SparkleError

TEMPLATES_DIR = Path(__file__).parent / "templates"
FLASH_COOKIE = "sparkle_flash"
FLASH_SECONDS = 60
DEFAULT_ACCENT = "#8b5cf6"
FLASH_KINDS = ("success", "info", "warning", "error")


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M UTC") -> str:
    return value.strftime(fmt) if value else ""


def on_accent(color: str | None) -> str:
    """The text colour (near-black or white) with the better WCAG contrast on `color`."""
    try:
        r, g, b = (int((color or DEFAULT_ACCENT)[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except ValueError:
        return "#ffffff"

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    # Contrast with white is 1.05 / (L + 0.05); with #111827 (L ≈ 0.0116) it is (L + 0.05) / 0.0616.
    return "#111827" if (luminance + 0.05) / 0.0616 > 1.05 / (luminance + 0.05) else "#ffffff"


def initials(name: str | None) -> str:
    parts = [p for p in (name or "?").replace("_", " ").replace("-", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["dt"] = format_datetime
templates.env.filters["on_accent"] = on_accent
templates.env.filters["initials"] = initials


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the layout needs them: plain values, safe to use after a rollback."""

    id: uuid.UUID | None
    username: str
    display_name: str
    role: str
    theme: str = "system"
    accent_color: str = DEFAULT_ACCENT
    verified: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def viewer_of(user: User) -> Viewer:
    return Viewer(
        id=user.id,
        username=user.username,
        display_name=user.profile.display_name,
        role=user.role,
        theme=user.profile.theme,
        accent_color=user.profile.accent_color,
        verified=user.email_verified is not None,
    )


async def get_viewer(request: Request, principal: OptionalPrincipal) -> Viewer | None:
    """Page dependency: resolves the caller once and keeps a snapshot for the layout."""
    viewer = viewer_of(principal.user) if principal else None
    request.state.viewer = viewer
    return viewer


PageViewer = Annotated[Viewer | None, Depends(get_viewer)]


def settings_of(request: Request) -> Settings:
    return request.app.state.runtime.settings


def _claims_viewer(request: Request, settings: Settings) -> Viewer | None:
    """For pages that never resolved the caller (an unknown URL): name and role from the
    signed access cookie, enough for the navigation."""
    token = request.cookies.get("sparkle_access")
    if not token:
        return None
    try:
        claims = security.decode_access_token(settings, token)
    except jwt.PyJWTError:
        return None
    name = str(claims.get("username", ""))
    return Viewer(id=None, username=name, display_name=name, role=str(claims.get("role", "")))


# --- flash messages: a short-lived signed cookie, read once by the next rendered page --------


def _flash_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="sparkle.flash")


def flash(request: Request, response: Response, message: str, kind: str = "success") -> Response:
    settings = settings_of(request)
    response.set_cookie(
        FLASH_COOKIE,
        _flash_serializer(settings).dumps([[kind, message]]),
        max_age=FLASH_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )
    return response


def _take_flashes(request: Request, settings: Settings) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        items = _flash_serializer(settings).loads(raw, max_age=FLASH_SECONDS)
    except BadSignature:
        return []
    return [
        {"kind": kind if kind in FLASH_KINDS else "info", "message": str(message)}
        for kind, message in items
    ]


# --- responses -----------------------------------------------------------------------------


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    notices: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    """Render `template` with the page context; sets the CSRF cookie and consumes flashes."""
    settings = settings_of(request)
    state = request.state._state
    viewer: Viewer | None = (
        state["viewer"] if "viewer" in state else _claims_viewer(request, settings)
    )
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    flashes = _take_flashes(request, settings) + [
        {"kind": k, "message": m} for k, m in notices or []
    ]
    accent = viewer.accent_color if viewer else DEFAULT_ACCENT
    page: dict[str, Any] = {
        "viewer": viewer,
        "csrf_token": csrf,
        "flashes": flashes,
        "theme": viewer.theme if viewer else "system",
        "accent": accent,
        "on_accent_color": on_accent(accent),
        "debug_pages": settings.debug_pages and not settings.is_production,
        "require_verification": settings.require_email_verification,
        "path": request.url.path,
    }
    page.update(context or {})
    response = templates.TemplateResponse(
        request, template, page, status_code=status, headers=dict(headers or {})
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=settings.refresh_token_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_error(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status,
        headers=headers,
    )


def redirect(
    request: Request, url: str, *, message: str | None = None, kind: str = "success"
) -> Response:
    """303 to `url` (or `HX-Redirect` for an HTMX request), with an optional flash message."""
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if message:
        flash(request, response, message, kind)
    return response


# Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` would
# leave the site; no control character, space or backslash may appear anywhere.
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths may be a post-sign-in destination (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if len(value) > 2048 or _UNSAFE_PATH_CHARS.search(value):
        return default
    return value


def signin_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, f"/signin?next={quote(target, safe='/')}")


# --- forms -------------------------------------------------------------------------------------


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required"
    message = str(error.get("msg", "Invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def field_errors(exc: ValidationError | SparkleError) -> dict[str, str]:
    """Errors keyed by form field name (snake_case), first message per field."""
    errors: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = error.get("loc") or ("form",)
            errors.setdefault(to_snake(str(loc[0])), _message(error))
    else:
        for item in exc.fields:
            errors.setdefault(to_snake(item.field), item.message)
    return errors
