"""Async engine and session factory; the request boundary commits once."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from sparkle.core import events

WRITE_OPTION = "sparkle_write"
# SQLite's busy_timeout, and how long a writer waits for the in-process write gate.
SQLITE_BUSY_SECONDS = 30
_GATE_KEY = "sparkle_write_gate"
# Per SQLite engine and event loop: the lock that queues this process's writers.
_gates: weakref.WeakKeyDictionary[
    Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = _create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS}, pool_pre_ping=False
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
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        # A unit of work that will write takes the write lock up front: a deferred BEGIN that
        # reads, then writes after another connection committed fails at once with "database
        # is locked" (busy_timeout cannot help a lock upgrade), while BEGIN IMMEDIATE waits.
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_write(session: AsyncSession) -> None:
    """Declare the session's transaction a writer (SQLite: BEGIN IMMEDIATE; no-op elsewhere).
    Must be called before the session's first statement.

    SQLite has one writer at a time, and a connection waiting for the write lock polls for it
    with sleeps of up to 100 ms (its busy handler): under concurrent writes the lock sits idle
    between holders and throughput collapses. So this process's writers first queue on an
    in-process gate, released when the transaction ends, and take the lock the moment the
    previous writer lets it go; busy_timeout remains for writers in other processes.
    """
    gate = _gate(session)
    if gate is None:
        await session.connection(execution_options={WRITE_OPTION: True})
        return
    try:
        async with asyncio.timeout(SQLITE_BUSY_SECONDS):
            await gate.acquire()
    except TimeoutError:
        raise TimeoutError(
            f"no database write lock within {SQLITE_BUSY_SECONDS} s (another writer holds it)"
        ) from None
    session.sync_session.info[_GATE_KEY] = gate
    try:
        await session.connection(execution_options={WRITE_OPTION: True})
    except BaseException:
        _release_gate(session.sync_session)
        raise


def _gate(session: AsyncSession) -> asyncio.Lock | None:
    """The write gate of the session's SQLite engine in this event loop (None: not SQLite, or
    bound to a connection, whose transaction is the caller's to manage)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    per_loop = _gates.setdefault(bind.sync_engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    gate = per_loop.get(loop)
    if gate is None:
        gate = per_loop[loop] = asyncio.Lock()
    return gate


def _release_gate(session: Session) -> None:
    gate = session.info.pop(_GATE_KEY, None)
    if gate is not None:
        gate.release()


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    # Commit, rollback or close of the outermost transaction: the next writer may go.
    if transaction.parent is None:
        _release_gate(session)


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
