"""Migration 0003 on both backends: it indexes the posts already there, goes down without a
trace and up again, and the index follows writes made in between."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sparkle.accounts.models import Profile, User
from sparkle.core.db import create_engine, utcnow
from sparkle.core.ratelimit import Limiter
from sparkle.posts.models import Post, Tag
from sparkle.search import schema, service
from sparkle.search.schemas import SearchType
from tests.fixtures.database import (
    empty_database,
    run_alembic,
)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in empty_database(request.param, tmp_path, "search"):
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


async def add_post(
    engine: AsyncEngine, author_id: uuid.UUID, title: str, status: str = "PUBLISHED"
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(Post.__table__).values(
                author_id=author_id,
                title=title,
                slug=f"p-{uuid.uuid4().hex}",
                content={"type": "doc"},
                content_text=f"{title} body",
                status=status,
                published_at=utcnow(),
            )
        )


async def found_titles(engine: AsyncEngine, q: str) -> list[str]:
    async with engine.connect() as conn, AsyncSession(bind=conn) as session:
        results = await service.search(
            session, Limiter.from_url(None, enabled=False), q, SearchType.POSTS
        )
    return [item.title for item in results.items]  # type: ignore[union-attr]


async def search_objects(engine: AsyncEngine) -> set[str]:
    """The names of migration 0003's objects present in the database."""

    def names(sync_conn) -> set[str]:  # type: ignore[no-untyped-def]
        insp = inspect(sync_conn)
        found = set(insp.get_table_names()) & schema.FTS_TABLES
        if sync_conn.dialect.name == "sqlite":
            rows = sync_conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            found |= {r[0] for r in rows if r[0].startswith("search_")}
        for table in ("posts", "users", "profiles", "tags"):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*expression-based index.*")
                found |= {ix["name"] for ix in insp.get_indexes(table)} & schema.INDEXES
            columns = {(table, c["name"]) for c in insp.get_columns(table)}
            found |= {f"{t}.{c}" for t, c in columns & schema.GENERATED_COLUMNS}
        return found

    async with engine.connect() as conn:
        return await conn.run_sync(names)


async def test_up_down_up_keeps_the_index_in_step(database_url: str, engine: AsyncEngine) -> None:
    await run_alembic(database_url, "upgrade", "0002")
    author_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(User.__table__).values(id=author_id, email="a@example.com", username="author")
        )
        await conn.execute(
            insert(Profile.__table__).values(user_id=author_id, display_name="Author")
        )
        await conn.execute(insert(Tag.__table__).values(name="nebula", slug="nebula"))
    await add_post(engine, author_id, "Existing nebula notes")
    await add_post(engine, author_id, "Draft nebula notes", status="DRAFT")

    await run_alembic(database_url, "upgrade", "0003")
    if engine.dialect.name == "sqlite":
        triggers = {
            f"{t}_{e}"
            for t in schema.FTS_TABLES - {"search_post_titles"}
            for e in ("ai", "ad", "au")
        }
        assert await search_objects(engine) == schema.FTS_TABLES | triggers
    else:
        assert await search_objects(engine) == schema.INDEXES | {"posts.search_vector"}
    assert await found_titles(engine, "nebula") == ["Existing nebula notes"]

    await run_alembic(database_url, "downgrade", "0002")
    assert await search_objects(engine) == set()
    # Writes to the source tables work without the triggers.
    await add_post(engine, author_id, "Nebula written while down")

    await run_alembic(database_url, "upgrade", "head")
    assert sorted(await found_titles(engine, "nebula")) == [
        "Existing nebula notes",
        "Nebula written while down",
    ]
    await add_post(engine, author_id, "Nebula written after")
    assert len(await found_titles(engine, "nebula")) == 3
    # The trigram tables were filled too: typos find the titles.
    assert len(await found_titles(engine, "nebulla")) == 3
    assert "Existing nebula notes" in await found_titles(engine, "nebul notes")
