"""`sparkle search ...`: maintenance of the search index."""

from __future__ import annotations

import typer
from rich.table import Table

search_app = typer.Typer(help="Search index maintenance.", no_args_is_help=True)


@search_app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the posts, users, profiles and tags tables."""
    from sparkle.cli import load_settings, out, prepare_database, run, with_runtime
    from sparkle.core.db import session_scope
    from sparkle.search import maintenance

    settings = load_settings()
    prepare_database(settings)

    async def go(rt):
        async with session_scope(rt.sessions, write=True) as session:
            return await maintenance.reindex(session)

    with out().status("Rebuilding the search index…"):
        rebuilt = run(with_runtime(settings, go))
    table = Table("Index", "Rows", title="Search index rebuilt")
    for item in rebuilt:
        table.add_row(item.index, f"{item.rows:,}")
    out().print(table)
