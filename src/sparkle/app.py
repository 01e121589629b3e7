"""create_app(): the FastAPI application with its lifespan, middleware and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

import sparkle
import sparkle.domains  # events, job handlers and socket routes
from sparkle import realtime
from sparkle.core import jobs, logging, runtime
from sparkle.core.config import Settings, get_settings
from sparkle.core.docs import router as docs_router
from sparkle.core.handlers import install as install_handlers
from sparkle.core.health import router as health_router
from sparkle.core.middleware import BodyLimitMiddleware, Metrics, ObservabilityMiddleware
from sparkle.core.queue import embedded as embedded_jobs
from sparkle.media import policy as media_policy
from sparkle.web.errors import install as install_page_errors

embedded_jobs.register_handler_modules("sparkle.domains")

STATIC_DIR = Path(__file__).parent / "web" / "static"

TAGS = [
    {
        "name": "auth",
        "description": (
            "Registration, sign-in, tokens, sessions, email verification, passwords, 2FA."
        ),
    },
    {"name": "users", "description": "Public profiles and profile editing."},
    {"name": "admin", "description": "Administration (ADMIN role)."},
    {
        "name": "posts",
        "description": "Rich posts: writing, publishing, revisions, views and shares.",
    },
    {"name": "categories", "description": "The category tree (managed by admins)."},
    {"name": "tags", "description": "Tags: popular, by name or recent."},
    {
        "name": "social",
        "description": "Follows: follow and unfollow users, followers and following lists.",
    },
    {
        "name": "comments",
        "description": "Threaded comments on posts: trees, replies, edits, soft deletion.",
    },
    {
        "name": "reactions",
        "description": "Reactions (LIKE, LOVE, LAUGH, WOW, SAD, ANGRY) on posts and comments.",
    },
    {"name": "feed", "description": "Home feeds: latest, popular, trending and following."},
    {
        "name": "leaderboards",
        "description": (
            "Standings per period (daily, weekly, monthly, all time), my rank, archived periods."
        ),
    },
    {
        "name": "search",
        "description": "Full-text search of posts; users and tags by name, typo-tolerant.",
    },
    {
        "name": "notifications",
        "description": (
            "Notifications: list, unread count, read state, preferences per type × channel."
        ),
    },
    {
        "name": "realtime",
        "description": "Presence over HTTP; the Socket.IO protocol is in docs/realtime.md.",
    },
    {
        "name": "media",
        "description": (
            "Uploads: images with variants and blurhash, videos with posters, documents; "
            "presigned direct uploads."
        ),
    },
    {
        "name": "messages",
        "description": (
            "Direct and group conversations, messages, read receipts, blocks and DM privacy."
        ),
    },
    {
        "name": "watch-parties",
        "description": (
            "Watch parties: a YouTube video watched together with synced playback, chat and "
            "moments."
        ),
    },
    {
        "name": "jobs",
        "description": "Background job queues: counts, failed jobs, retries, pause (ADMIN only).",
    },
    {
        "name": "email",
        "description": (
            "The log of sent mail for support (ADMIN only); unsubscribe and tracking are pages."
        ),
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]

DESCRIPTION = """The Sparkle Universe API. JSON in camelCase; errors are RFC 9457
`application/problem+json` documents with `errors: [{field, message}]` when a field is at fault.
Authenticate with `Authorization: Bearer <accessToken>` from `/api/auth/login`."""


def create_app(settings: Settings | None = None, rt: runtime.Runtime | None = None) -> FastAPI:
    settings = settings or (rt.settings if rt else get_settings())
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = app.state.runtime is None
        if own:
            app.state.runtime = runtime.build(settings)
            jobs.configure(inline=False)
        runtime.install(app.state.runtime)
        # Tests pass their own runtime and run jobs inline; a runtime of our own persists them.
        job_system = await embedded_jobs.start(app.state.runtime) if own else None
        try:
            yield
        finally:
            if job_system is not None:
                await embedded_jobs.stop(job_system)
            await jobs.runner.drain()
            if own:
                await app.state.runtime.close()

    logging.configure(settings.log_level, json=settings.log_json, log_file=settings.log_file)
    app = FastAPI(
        title="Sparkle Universe API",
        version=sparkle.__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.settings = settings
    app.state.metrics = Metrics()
    if rt is not None:
        runtime.install(rt)

    install_handlers(app)
    install_page_errors(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        path_limits=media_policy.body_limits(settings),
    )
    app.add_middleware(
        ObservabilityMiddleware, metrics=app.state.metrics, hsts=settings.is_production
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )

    from sparkle.api import router as api_router
    from sparkle.pages import router as pages_router

    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(docs_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    realtime.install(app)  # Socket.IO at /socket.io
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with our 400 problem documents in place of its 422s."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path in schema.get("paths", {}).values():
        for op in path.values():
            responses = op.get("responses", {})
            if responses.pop("422", None) is not None and "400" not in responses:
                responses["400"] = {
                    "description": "Invalid input",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
            # FastAPI puts a response model's schema under application/json; errors are sent
            # as application/problem+json only.
            for code, response in responses.items():
                content = response.get("content", {})
                if (
                    code[0] in "45"
                    and "application/problem+json" in content
                    and "application/json" in content
                ):
                    content["application/problem+json"] = content.pop("application/json")
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    if "Problem" not in comps:
        from sparkle.core.schemas import Problem

        comps["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    app.openapi_schema = schema
    return schema
