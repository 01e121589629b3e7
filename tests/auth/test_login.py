"""`POST /api/auth/login`: credentials, unverified and banned accounts, login history and
argon2 rehashing when the cost parameters change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.auth.models import LoginHistory
from sparkle.core import security
from tests.auth import MakeAccount, assert_problem, bearer, login
from tests.conftest import Account, make_settings

URL = "/api/auth/login"


class TestLogin:
    async def test_success(self, client: AsyncClient, owner: Account) -> None:
        r = await login(client, owner.user.email, owner.password)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"]["id"] == str(owner.id)
        assert body["user"]["username"] == "owner_user"
        assert body["tokens"]["tokenType"] == "Bearer"
        me = await client.get("/api/auth/me", headers=bearer(body["tokens"]["accessToken"]))
        assert me.status_code == 200
        assert me.json()["id"] == str(owner.id)

    async def test_email_is_case_insensitive(self, client: AsyncClient, owner: Account) -> None:
        r = await login(client, "  OWNER_USER@Example.COM ", owner.password)
        assert r.status_code == 200, r.text

    async def test_each_login_opens_a_new_session(
        self, client: AsyncClient, owner: Account
    ) -> None:
        first = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        second = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        assert first["refreshToken"] != second["refreshToken"]
        sessions = await client.get("/api/auth/sessions", headers=owner.headers)
        assert len(sessions.json()) == 3  # the factory's, and these two

    async def test_unknown_email_and_wrong_password_look_the_same(
        self, client: AsyncClient, owner: Account
    ) -> None:
        unknown = await login(client, "nobody@example.com", owner.password)
        wrong = await login(client, owner.user.email, "not-the-password")
        body = assert_problem(unknown, 401, "invalid_credentials")
        assert_problem(wrong, 401, "invalid_credentials")
        assert body["title"] == body["detail"] == "Invalid credentials"
        assert unknown.json() == wrong.json()
        assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"

    async def test_failures_are_recorded_in_login_history(
        self, client: AsyncClient, owner: Account, db: AsyncSession
    ) -> None:
        # The 401 must not roll back the security record.
        await login(client, owner.user.email, "not-the-password")
        await login(client, "nobody@example.com", "whatever-password")
        rows = (
            await db.scalars(
                select(LoginHistory)
                .where(LoginHistory.success.is_(False))
                .order_by(LoginHistory.created_at)
            )
        ).all()
        assert [(r.email, r.user_id, r.reason) for r in rows] == [
            ("owner_user@example.com", owner.id, "invalid_credentials"),
            ("nobody@example.com", None, "invalid_credentials"),
        ]
        assert all(r.ip_address == "203.0.113.7" for r in rows)

    async def test_success_is_recorded(
        self, client: AsyncClient, owner: Account, db: AsyncSession
    ) -> None:
        await login(
            client,
            owner.user.email,
            owner.password,
            headers={"User-Agent": "Firefox/120 (X11; Linux)"},
        )
        row = await db.scalar(
            select(LoginHistory).where(
                LoginHistory.success.is_(True), LoginHistory.ip_address == "203.0.113.7"
            )
        )
        assert row is not None
        assert row.user_id == owner.id
        assert row.user_agent == "Firefox/120 (X11; Linux)"

    async def test_password_is_case_sensitive(self, client: AsyncClient, owner: Account) -> None:
        r = await login(client, owner.user.email, owner.password.upper())
        assert_problem(r, 401, "invalid_credentials")

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({}, ["email", "password"]),
            ({"email": "a@example.com"}, ["password"]),
            ({"email": "a@example.com", "password": "x", "remember": True}, ["remember"]),
            ({"email": "a@example.com", "password": "x" * 129}, ["password"]),
        ],
    )
    async def test_validation(
        self, client: AsyncClient, body: dict[str, object], fields: list[str]
    ) -> None:
        assert_problem(await client.post(URL, json=body), 400, "validation_error", fields=fields)


class TestSameWork:
    """An unknown email costs one argon2 verification, exactly like a wrong password, so
    response times do not reveal which addresses have accounts (timings: bench/)."""

    async def test_unknown_email_verifies_a_hash_too(
        self, client: AsyncClient, owner: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[str] = []
        original = PasswordHasher.verify

        def spy(self: PasswordHasher, hash: str, password: str) -> bool:
            calls.append(hash)
            return original(self, hash, password)

        monkeypatch.setattr(PasswordHasher, "verify", spy)
        assert (await login(client, "nobody@example.com", "not-the-password")).status_code == 401
        assert (await login(client, owner.user.email, "not-the-password")).status_code == 401
        assert len(calls) == 2
        assert all(h.startswith("$argon2id$") for h in calls)


class TestUnverified:
    async def test_refused_while_unverified(
        self, client: AsyncClient, make_account: MakeAccount
    ) -> None:
        account = await make_account(username="fresh_one", verified=False)
        r = await login(client, account.user.email, account.password)
        body = assert_problem(r, 403, "email_not_verified")
        assert body["detail"] == "Please verify your email before logging in"

    async def test_wrong_password_still_401(
        self, client: AsyncClient, make_account: MakeAccount
    ) -> None:
        # The verification state is revealed only to someone who knows the password.
        account = await make_account(username="fresh_one", verified=False)
        assert_problem(
            await login(client, account.user.email, "not-the-password"), 401, "invalid_credentials"
        )


class TestUnverifiedAllowed:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"SPARKLE_REQUIRE_EMAIL_VERIFICATION": False}

    async def test_unverified_can_log_in(
        self, client: AsyncClient, make_account: MakeAccount
    ) -> None:
        account = await make_account(username="fresh_one", verified=False)
        r = await login(client, account.user.email, account.password)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["emailVerified"] is None


async def ban(
    client: AsyncClient, admin: Account, user_id: uuid.UUID, until: datetime | None
) -> None:
    r = await client.patch(
        f"/api/admin/users/{user_id}",
        json={"bannedUntil": until.isoformat() if until else None},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text


class TestBanned:
    async def test_login_refused(self, client: AsyncClient, owner: Account, admin: Account) -> None:
        await ban(client, admin, owner.id, datetime.now(UTC) + timedelta(days=3))
        body = assert_problem(
            await login(client, owner.user.email, owner.password), 403, "account_suspended"
        )
        assert "suspended until" in body["detail"]

    async def test_wrong_password_of_banned_is_401(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        await ban(client, admin, owner.id, datetime.now(UTC) + timedelta(days=3))
        assert_problem(
            await login(client, owner.user.email, "not-the-password"), 401, "invalid_credentials"
        )

    async def test_existing_tokens_refused(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 200
        await ban(client, admin, owner.id, datetime.now(UTC) + timedelta(days=3))
        assert_problem(
            await client.get("/api/auth/me", headers=owner.headers), 403, "account_suspended"
        )
        assert_problem(
            await client.post("/api/auth/logout", headers=owner.headers), 403, "account_suspended"
        )
        r = await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        assert_problem(r, 403, "account_suspended")

    async def test_expired_ban_lets_them_back(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        await ban(client, admin, owner.id, datetime.now(UTC) - timedelta(minutes=1))
        assert (await login(client, owner.user.email, owner.password)).status_code == 200
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 200

    async def test_lifted_ban_lets_them_back(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        await ban(client, admin, owner.id, datetime.now(UTC) + timedelta(days=3))
        await ban(client, admin, owner.id, None)
        assert (await login(client, owner.user.email, owner.password)).status_code == 200
        r = await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        assert r.status_code == 200, r.text


class TestRehash:
    """The server runs with time cost 2; a hash made with time cost 1 is upgraded at login."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"ARGON2_TIME_COST": 2}

    async def test_rehash_on_login(
        self, client: AsyncClient, db: AsyncSession, tmp_path: Path
    ) -> None:
        old_settings = make_settings(tmp_path / "old", ARGON2_TIME_COST=1)
        user = await accounts_service.create(
            db,
            email="legacy@example.com",
            username="legacy_user",
            hashed_password=security.hash_password(old_settings, "legacy-password-1"),
            verified=True,
        )
        await db.commit()
        user_id, old_hash = user.id, user.hashed_password
        assert extract_parameters(old_hash).time_cost == 1

        r = await login(client, "legacy@example.com", "legacy-password-1")
        assert r.status_code == 200, r.text

        db.expire_all()
        stored = await accounts_service.get(db, user_id)
        assert stored is not None
        assert stored.hashed_password != old_hash
        params = extract_parameters(stored.hashed_password)
        assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 1024, 1)
        # The upgraded hash still verifies the same password.
        assert (await login(client, "legacy@example.com", "legacy-password-1")).status_code == 200

    async def test_wrong_password_does_not_rehash(
        self, client: AsyncClient, db: AsyncSession, tmp_path: Path
    ) -> None:
        old_settings = make_settings(tmp_path / "old", ARGON2_TIME_COST=1)
        user = await accounts_service.create(
            db,
            email="legacy@example.com",
            username="legacy_user",
            hashed_password=security.hash_password(old_settings, "legacy-password-1"),
            verified=True,
        )
        await db.commit()
        user_id, old_hash = user.id, user.hashed_password
        assert (await login(client, "legacy@example.com", "wrong-password-1")).status_code == 401
        db.expire_all()
        stored = await accounts_service.get(db, user_id)
        assert stored is not None and stored.hashed_password == old_hash
