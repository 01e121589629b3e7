"""The shared test harness: settings, databases, the app, clients and users."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sparkle.accounts.models import Role, User
from sparkle.app import create_app
from sparkle.core import jobs, runtime
from sparkle.core.config import Settings
from sparkle.core.mail import Mailer
from sparkle.core.ratelimit import Limiter
from tests.fixtures.database import migrated_engine

for _var in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "SPARKLE_ENV", "SECRET_KEY"):
    os.environ.pop(_var, None)

BACKENDS = ["sqlite", "postgres"]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "SPARKLE_ENV": "test",
        "SPARKLE_DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "LOG_JSON": False,
        "LOG_LEVEL": "WARNING",
        # Cheap argon2 parameters keep the suite fast; production uses RFC 9106's.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_PARALLELISM": 1,
        "SPARKLE_BASE_URL": "http://testserver",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def make_runtime(
    settings: Settings, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> runtime.Runtime:
    settings.ensure_dirs()
    return runtime.Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        limiter=Limiter.from_url(None, enabled=settings.rate_limits_enabled),
        mailer=Mailer.from_settings(settings),
    )


@pytest.fixture(scope="session", params=BACKENDS)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async for eng in migrated_engine(request.param, tmp_path_factory.mktemp("db")):
        yield eng


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, settings_overrides: dict[str, object]) -> Settings:
    return make_settings(tmp_path / "var", **settings_overrides)


@pytest.fixture
async def rt(engine: AsyncEngine, settings: Settings) -> AsyncIterator[runtime.Runtime]:
    """A runtime whose sessions all live inside one rolled-back transaction."""
    settings.ensure_dirs()
    async with engine.connect() as conn:
        trans = await conn.begin()
        sessions = async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        rt = make_runtime(settings, engine, sessions)
        runtime.install(rt)
        jobs.configure(inline=True)
        jobs.runner.reset()
        try:
            yield rt
        finally:
            jobs.runner.reset()
            await trans.rollback()


@pytest.fixture
async def db(rt: runtime.Runtime) -> AsyncIterator[AsyncSession]:
    async with rt.sessions() as session:
        yield session


@pytest.fixture
def app(rt: runtime.Runtime):  # type: ignore[no-untyped-def]
    return create_app(rt.settings, rt)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Account:
    """A test user with a live session."""

    user: User
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


@pytest.fixture
def make_account(rt: runtime.Runtime):  # type: ignore[no-untyped-def]
    from tests.factories.accounts import create_account

    async def make(**kwargs: object) -> Account:
        return await create_account(rt, **kwargs)

    return make


@pytest.fixture
async def owner(make_account) -> Account:  # type: ignore[no-untyped-def]
    return await make_account(username="owner_user")


@pytest.fixture
async def other(make_account) -> Account:  # type: ignore[no-untyped-def]
    return await make_account(username="other_user")


@pytest.fixture
async def moderator(make_account) -> Account:  # type: ignore[no-untyped-def]
    return await make_account(username="mod_user", role=Role.MODERATOR)


@pytest.fixture
async def admin(make_account) -> Account:  # type: ignore[no-untyped-def]
    return await make_account(username="admin_user", role=Role.ADMIN)
