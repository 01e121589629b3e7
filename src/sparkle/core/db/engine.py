"""Async engine and session factory; the request boundary commits once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from sparkle.core import events


WRITE_OPTION = "sparkle_write"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = _create_async_engine(
            url, echo=echo, connect_args={"timeout": 30}, pool_pre_ping=False
        )
        _configure_sqlite(engine)
        return engine
    # PostgreSQL's JIT compiles a plan whenever its estimated cost is high, and recursive or
    # correlated queries are estimated badly: a 7 ms comment-tree query spent 430 ms compiling.
    # Our statements are short OLTP ones, for which JIT never pays.
    connect_args = {"server_settings": {"jit": "off"}} if "+asyncpg" in url else {}
    return _create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        # A unit of work that will write takes the write lock up front: a deferred BEGIN that
        # reads, then writes after another connection committed fails at once with "database
        # is locked" (busy_timeout cannot help a lock upgrade), while BEGIN IMMEDIATE waits.
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_write(session: AsyncSession) -> None:
    """Declare the session's transaction a writer (SQLite: BEGIN IMMEDIATE; no-op elsewhere).
    Must be called before the session's first statement."""
    await session.connection(execution_options={WRITE_OPTION: True})


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession], *, write: bool = True
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit at the end, then flush the after-commit buffer.

    Used by the CLI and jobs; the request dependency does the same per request.
    """
    async with factory() as session:
        if write:
            await begin_write(session)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            events.discard(session)
            raise
    await events.flush(session)
