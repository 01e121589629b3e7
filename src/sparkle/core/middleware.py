"""ASGI middleware: request id, access log, Prometheus metrics and security headers.

Written as plain ASGI (not BaseHTTPMiddleware) so it adds no task or copy per request.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("sparkle.http")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-src 'self' https://www.youtube-nocookie.com https://www.youtube.com; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sparkle_http_requests_total",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sparkle_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )


class ObservabilityMiddleware:
    """Request id in and out, one access log line, metrics by route template, security headers."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, hsts: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                elapsed = time.perf_counter() - start
                route = scope.get("route")
                template = getattr(route, "path", None) or "<unmatched>"
                # Static files and the metrics scrape are neither counted nor logged. (No
                # `return` here: inside `finally` it would swallow the app's exception.)
                if not template.startswith(("/static", "/metrics")):
                    self.metrics.requests.labels(scope["method"], template, str(status)).inc()
                    self.metrics.latency.labels(scope["method"], template).observe(elapsed)
                    log.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        route=template,
                        status=status,
                        duration_ms=round(elapsed * 1000, 2),
                    )


class BodyLimitMiddleware:
    """Refuse request bodies over the limit with a problem+json 413: a declared Content-Length
    before anything is read, a streamed body as soon as it crosses the limit. `path_limits`
    gives routes under a path prefix their own limit (uploads)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, path_limits: list[tuple[str, int]] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = path_limits or []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        max_bytes = next((n for p, n in self.path_limits if path.startswith(p)), self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            await _problem_413(scope, send, max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Raised inside the endpoint's body read, so the problem handlers answer.
                    raise HTTPException(413, f"The request body is larger than {max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)


async def _problem_413(scope: Scope, send: Send, max_bytes: int) -> None:
    body = json.dumps(
        {
            "type": "https://sparkle.local/problems/payload_too_large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"The request body is larger than {max_bytes} bytes",
            "code": "payload_too_large",
            "instance": scope["path"],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
