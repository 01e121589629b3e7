"""`sparkle seed-demo`: demo users and content (see `sparkle.demo`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sparkle import demo
from sparkle.cli.base import (
    app,
    load_settings,
    out,
    prepare_database,
    run,
    with_runtime,
)
from sparkle.demo import DEMO_PASSWORD, ContentReport

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
