"""The `sparkle` command, run in-process through typer's CliRunner on a database of its own
(SQLite file, or a fresh PostgreSQL database), and `sparkle serve` as a real process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import Profile, Role, User
from sparkle.auth import service as auth_service
from sparkle.auth.errors import InvalidCredentials
from sparkle.auth.schemas import LoginRequest
from sparkle.cli import DEMO_PASSWORD, app
from sparkle.core import runtime, security
from sparkle.core.config import Settings
from sparkle.core.db import session_scope
from sparkle.core.deps import ClientInfo
from tests.fixtures.database import (
    alembic_config,
    drop_postgres_database,
    fresh_postgres_database,
    postgres_admin_url,
    skip_or_fail,
    worker_id,
)
from tests.fixtures.smtp import SmtpServer, free_port, smtp_server  # noqa: F401

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = SCRIPTS.get_current_head()

T = TypeVar("T")
Env = dict[str, str | None]
Invoke = Callable[..., Result]
SECRET = "cli-test-secret-key-that-is-long-enough-42"
ADMIN_PASSWORD = "moonlight-over-sparkle-city"
CLIENT = ClientInfo(ip="198.51.100.20", user_agent="cli test")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a loop of its own in another thread, away from the suite's loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
        return
    if not postgres_admin_url():
        skip_or_fail("PostgreSQL (SPARKLE_TEST_POSTGRES_URL)")
    name = f"sparkle_cli_{worker_id()}_{uuid.uuid4().hex[:8]}"
    url = run_async(fresh_postgres_database(name))
    yield url
    run_async(drop_postgres_database(name))


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> Env:
    return {
        "SPARKLE_ENV": "test",
        "SPARKLE_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "0",
        "ACCOUNT_DELETION_GRACE_DAYS": "30",
        # Wide enough that rich never wraps a value the assertions look for.
        "COLUMNS": "250",
    }


@pytest.fixture
def sparkle(env: Env) -> Invoke:
    """Run `sparkle ARGS...` with the test environment; extra env and stdin by keyword."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, **extra_env: str | None) -> Result:
        return runner.invoke(app, list(args), input=input, env={**env, **extra_env})

    return invoke


@pytest.fixture
def migrated(sparkle: Invoke) -> None:
    result = sparkle("migrate", "up")
    assert result.exit_code == 0, result.output


def settings_for(env: Env) -> Settings:
    values = {k: v for k, v in env.items() if v is not None and k != "COLUMNS"}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def login(env: Env, email: str, password: str) -> User:
    rt = runtime.build(settings_for(env))
    try:
        async with session_scope(rt.sessions) as session:
            user, _ = await auth_service.login(
                session, rt, LoginRequest(email=email, password=password), CLIENT
            )
        return user
    finally:
        await rt.close()


async def users(env: Env) -> list[User]:
    rt = runtime.build(settings_for(env))
    try:
        async with session_scope(rt.sessions) as session:
            return list((await session.scalars(select(User).order_by(User.username))).all())
    finally:
        await rt.close()


class TestMigrate:
    def test_up_current_down(self, sparkle: Invoke) -> None:
        before = sparkle("migrate", "current")
        assert before.exit_code == 0, before.output
        assert "current: none" in before.output
        assert "behind" in before.output

        up = sparkle("migrate", "up")
        assert up.exit_code == 0, up.output
        assert "Migrated from none" in up.output

        current = sparkle("migrate", "current")
        assert f"current: {HEAD}" in current.output
        assert "up to date" in current.output

        again = sparkle("migrate", "up")
        assert again.exit_code == 0 and "Nothing to do" in again.output

        down = sparkle("migrate", "down", "-1")
        assert down.exit_code == 0, down.output
        previous = SCRIPTS.get_revision(HEAD).down_revision
        assert f"current: {previous}" in sparkle("migrate", "current").output
        base = sparkle("migrate", "down", "base")
        assert base.exit_code == 0, base.output
        assert "to none (empty database)" in base.output
        assert "current: none" in sparkle("migrate", "current").output

    def test_down_below_base_is_a_clear_error(self, sparkle: Invoke) -> None:
        result = sparkle("migrate", "down")
        assert result.exit_code == 1
        assert "error:" in result.output and "Traceback" not in result.output

    def test_data_commands_refuse_an_unmigrated_configured_database(self, sparkle: Invoke) -> None:
        result = sparkle("seed-demo", "--users", "1")
        assert result.exit_code == 1
        assert "run `sparkle migrate up`" in result.output


