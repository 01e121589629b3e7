"""`sparkle config` and `sparkle check`: the effective settings and the reachability of
the database, Redis, mail and storage."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import text

from sparkle.cli.base import (
    CHECK_TIMEOUT,
    T,
    app,
    err,
    fail,
    load_settings,
    out,
    revisions,
    run,
)
from sparkle.core.config import ConfigError, Settings, get_settings

# --- config and check -------------------------------------------------------------------


@app.command("config")
def show_config() -> None:
    """Print the effective settings with secrets masked."""
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as exc:
        raise fail(f"invalid configuration:\n{exc}", 2) from exc
    table = Table(title="Effective settings", title_justify="left")
    table.add_column("setting", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, value in settings.masked().items():
        table.add_row(name, value)
    out().print(table)
    try:
        settings.check_production()
    except ConfigError as exc:
        err().print(f"[yellow]warning:[/] `sparkle serve` would refuse this: {exc}")


@dataclass
class Probe:
    component: str
    status: str  # ok, fail or skip
    detail: str


async def _timed(coro: Awaitable[T]) -> T:
    return await asyncio.wait_for(coro, CHECK_TIMEOUT)


async def probe_database(settings: Settings) -> Probe:
    from sparkle.core.db import create_engine

    engine = create_engine(settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            await _timed(conn.execute(text("SELECT 1")))
            backend = conn.dialect.name
        state = await _timed(revisions(settings))
    except Exception as exc:  # noqa: BLE001 - any failure is the probe's answer
        return Probe("database", "fail", f"{type(exc).__name__}: {exc}")
    finally:
        await engine.dispose()
    if not state.at_head:
        return Probe(
            "database",
            "fail",
            f"{backend}: at revision {state.current or 'none'}, head is {state.head} "
            "(run `sparkle migrate up`)",
        )
    return Probe("database", "ok", f"{backend}: SELECT 1, revision {state.current} (head)")


async def probe_redis(settings: Settings) -> Probe:
    if not settings.redis_url:
        return Probe("redis", "skip", "REDIS_URL not set (in-process bus and rate limits)")
    import redis.asyncio as aioredis

    where = settings.masked()["REDIS_URL"]
    client = aioredis.from_url(
        settings.redis_url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT
    )
    try:
        # redis-py types its commands for the sync and the async client at once.
        await _timed(cast("Awaitable[bool]", client.ping()))
    except Exception as exc:  # noqa: BLE001 - any failure is the probe's answer
        return Probe("redis", "fail", f"{where}: {type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
    return Probe("redis", "ok", f"{where}: PING")


async def probe_mail(settings: Settings) -> Probe:
    if not settings.smtp_url:
        problem = _writable(settings.mail_dir)
        status = "fail" if problem else "ok"
        return Probe("mail", status, f"outbox {settings.mail_dir}: {problem or 'writable'}")
    import aiosmtplib

    from sparkle.core.mail import SmtpTransport

    try:
        endpoints = SmtpTransport.from_setting(settings.smtp_url).endpoints
    except ValueError as exc:
        return Probe("mail", "fail", f"SMTP_URL: {exc}")
    results, failed = [], False
    for endpoint in endpoints:
        smtp = aiosmtplib.SMTP(
            hostname=endpoint.hostname,
            port=endpoint.port,
            use_tls=endpoint.use_tls,
            start_tls=endpoint.start_tls,
            timeout=CHECK_TIMEOUT,
        )
        try:
            await smtp.connect()
            await smtp.ehlo()
            await smtp.quit()
            results.append(f"{endpoint}: EHLO ok")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            failed = True
            results.append(f"{endpoint}: {type(exc).__name__}: {exc}")
    return Probe("mail", "fail" if failed else "ok", "; ".join(results))


def probe_storage(settings: Settings) -> Probe:
    problem = _writable(settings.media_dir)
    return Probe(
        "storage",
        "fail" if problem else "ok",
        f"media {settings.media_dir}: {problem or 'writable'}",
    )


def _writable(directory: Path) -> str | None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".sparkle-check-"):
            pass
    except OSError as exc:
        return f"not writable ({exc.strerror or exc})"
    return None


async def _probes(settings: Settings) -> list[Probe]:
    return [
        await probe_database(settings),
        await probe_redis(settings),
        await probe_mail(settings),
        probe_storage(settings),
    ]


@app.command("check")
def check() -> None:
    """Verify database, Redis, mail and storage; exit 1 when anything fails."""
    settings = load_settings()
    if settings.is_sqlite:
        settings.ensure_dirs()  # SQLite cannot open a file in a missing directory
    probes = run(_probes(settings))
    table = Table(title="Sparkle check", title_justify="left")
    table.add_column("component", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    colours = {"ok": "green", "fail": "bold red", "skip": "dim"}
    for p in probes:
        table.add_row(p.component, f"[{colours[p.status]}]{p.status}[/]", p.detail)
    out().print(table)
    failing = [p.component for p in probes if p.status == "fail"]
    if failing:
        raise fail(f"failing: {', '.join(failing)}")
    out().print("[green]All components are reachable.[/]")
