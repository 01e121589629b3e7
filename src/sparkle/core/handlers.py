"""Exception handlers: every error leaves as `application/problem+json`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sparkle.core.errors import SparkleError

log = structlog.get_logger(__name__)
PROBLEM = "application/problem+json"


def problem(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "Invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err.get("type") == "extra_forbidden":
        msg = "Unknown field"
    if err.get("type") == "missing":
        msg = "This field is required"
    return msg


def install(app: FastAPI) -> None:
    @app.exception_handler(SparkleError)
    async def sparkle_error(request: Request, exc: SparkleError) -> JSONResponse:
        return problem(exc.status, exc.to_problem(request.url.path), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": _message(e)} for e in exc.errors()]
        body = {
            "type": "https://sparkle.local/problems/validation_error",
            "title": "Invalid input",
            "status": 400,
            "detail": "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input",
            "code": "validation_error",
            "instance": request.url.path,
            "errors": errors,
        }
        return problem(400, body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, str(exc.detail))
        code = {413: "payload_too_large"}.get(exc.status_code, f"http_{exc.status_code}")
        body = {
            "type": f"https://sparkle.local/problems/{code}",
            "title": title,
            "status": exc.status_code,
            "detail": str(exc.detail) if exc.detail else title,
            "code": code,
            "instance": request.url.path,
        }
        return problem(exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        body = {
            "type": "https://sparkle.local/problems/internal_error",
            "title": "Internal server error",
            "status": 500,
            "detail": "Something went wrong on our side; it has been logged.",
            "code": "internal_error",
            "instance": request.url.path,
            "requestId": request.state._state.get("request_id"),
        }
        return problem(500, body)
