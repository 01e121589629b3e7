"""E-mail verification: the mailed single-use link token, the welcome mail, and resending
(always 202, mail only for unverified accounts, rate limited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.auth.models import AccountToken
from sparkle.core import security
from sparkle.core.config import Settings
from tests.auth import PASSWORD, MakeAccount, assert_problem, link_token, login, mails_to
from tests.conftest import Account

VERIFY = "/api/auth/verify-email"
RESEND = "/api/auth/resend-verification"


async def register(
    client: AsyncClient, email: str = "nova@example.com", username: str = "nova"
) -> dict[str, Any]:
    r = await client.post(
        "/api/auth/register", json={"email": email, "username": username, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    return r.json()


def verification_token(settings: Settings, email: str = "nova@example.com") -> str:
    mails = mails_to(settings, email, "Verify")
    assert mails, "no verification mail"
    return link_token(mails[0], "/verify-email")


class TestVerifyEmail:
    async def test_token_from_mail_verifies_once(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        await register(client)
        assert_problem(await login(client, "nova@example.com", PASSWORD), 403, "email_not_verified")
        token = verification_token(settings)

        r = await client.post(VERIFY, json={"token": token})
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "nova"
        verified_at = datetime.fromisoformat(r.json()["emailVerified"])
        assert abs(datetime.now(UTC) - verified_at) < timedelta(minutes=1)

        welcome = mails_to(settings, "nova@example.com", "Welcome")
        assert len(welcome) == 1
        assert (await login(client, "nova@example.com", PASSWORD)).status_code == 200

        again = await client.post(VERIFY, json={"token": token})
        assert_problem(again, 400, "invalid_link", fields=["token"])
        assert len(mails_to(settings, "nova@example.com", "Welcome")) == 1

    async def test_me_shows_verification(self, client: AsyncClient, settings: Settings) -> None:
        body = await register(client)
        headers = {"Authorization": f"Bearer {body['tokens']['accessToken']}"}
        assert (await client.get("/api/auth/me", headers=headers)).json()["emailVerified"] is None
        await client.post(VERIFY, json={"token": verification_token(settings)})
        assert (await client.get("/api/auth/me", headers=headers)).json()[
            "emailVerified"
        ] is not None

    async def test_garbage_token(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(VERIFY, json={"token": "garbage"}),
            400,
            "invalid_link",
            fields=["token"],
        )

    async def test_empty_or_missing_token(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(VERIFY, json={"token": ""}), 400, "validation_error", fields=["token"]
        )
        assert_problem(
            await client.post(VERIFY, json={}), 400, "validation_error", fields=["token"]
        )

    async def test_expired_token(
        self, client: AsyncClient, settings: Settings, db: AsyncSession
    ) -> None:
        await register(client)
        token = verification_token(settings)
        await db.execute(
            update(AccountToken)
            .where(AccountToken.token_hash == security.token_hash(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await db.commit()
        assert_problem(
            await client.post(VERIFY, json={"token": token}), 400, "invalid_link", fields=["token"]
        )

    async def test_link_is_valid_for_24_hours(
        self, client: AsyncClient, settings: Settings, db: AsyncSession
    ) -> None:
        from sqlalchemy import select

        await register(client)
        row = await db.scalar(
            select(AccountToken).where(
                AccountToken.token_hash == security.token_hash(verification_token(settings))
            )
        )
        assert row is not None and row.purpose == "verify_email"
        assert (
            timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
        )

    async def test_reset_token_does_not_verify(
        self, client: AsyncClient, settings: Settings, make_account: MakeAccount
    ) -> None:
        account = await make_account(username="fresh_one", verified=False)
        assert (
            await client.post("/api/auth/forgot-password", json={"email": account.user.email})
        ).status_code == 202
        reset = link_token(mails_to(settings, account.user.email, "Reset")[0], "/reset-password")
        assert_problem(await client.post(VERIFY, json={"token": reset}), 400, "invalid_link")


class TestResendVerification:
    async def test_unverified_gets_a_new_link(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        await register(client)
        first = verification_token(settings)
        r = await client.post(RESEND, json={"email": "NOVA@example.com"})
        assert r.status_code == 202
        assert r.json()["message"]
        mails = mails_to(settings, "nova@example.com", "Verify")
        assert len(mails) == 2
        second = link_token(mails[0], "/verify-email")
        assert second != first
        # Only the newest link works.
        assert_problem(await client.post(VERIFY, json={"token": first}), 400, "invalid_link")
        assert (await client.post(VERIFY, json={"token": second})).status_code == 200

    async def test_unknown_email_202_no_mail(self, client: AsyncClient, settings: Settings) -> None:
        r = await client.post(RESEND, json={"email": "ghost@example.com"})
        assert r.status_code == 202
        assert mails_to(settings, "ghost@example.com") == []

    async def test_verified_account_202_no_mail(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        r = await client.post(RESEND, json={"email": owner.user.email})
        assert r.status_code == 202
        assert mails_to(settings, owner.user.email) == []

    async def test_same_answer_for_every_case(
        self, client: AsyncClient, owner: Account, make_account: MakeAccount
    ) -> None:
        unverified = await make_account(username="fresh_one", verified=False)
        bodies = [
            (await client.post(RESEND, json={"email": e})).json()
            for e in (owner.user.email, unverified.user.email, "ghost@example.com")
        ]
        assert bodies[0] == bodies[1] == bodies[2]

    async def test_rate_limited_per_account(
        self, client: AsyncClient, settings: Settings, make_account: MakeAccount
    ) -> None:
        account = await make_account(username="fresh_one", verified=False)
        for _ in range(3):
            assert (
                await client.post(RESEND, json={"email": account.user.email})
            ).status_code == 202
        r = await client.post(RESEND, json={"email": account.user.email})
        body = assert_problem(r, 429, "rate_limited")
        retry = int(r.headers["retry-after"])
        assert 0 < retry <= 15 * 60
        assert body["retryAfter"] == retry
        assert len(mails_to(settings, account.user.email, "Verify")) == 3
        # Another address is counted separately.
        assert (await client.post(RESEND, json={"email": "ghost@example.com"})).status_code == 202

    async def test_rate_limited_per_ip(self, client: AsyncClient) -> None:
        for n in range(5):
            assert (
                await client.post(RESEND, json={"email": f"ghost{n}@example.com"})
            ).status_code == 202
        r = await client.post(RESEND, json={"email": "ghost5@example.com"})
        assert_problem(r, 429, "rate_limited")
        assert 0 < int(r.headers["retry-after"]) <= 30 * 60

    async def test_validation(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(RESEND, json={}), 400, "validation_error", fields=["email"]
        )
