"""`sparkle serve`: the web server."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from sparkle.cli.base import (
    PACKAGE_DIR,
    app,
    load_settings,
    prepare_database,
)

# --- serve ------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the web server (uvicorn); the embedded SQLite database is migrated first."""
    import uvicorn

    settings = load_settings()
    prepare_database(settings, strict=False)
    uvicorn.run(
        "sparkle.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        reload_dirs=[str(PACKAGE_DIR)] if reload else None,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        # Per-message deflate costs ~1.5x CPU per websocket frame for little gain (DESIGN §6).
        ws_per_message_deflate=False,
        proxy_headers=True,
        server_header=False,
        # Requests are logged by our middleware with their request id.
        access_log=False,
        log_level=settings.log_level.lower(),
    )
