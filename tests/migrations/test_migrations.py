"""Migrations go up and down on SQLite and PostgreSQL, leave no difference from the models,
and keep usernames and e-mails unique regardless of case."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import sparkle.models  # noqa: F401  (registers every table)
from sparkle.accounts.models import User
from sparkle.core.db import Base, create_engine
from sparkle.search.schema import include_name
from tests.fixtures.database import (
    empty_database,
    run_alembic,
)

TABLES = set(Base.metadata.tables)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own for each test."""
    async for url in empty_database(request.param, tmp_path, "migrations"):
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def pending_diffs(engine: AsyncEngine) -> list[Any]:
    """What `alembic check` would report: autogenerate's diff between database and models."""

    def compare(sync_conn) -> list[Any]:  # type: ignore[no-untyped-def]
        # The same name filter as migrations/env.py: search objects are not in the models.
        opts = {"compare_type": True, "include_name": include_name}
        ctx = MigrationContext.configure(sync_conn, opts=opts)
        with warnings.catch_warnings():
            # Alembic cannot compare expression indexes (lower(email)); it warns and skips them.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def test_upgrade_check_downgrade_upgrade(database_url: str, engine: AsyncEngine) -> None:
    await run_alembic(database_url, "upgrade", "head")
    assert await table_names(engine) >= TABLES
    assert await pending_diffs(engine) == []

    await run_alembic(database_url, "downgrade", "base")
    assert await table_names(engine) <= {"alembic_version"}

    await run_alembic(database_url, "upgrade", "head")
    assert await table_names(engine) >= TABLES
    assert await pending_diffs(engine) == []


def user_row(email: str, username: str) -> dict[str, Any]:
    return {"email": email, "username": username}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (user_row("luna@example.com", "Luna"), user_row("other@example.com", "luna")),
        (user_row("Luna@Example.com", "luna_one"), user_row("luna@example.com", "luna_two")),
    ],
    ids=["username", "email"],
)
async def test_case_insensitive_uniqueness(
    database_url: str, engine: AsyncEngine, first: dict[str, Any], second: dict[str, Any]
) -> None:
    await run_alembic(database_url, "upgrade", "head")
    async with engine.begin() as conn:
        await conn.execute(insert(User.__table__).values(**first))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(User.__table__).values(**second))
    async with engine.begin() as conn:
        # A different name in any case is still welcome.
        await conn.execute(insert(User.__table__).values(**user_row("sol@example.com", "Sol")))


async def test_username_format_is_checked_by_the_database(
    database_url: str, engine: AsyncEngine
) -> None:
    await run_alembic(database_url, "upgrade", "head")
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                insert(User.__table__).values(**user_row("x@example.com", "no spaces"))
            )
