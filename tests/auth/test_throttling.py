"""Throttling with Mastodon's defaults: login 25 per 5 min per IP and per account, register
5 per 30 min per IP, password reset 5 per 30 min per e-mail; 429 with `Retry-After`."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.auth import service as auth_service
from sparkle.auth.errors import InvalidCredentials
from sparkle.auth.schemas import LoginRequest
from sparkle.core.config import Settings
from sparkle.core.deps import ClientInfo
from sparkle.core.errors import TooManyRequests
from sparkle.core.runtime import Runtime
from tests.auth import PASSWORD, assert_problem, login, mails_to
from tests.conftest import Account


def assert_throttled(response: Response, max_seconds: int) -> None:
    body = assert_problem(response, 429, "rate_limited")
    retry = int(response.headers["retry-after"])
    assert 0 < retry <= max_seconds
    assert body["retryAfter"] == retry


class TestLoginPerIp:
    async def test_26th_attempt_from_one_ip(self, client: AsyncClient, owner: Account) -> None:
        for n in range(25):
            r = await login(client, f"nobody{n}@example.com", "whatever-password")
            assert_problem(r, 401, "invalid_credentials")
        r = await login(client, "nobody25@example.com", "whatever-password")
        assert_throttled(r, 5 * 60)
        # The limit is on the address: even the right password is turned away now.
        assert_throttled(await login(client, owner.user.email, owner.password), 5 * 60)

    async def test_successes_count_too(self, client: AsyncClient, owner: Account) -> None:
        for _ in range(25):
            assert (await login(client, owner.user.email, owner.password)).status_code == 200
        assert_throttled(await login(client, owner.user.email, owner.password), 5 * 60)

    async def test_other_ip_unaffected(
        self, client: AsyncClient, app: FastAPI, owner: Account
    ) -> None:
        import httpx

        for n in range(26):
            await login(client, f"nobody{n}@example.com", "whatever-password")
        transport = httpx.ASGITransport(app=app, client=("192.0.2.99", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as elsewhere:
            assert (await login(elsewhere, owner.user.email, owner.password)).status_code == 200


class TestLoginPerAccount:
    """One test client has one address, so the per-account limit is driven through the service
    with a different client address per attempt."""

    async def test_26th_attempt_on_one_account(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        for n in range(25):
            with pytest.raises(InvalidCredentials):
                await auth_service.login(
                    db,
                    rt,
                    LoginRequest(email=owner.user.email, password="wrong-password"),
                    ClientInfo(ip=f"10.0.0.{n}", user_agent="pytest"),
                )
        with pytest.raises(TooManyRequests) as exc:
            await auth_service.login(
                db,
                rt,
                LoginRequest(email=owner.user.email, password=owner.password),
                ClientInfo(ip="10.0.1.1", user_agent="pytest"),
            )
        assert exc.value.status == 429
        assert 0 < int(exc.value.headers["Retry-After"]) <= 5 * 60

    async def test_account_key_ignores_case(
        self, rt: Runtime, db: AsyncSession, owner: Account
    ) -> None:
        for n in range(25):
            email = owner.user.email.upper() if n % 2 else owner.user.email
            with pytest.raises(InvalidCredentials):
                await auth_service.login(
                    db,
                    rt,
                    LoginRequest(email=email, password="wrong-password"),
                    ClientInfo(ip=f"10.0.0.{n}", user_agent="pytest"),
                )
        with pytest.raises(TooManyRequests):
            await auth_service.login(
                db,
                rt,
                LoginRequest(email=f" {owner.user.email.title()} ", password=owner.password),
                ClientInfo(ip="10.0.1.1", user_agent="pytest"),
            )

    async def test_other_account_unaffected(
        self, rt: Runtime, db: AsyncSession, owner: Account, other: Account
    ) -> None:
        for n in range(26):
            with pytest.raises((InvalidCredentials, TooManyRequests)):
                await auth_service.login(
                    db,
                    rt,
                    LoginRequest(email=owner.user.email, password="wrong-password"),
                    ClientInfo(ip=f"10.0.0.{n}", user_agent="pytest"),
                )
        user, tokens = await auth_service.login(
            db,
            rt,
            LoginRequest(email=other.user.email, password=other.password),
            ClientInfo(ip="10.0.2.1", user_agent="pytest"),
        )
        assert user.id == other.id and tokens.access_token


class TestRegisterPerIp:
    async def test_6th_registration_from_one_ip(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        for n in range(5):
            r = await client.post(
                "/api/auth/register",
                json={"email": f"fan{n}@example.com", "username": f"fan_{n}", "password": PASSWORD},
            )
            assert r.status_code == 201, r.text
        r = await client.post(
            "/api/auth/register",
            json={"email": "fan5@example.com", "username": "fan_5", "password": PASSWORD},
        )
        assert_throttled(r, 30 * 60)
        assert mails_to(settings, "fan5@example.com") == []
        assert_problem(
            await login(client, "fan5@example.com", PASSWORD), 401, "invalid_credentials"
        )

    async def test_conflicts_count_too(self, client: AsyncClient, owner: Account) -> None:
        for n in range(5):
            r = await client.post(
                "/api/auth/register",
                json={"email": owner.user.email, "username": f"fan_{n}", "password": PASSWORD},
            )
            assert r.status_code == 409
        r = await client.post(
            "/api/auth/register",
            json={"email": "fresh@example.com", "username": "fresh", "password": PASSWORD},
        )
        assert_throttled(r, 30 * 60)


class TestPasswordResetPerEmail:
    async def test_6th_request_for_one_email(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        for _ in range(5):
            assert (
                await client.post("/api/auth/forgot-password", json={"email": owner.user.email})
            ).status_code == 202
        r = await client.post("/api/auth/forgot-password", json={"email": owner.user.email.upper()})
        assert_throttled(r, 30 * 60)
        assert len(mails_to(settings, owner.user.email, "Reset")) == 5
        # Another address from the same client is counted on its own.
        assert (
            await client.post("/api/auth/forgot-password", json={"email": "ghost@example.com"})
        ).status_code == 202

    async def test_unknown_email_is_throttled_alike(self, client: AsyncClient) -> None:
        # Otherwise the 429 would tell which addresses have accounts.
        for _ in range(5):
            assert (
                await client.post("/api/auth/forgot-password", json={"email": "ghost@example.com"})
            ).status_code == 202
        assert_throttled(
            await client.post("/api/auth/forgot-password", json={"email": "ghost@example.com"}),
            30 * 60,
        )


class TestLimitsOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"SPARKLE_RATE_LIMITS": False}

    async def test_no_throttling_when_disabled(self, client: AsyncClient) -> None:
        for n in range(30):
            assert_problem(
                await login(client, f"nobody{n}@example.com", "whatever-password"),
                401,
                "invalid_credentials",
            )
