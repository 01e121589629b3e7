"""Request-boundary dependencies: the runtime, one database session per request, client info."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import events
from sparkle.core.config import Settings
from sparkle.core.db.engine import begin_write
from sparkle.core.errors import SparkleError
from sparkle.core.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings_dep(request: Request) -> Settings:
    return get_runtime(request).settings


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once when the handler returns, before the
    response is sent; after-commit side effects are released then. An error marked
    `commit=True` (say, a detected token reuse that revoked a family) still commits."""
    rt: Runtime = request.app.state.runtime
    async with rt.sessions() as session:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await begin_write(session)
        try:
            yield session
        except SparkleError as exc:
            if exc.commit:
                await session.commit()
                await events.flush(session)
            else:
                await session.rollback()
                events.discard(session)
            raise
        except BaseException:
            await session.rollback()
            events.discard(session)
            raise
        else:
            await session.commit()
            await events.flush(session)


@dataclass
class ClientInfo:
    ip: str | None
    user_agent: str | None


def get_client(request: Request) -> ClientInfo:
    ip = request.client.host if request.client else None
    ua = request.headers.get("user-agent")
    return ClientInfo(ip=ip, user_agent=ua[:512] if ua else None)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
Client = Annotated[ClientInfo, Depends(get_client)]
