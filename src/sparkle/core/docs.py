"""API documentation pages (Swagger UI at /docs and /api-docs, ReDoc at /redoc), all assets
served from our own static files, no inline scripts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).resolve().parent.parent / "web" / "static" / "favicon.svg"

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'"
)

SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sparkle Universe API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/dist/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="/openapi.json"></div>
<script src="/static/dist/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script></body></html>"""

REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sparkle Universe API — ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>
<body><div id="redoc" data-spec-url="/openapi.json"></div>
<script src="/static/dist/redoc/redoc.standalone.js"></script>
<script src="/static/docs/redoc-init.js"></script></body></html>"""


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on their own; answer with the SVG icon."""
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs")
@router.get("/api-docs")
async def swagger() -> HTMLResponse:
    return _page(SWAGGER)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return _page(REDOC)