@pytest.mark.usefixtures("migrated")
class TestCreateAdmin:
    def test_creates_a_verified_admin_who_can_sign_in(self, sparkle: Invoke, env: Env) -> None:
        result = sparkle(
            "create-admin",
            "--email",
            "Luna@Example.com",
            "--username",
            "luna_admin",
            "--password",
            ADMIN_PASSWORD,
        )
        assert result.exit_code == 0, result.output
        assert "Created administrator luna_admin" in result.output

        user = run_async(login(env, "luna@example.com", ADMIN_PASSWORD))
        assert user.username == "luna_admin"
        assert user.role == Role.ADMIN
        assert user.email_verified is not None
        assert user.hashed_password and user.hashed_password.startswith("$argon2id$")

    def test_prompts_for_a_missing_password_with_confirmation(
        self, sparkle: Invoke, env: Env
    ) -> None:
        result = sparkle(
            "create-admin",
            "--email",
            "nova@example.com",
            "--username",
            "nova",
            input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
        assert ADMIN_PASSWORD not in result.output  # hidden input
        assert run_async(login(env, "nova@example.com", ADMIN_PASSWORD)).role == Role.ADMIN

    def test_existing_user_exits_1(self, sparkle: Invoke) -> None:
        args = (
            "create-admin",
            "--email",
            "a@example.com",
            "--username",
            "astra",
            "--password",
            ADMIN_PASSWORD,
        )
        assert sparkle(*args).exit_code == 0
        again = sparkle(
            "create-admin",
            "--email",
            "other@example.com",
            "--username",
            "ASTRA",
            "--password",
            ADMIN_PASSWORD,
        )
        assert again.exit_code == 1
        assert "already exists" in again.output and "username" in again.output
        assert "Traceback" not in again.output

    @pytest.mark.parametrize(
        ("password", "message"),
        [("short", "8 to 128 characters"), ("password123", "too common")],
    )
    def test_invalid_password_is_refused(
        self, sparkle: Invoke, env: Env, password: str, message: str
    ) -> None:
        result = sparkle(
            "create-admin", "--email", "b@example.com", "--username", "bolt", "--password", password
        )
        assert result.exit_code == 2
        assert "password" in result.output and message in result.output
        assert run_async(users(env)) == []

    def test_invalid_username_and_email_are_named(self, sparkle: Invoke) -> None:
        result = sparkle(
            "create-admin",
            "--email",
            "not-an-email",
            "--username",
            "no spaces!",
            "--password",
            ADMIN_PASSWORD,
        )
        assert result.exit_code == 2
        assert "email:" in result.output and "username:" in result.output


@pytest.mark.usefixtures("migrated")
class TestSeedDemo:
    def test_creates_verified_users_with_profiles(self, sparkle: Invoke, env: Env) -> None:
        result = sparkle("seed-demo", "--users", "12")
        assert result.exit_code == 0, result.output
        assert "Created 12 demo user(s)" in result.output
        assert DEMO_PASSWORD in result.output

        seeded = run_async(users(env))
        assert len(seeded) == 12
        assert all(u.email_verified is not None and u.role == Role.USER for u in seeded)
        assert len({u.hashed_password for u in seeded}) == 1  # hashed once, shared
        user = run_async(login(env, seeded[0].email, DEMO_PASSWORD))
        profile = run_async(profile_of(env, user.username))
        assert profile.bio and profile.location and profile.timezone
        assert profile.display_name != user.username

    def test_rerun_skips_existing_usernames(self, sparkle: Invoke, env: Env) -> None:
        assert sparkle("seed-demo", "--users", "5").exit_code == 0
        again = sparkle("seed-demo", "--users", "8")
        assert again.exit_code == 0, again.output
        assert "Created 3 demo user(s); skipped 5" in again.output
        assert len(run_async(users(env))) == 8


@pytest.mark.usefixtures("migrated")
class TestSearchReindex:
    def test_rebuilds_and_reports_each_index(self, sparkle: Invoke) -> None:
        assert sparkle("seed-demo", "--users", "3").exit_code == 0
        result = sparkle("search", "reindex")
        assert result.exit_code == 0, result.output
        assert "Search index rebuilt" in result.output
        assert "search_usernames" in result.output or "ix_users_username_trgm" in result.output


async def profile_of(env: Env, username: str) -> Profile:
    rt = runtime.build(settings_for(env))
    try:
        async with session_scope(rt.sessions) as session:
            return (await accounts_service.access_by_username(session, username)).profile
    finally:
        await rt.close()


@pytest.mark.usefixtures("migrated")
class TestPurgeDeleted:
    def test_frees_the_username_of_a_deleted_account(self, sparkle: Invoke, env: Env) -> None:
        create = ("create-admin", "--username", "comet", "--password", ADMIN_PASSWORD)
        assert sparkle(*create, "--email", "comet@example.com").exit_code == 0
        run_async(delete_account(env, "comet@example.com", ADMIN_PASSWORD))

        kept = sparkle("purge-deleted")
        assert kept.exit_code == 0 and "Purged 0 account(s)" in kept.output
        assert sparkle(*create, "--email", "comet2@example.com").exit_code == 1

        purged = sparkle("purge-deleted", ACCOUNT_DELETION_GRACE_DAYS="0")
        assert purged.exit_code == 0 and "Purged 1 account(s)" in purged.output
        assert sparkle(*create, "--email", "comet2@example.com").exit_code == 0


async def delete_account(env: Env, email: str, password: str) -> None:
    rt = runtime.build(settings_for(env))
    try:
        async with session_scope(rt.sessions) as session:
            user, tokens = await auth_service.login(
                session, rt, LoginRequest(email=email, password=password), CLIENT
            )
            sid = uuid.UUID(security.decode_access_token(rt.settings, tokens.access_token)["sid"])
            await auth_service.delete_account(
                session, rt, auth_service.Principal(user, sid), password
            )
        with pytest.raises(InvalidCredentials):
            async with session_scope(rt.sessions) as session:
                await auth_service.login(
                    session, rt, LoginRequest(email=email, password=password), CLIENT
                )
    finally:
        await rt.close()


class TestConfig:
    def test_prints_settings_with_secrets_masked(self, sparkle: Invoke, database_url: str) -> None:
        result = sparkle("config", REDIS_URL="redis://:hunter2-redis@127.0.0.1:6379/0")
        assert result.exit_code == 0, result.output
        assert "SECRET_KEY" in result.output and "cl****" in result.output
        assert SECRET not in result.output
        assert "hunter2-redis" not in result.output
        assert "redis://:****@127.0.0.1:6379/0" in result.output
        assert "ARGON2_TIME_COST" in result.output

    def test_warns_about_an_unsafe_production_configuration(self, sparkle: Invoke) -> None:
        result = sparkle("config", SPARKLE_ENV="production", SECRET_KEY=None)
        assert result.exit_code == 0
        assert "SECRET_KEY must be set" in result.output


class TestCheck:
    def test_passes_on_a_good_setup(self, sparkle: Invoke, migrated: None) -> None:
        result = sparkle("check")
        assert result.exit_code == 0, result.output
        assert f"SELECT 1, revision {HEAD} (head)" in result.output
        assert "REDIS_URL not set" in result.output
        assert "writable" in result.output
        assert "All components are reachable" in result.output

    def test_fails_with_an_unreachable_redis(self, sparkle: Invoke, migrated: None) -> None:
        result = sparkle("check", REDIS_URL="redis://127.0.0.1:1/0")
        assert result.exit_code == 1
        assert "failing: redis" in result.output

    def test_fails_on_an_unmigrated_database(self, sparkle: Invoke) -> None:
        result = sparkle("check")
        assert result.exit_code == 1
        assert "failing: database" in result.output and "sparkle migrate up" in result.output

    def test_smtp_is_greeted(
        self,
        sparkle: Invoke,
        migrated: None,
        smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    ) -> None:
        result = sparkle("check", SMTP_URL=smtp_server.url)
        assert result.exit_code == 0, result.output
        assert f"smtp://127.0.0.1:{smtp_server.port}: EHLO ok" in result.output

    def test_fails_with_an_unreachable_smtp_backup(
        self,
        sparkle: Invoke,
        migrated: None,
        smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    ) -> None:
        result = sparkle("check", SMTP_URL=f"{smtp_server.url},smtp://127.0.0.1:{free_port()}")
        assert result.exit_code == 1
        assert "EHLO ok" in result.output and "failing: mail" in result.output

    def test_redis_ping(self, sparkle: Invoke, migrated: None) -> None:
        url = os.environ.get("SPARKLE_TEST_REDIS_URL")
        if not url:
            skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
        result = sparkle("check", REDIS_URL=url)
        assert result.exit_code == 0, result.output
        assert "PING" in result.output


class TestServe:
    def test_refuses_an_unsafe_production_configuration(self, sparkle: Invoke) -> None:
        result = sparkle("serve", SPARKLE_ENV="production", SECRET_KEY="short")
        assert result.exit_code == 2
        assert "SECRET_KEY must be set" in result.output
        assert "Traceback" not in result.output

    def test_serves_on_a_fresh_embedded_data_dir(self, tmp_path: Path) -> None:
        """The embedded default migrates itself before serving (`make run` on a fresh machine)."""
        port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "SPARKLE_ENV", "SECRET_KEY"}
        }
        env.update(SPARKLE_DATA_DIR=str(tmp_path / "var"), LOG_LEVEL="WARNING")
        proc = subprocess.Popen(
            [sys.executable, "-m", "sparkle.cli", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/health", proc)
            assert httpx.get(f"{base}/health").json() == {"status": "ok"}
            missing = httpx.get(f"{base}/api/users/nobody_here")
            assert missing.status_code == 404  # the users table exists: migrated on start
            assert (tmp_path / "var" / "sparkle.db").is_file()
            assert (tmp_path / "var" / "mail").is_dir() and (tmp_path / "var" / "media").is_dir()
        finally:
            proc.terminate()
            output = proc.communicate(timeout=20)[0].decode()
        # uvicorn shuts down gracefully, then re-raises SIGTERM to exit the way it was asked to.
        assert proc.returncode in (0, -15), output
        assert "Traceback" not in output


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()[0].decode()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start")
