"""The `sparkle` command: serve the platform, run migrations, create administrators, seed demo
users and content, and show or check the effective configuration."""

from __future__ import annotations

import asyncio
import importlib.util
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Connection

from sparkle import demo
from sparkle.core.config import ConfigError, Settings, get_settings
from sparkle.core.queue import embedded as embedded_jobs
from sparkle.demo import DEMO_PASSWORD, ContentReport, demo_people
from sparkle.search.cli import search_app

if TYPE_CHECKING:
    from alembic.script import Script

__all__ = ["DEMO_PASSWORD", "app", "demo_people"]

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


PACKAGE_DIR = Path(__file__).resolve().parent
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


# --- migrate ----------------------------------------------------------------------------


def _migrate(fn: str, revision: str) -> None:
    from alembic.util import CommandError

    settings = load_settings()
    settings.ensure_dirs()
    try:
        before = run(revisions(settings))
        run(run_alembic(settings, fn, revision))
        after = run(revisions(settings))
    except CommandError as exc:
        raise fail(str(exc)) from exc
    if before.current == after.current:
        out().print(f"Nothing to do: the database is at {describe(after.current)}.")
    else:
        out().print(f"Migrated from {describe(before.current)} to {describe(after.current)}.")


@migrate_app.command("up")
def migrate_up(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database (to the newest revision by default)."""
    _migrate("upgrade", revision)


# `-1` must reach Alembic as a revision, not be parsed as an option.
@migrate_app.command("down", context_settings={"ignore_unknown_options": True})
def migrate_down(
    revision: Annotated[
        str, typer.Argument(help="Target revision, `-1` = one step, `base` = empty.")
    ] = "-1",
) -> None:
    """Downgrade the database (one revision by default)."""
    _migrate("downgrade", revision)


@migrate_app.command("current")
def migrate_current() -> None:
    """Show the database's revision and whether it is the newest."""
    settings = load_settings()
    settings.ensure_dirs()
    try:
        state = run(revisions(settings))
    except Exception as exc:
        raise fail(f"cannot reach the database: {type(exc).__name__}: {exc}") from exc
    out().print(f"current: {describe(state.current)}")
    out().print(f"head:    {describe(state.head)}")
    if state.at_head:
        out().print("[green]The database is up to date.[/]")
    else:
        out().print("[yellow]The database is behind: run `sparkle migrate up`.[/]")


# --- accounts ---------------------------------------------------------------------------


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "Invalid value")).removeprefix("Value error, ")
        out.append((".".join(str(p) for p in err["loc"]) or "value", message))
    return out


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="E-mail address.")],
    username: Annotated[str, typer.Option(prompt=True, help="3-30 letters, digits, _ or -.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="8-128 characters."
        ),
    ],
) -> None:
    """Create a verified administrator account."""
    from sparkle.auth.schemas import RegisterRequest
    from sparkle.core.errors import Conflict

    try:
        data = RegisterRequest(email=email, username=username, password=password)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {message}" for name, message in field_errors(exc))
        raise fail(f"invalid input: {problems}", 2) from exc
    settings = load_settings()
    prepare_database(settings)
    try:
        user = run(with_runtime(settings, lambda rt: _create_admin(rt, data)))
    except Conflict as exc:
        taken = ", ".join(f"{f.field} ({f.message.lower()})" for f in exc.fields)
        raise fail(f"{exc.detail}: {taken}" if taken else exc.detail) from exc
    out().print(f"Created administrator [bold]{user.username}[/] <{user.email}> (id {user.id}).")


async def _create_admin(rt: Any, data: Any) -> Any:
    from sparkle.accounts import service as accounts_service
    from sparkle.accounts.models import Role
    from sparkle.core import security
    from sparkle.core.db import session_scope

    hashed = await asyncio.to_thread(security.hash_password, rt.settings, data.password)
    async with session_scope(rt.sessions) as session:
        return await accounts_service.create(
            session,
            email=data.email,
            username=data.username,
            hashed_password=hashed,
            role=Role.ADMIN,
            verified=True,
        )


@app.command("purge-deleted")
def purge_deleted() -> None:
    """Free usernames and e-mails of accounts deleted longer ago than the grace period."""
    settings = load_settings()
    prepare_database(settings)
    count = run(with_runtime(settings, _purge))
    out().print(
        f"Purged {count} account(s) deleted more than "
        f"{settings.account_deletion_grace_days} day(s) ago."
    )


async def _purge(rt: Any) -> int:
    from sparkle.accounts import service as accounts_service
    from sparkle.core.db import session_scope

    async with session_scope(rt.sessions) as session:
        return await accounts_service.purge_deleted(
            session, grace_days=rt.settings.account_deletion_grace_days
        )


# --- demo data --------------------------------------------------------------------------


@app.command("seed-demo")
def seed_demo(
    users: Annotated[int, typer.Option(min=0, max=100_000, help="How many demo users.")] = 50,
    posts: Annotated[int, typer.Option(min=0, help="Posts to add (by all users).")] = 0,
    comments: Annotated[
        int, typer.Option(min=0, help="Threaded comments to add on published posts.")
    ] = 0,
    reactions: Annotated[
        int, typer.Option(min=0, help="Reactions to add on posts and comments.")
    ] = 0,
    long_thread: Annotated[
        int,
        typer.Option(
            min=0, help="Comments on the newest post (when --comments is at least twice this)."
        ),
    ] = 200,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same people.")
    ] = 2026,
) -> None:
    """Create verified demo users with realistic profiles (existing usernames are skipped),
    then add posts, comments and reactions in bulk with exact counters."""
    settings = load_settings()
    prepare_database(settings)
    created, skipped, report = run(
        with_runtime(
            settings,
            lambda rt: _seed(rt, users, posts, comments, reactions, long_thread, seed),
        )
    )
    out().print(f"Created {created} demo user(s); skipped {skipped} that already existed.")
    if posts or comments or reactions:
        out().print(
            f"Added {report.posts} post(s), {report.comments} comment(s) and "
            f"{report.reactions} reaction(s); {report.categories} new categories and "
            f"{report.tags} new tags."
        )
        if report.long_thread:
            out().print(f"Long thread: {report.long_thread}")
        if not (created or skipped or report.posts or report.comments or report.reactions):
            out().print("[yellow]Nothing to add content to:[/] create users first (--users).")
    if created or skipped:
        out().print(
            f"Every demo user signs in with the password [bold]{DEMO_PASSWORD}[/] "
            "(e-mail addresses are <username>@example.com/.org/.net; see the admin users list)."
        )


async def _seed(
    rt: Any, users: int, posts: int, comments: int, reactions: int, long_thread: int, seed: int
) -> tuple[int, int, ContentReport]:
    with demo.progress_bar(out()) as progress:
        created, skipped = await demo.seed_users(rt, users, seed, progress)
        seeder = demo.ContentSeeder(
            rt.sessions, seed=seed, media_origin=rt.settings.base_url, progress=progress
        )
        report = await seeder.run(
            posts=posts, comments=comments, reactions=reactions, long_thread=long_thread
        )
    return created, skipped, report


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


# Below `app`, which these modules add their commands to.
from sparkle.core.jobs_cli import install as install_jobs_cli  # noqa: E402

install_jobs_cli(app)

from sparkle.email.cli import mail_inbound  # noqa: E402

app.command("mail-inbound")(mail_inbound)

if __name__ == "__main__":
    app()
