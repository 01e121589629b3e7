"""The `sparkle` command's application and shared plumbing: settings, consoles and failures,
migrations on start, and a runtime for commands that use the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Connection

from sparkle.core.config import ConfigError, Settings, get_settings
from sparkle.core.queue import embedded as embedded_jobs
from sparkle.search.cli import search_app

if TYPE_CHECKING:
    from alembic.script import Script

# Imported by the job commands before a worker or broker starts (not at start-up).
embedded_jobs.register_handler_modules("sparkle.domains")

app = typer.Typer(
    name="sparkle",
    help="Sparkle Universe: serve the platform and operate it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
migrate_app = typer.Typer(
    help="Alembic migrations on the configured database.", no_args_is_help=True
)
app.add_typer(migrate_app, name="migrate")
app.add_typer(search_app, name="search")


def out() -> Console:
    # A console per use: its width follows the environment of this invocation.
    return Console()


def err() -> Console:
    return Console(stderr=True)


PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = PACKAGE_DIR.parents[1]
CHECK_TIMEOUT = 5.0

T = TypeVar("T")


# --- shared plumbing --------------------------------------------------------------------


def fail(message: str, code: int = 1) -> typer.Exit:
    err().print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def load_settings() -> Settings:
    """Fresh settings from the environment (the cached ones may predate an env change)."""
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as exc:
        raise fail(f"invalid configuration:\n{exc}", 2) from exc
    try:
        settings.check_production()
    except ConfigError as exc:
        raise fail(f"refusing to run with this production configuration: {exc}", 2) from exc
    import logging as stdlib_logging

    from sparkle.core import logging

    logging.configure(settings.log_level, json=settings.log_json, log_file=settings.log_file)
    # The commands report what Alembic did themselves; its per-connection chatter is noise.
    stdlib_logging.getLogger("alembic").setLevel(stdlib_logging.WARNING)
    return settings


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def migrations_dir() -> Path:
    # An editable install (the supported set-up) keeps `migrations/` next to `src/`; a
    # deployment may instead run the command from a checkout of the project.
    for candidate in (PROJECT_DIR / "migrations", Path.cwd() / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise fail("cannot find the migrations directory (run from the project checkout)")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    ini = migrations_dir().parent / "alembic.ini"
    cfg = Config(str(ini)) if ini.is_file() else Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["url"] = url
    return cfg


async def run_alembic(settings: Settings, fn: str, revision: str) -> None:
    """Run an Alembic command in this process, on our async engine."""
    from alembic import command

    from sparkle.core.db import create_engine

    url = settings.effective_database_url
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def go(sync_conn: Connection) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                getattr(command, fn)(cfg, revision)

            await conn.run_sync(go)
            await conn.commit()
    finally:
        await engine.dispose()


@dataclass
class Revisions:
    current: str | None
    head: str | None

    @property
    def at_head(self) -> bool:
        return self.current == self.head


async def revisions(settings: Settings) -> Revisions:
    """The database's revision and the newest one in `migrations/`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from sparkle.core.db import create_engine

    url = settings.effective_database_url
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()
    return Revisions(current=current, head=head)


def describe(revision: str | None) -> str:
    if revision is None:
        return "none (empty database)"
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(""))
    rev: Script | None = script.get_revision(revision)
    title = (rev.doc or "").splitlines()[0] if rev is not None else ""
    return f"{revision} {title}".strip()


def prepare_database(settings: Settings, *, strict: bool = True) -> None:
    """Make sure the schema is current: migrate the embedded default, refuse otherwise.

    The embedded SQLite default migrates itself so that a fresh machine just works; a
    configured database is migrated deliberately with `sparkle migrate up`. With
    `strict=False` (serving) a configured database that is not at head only warns: during a
    rolling deploy the schema may legitimately be a revision ahead of this code.
    """
    settings.ensure_dirs()
    try:
        state = run(revisions(settings))
    except Exception as exc:
        message = f"cannot reach the database: {type(exc).__name__}: {exc}"
        if strict or settings.database_url is None:
            raise fail(message) from exc
        err().print(f"[yellow]warning:[/] {message}", soft_wrap=True)
        return
    if state.at_head:
        return
    if settings.database_url is None:
        run(run_alembic(settings, "upgrade", "head"))
        out().print(f"Migrated the embedded database to {describe(state.head)}.")
        return
    message = (
        f"the database is at revision {state.current or 'none'}, the code's head is {state.head}: "
        "run `sparkle migrate up`"
    )
    if strict:
        raise fail(message)
    err().print(f"[yellow]warning:[/] {message}", soft_wrap=True)


async def with_runtime(settings: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `fn(runtime)` with a runtime of our own (its own engine), then close it."""
    import sparkle.domains  # noqa: F401  (events, job handlers and socket routes)
    from sparkle.core import jobs, runtime

    rt = runtime.install(runtime.build(settings))
    jobs.configure(inline=True)  # the command finishes only when its side effects have run
    try:
        return await fn(rt)
    finally:
        await rt.close()
