"""Friendly HTML error pages for browsers. A request that asks for `text/html` outside the API
gets a rendered page; everything else keeps the problem+json answer of core.handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sparkle.auth.errors import AccountSuspended, CsrfFailed
from sparkle.auth.pages import clear_session_cookies
from sparkle.core.errors import SparkleError, Unauthorized
from sparkle.web.guards import SignInRequired
from sparkle.web.rendering import render, render_error, signin_redirect

log = structlog.get_logger(__name__)
Handler = Callable[[Request, Exception], Awaitable[Response]]
API_PREFIXES = ("/api/", "/openapi", "/health", "/metrics", "/socket.io", "/static/", "/media/")
TITLES = {
    400: "Bad request",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    500: "Server error",
}


def wants_html(request: Request) -> bool:
    """A browser navigating to a page; HTMX calls get the problem document, whose detail the
    page script shows, because a whole error page cannot be swapped into a fragment."""
    if request.url.path.startswith(API_PREFIXES) or request.headers.get("HX-Request") == "true":
        return False
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Wrap the JSON handlers core.handlers installed; call after it. Safe to call twice."""
    if getattr(app.state, "html_errors", False):
        return
    app.state.html_errors = True
    json_handlers: dict[type[Exception], Handler] = {
        # core.handlers installs coroutine handlers only.
        cls: cast(Handler, app.exception_handlers[cls])
        for cls in (SparkleError, StarletteHTTPException, RequestValidationError, Exception)
        if cls in app.exception_handlers
    }

    async def sparkle_error(request: Request, exc: SparkleError) -> Response:
        if isinstance(exc, SignInRequired):  # a member's page: sign in, then come back
            return signin_redirect(request)
        if not wants_html(request):
            return await json_handlers[SparkleError](request, exc)
        if isinstance(exc, Unauthorized) and request.method == "GET":
            return signin_redirect(request)
        if isinstance(exc, AccountSuspended):
            # The cookies would refuse every page; drop them so the site stays browsable.
            response = render_error(request, 403, exc.title, exc.detail)
            clear_session_cookies(request, response)
            return response
        if isinstance(exc, CsrfFailed):
            detail = (
                "This form has expired or was sent from elsewhere. Reload the page and try again."
            )
            return render_error(request, 403, "Form expired", detail)
        headers = {k: v for k, v in exc.headers.items() if k.lower() != "www-authenticate"}
        return render_error(request, exc.status, exc.title, exc.detail, headers)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not wants_html(request):
            return await json_handlers[StarletteHTTPException](request, exc)
        title = TITLES.get(exc.status_code, "Something went wrong")
        return render_error(request, exc.status_code, title, None, getattr(exc, "headers", None))

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not wants_html(request):
            return await json_handlers[RequestValidationError](request, exc)
        return render_error(
            request, 400, "Bad request", "The address or form had a value we could not read."
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await json_handlers[Exception](request, exc)
        log.exception("unhandled_error", path=request.url.path)
        request_id = request.state._state.get("request_id")
        context = {"status": 500, "title": "Server error", "detail": None, "request_id": request_id}
        return render(request, "error.html", context, 500)

    app.add_exception_handler(SparkleError, sparkle_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    if Exception in json_handlers:
        app.add_exception_handler(Exception, unexpected)
