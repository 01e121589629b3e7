"""Alembic environment: runs migrations through the async engine of the configured database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import sparkle.models  # noqa: F401  (registers every table)
from sparkle.core.config import get_settings
from sparkle.core.db import create_engine
from sparkle.core.db.base import Base
from sparkle.search.schema import include_name

target_metadata = Base.metadata


def _url() -> str:
    return context.config.attributes.get("url") or get_settings().effective_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Search objects (FTS5 tables, the tsvector column, GIN indexes) are not in the models.
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async())


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
