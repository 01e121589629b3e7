"""`sparkle migrate up | down | current`: Alembic migrations on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from sparkle.cli.base import (
    describe,
    fail,
    load_settings,
    migrate_app,
    out,
    revisions,
    run,
    run_alembic,
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
