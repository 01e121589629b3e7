"""Forgot / reset password (no enumeration, single-use 1 h link, every session revoked) and
change password (current password checked, other sessions revoked, this one kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.auth.models import AccountToken
from sparkle.core import security
from sparkle.core.config import Settings
from tests.auth import MakeAccount, assert_problem, bearer, link_token, login, mails_to
from tests.conftest import Account

FORGOT = "/api/auth/forgot-password"
RESET = "/api/auth/reset-password"
CHANGE = "/api/auth/change-password"
NEW_PASSWORD = "moonlit-glitter-2044"


async def reset_token(client: AsyncClient, settings: Settings, email: str) -> str:
    r = await client.post(FORGOT, json={"email": email})
    assert r.status_code == 202, r.text
    mails = mails_to(settings, email, "Reset")
    assert mails, "no reset mail"
    return link_token(mails[0], "/reset-password")


async def alive(client: AsyncClient, access_token: str) -> bool:
    return (await client.get("/api/auth/me", headers=bearer(access_token))).status_code == 200


class TestForgotPassword:
    async def test_known_email_gets_a_link(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        r = await client.post(FORGOT, json={"email": owner.user.email})
        assert r.status_code == 202
        mails = mails_to(settings, owner.user.email)
        assert len(mails) == 1
        assert "Reset" in mails[0].subject
        assert mails[0].links[0].startswith("http://testserver/reset-password?token=")

    async def test_unknown_email_same_answer_no_mail(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        known = await client.post(FORGOT, json={"email": owner.user.email})
        unknown = await client.post(FORGOT, json={"email": "ghost@example.com"})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()
        assert mails_to(settings, "ghost@example.com") == []

    async def test_email_case_insensitive(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        assert (
            await client.post(FORGOT, json={"email": "OWNER_USER@EXAMPLE.COM"})
        ).status_code == 202
        assert len(mails_to(settings, owner.user.email, "Reset")) == 1

    async def test_link_valid_for_one_hour(
        self, client: AsyncClient, settings: Settings, owner: Account, db: AsyncSession
    ) -> None:
        token = await reset_token(client, settings, owner.user.email)
        row = await db.scalar(
            select(AccountToken).where(AccountToken.token_hash == security.token_hash(token))
        )
        assert row is not None and row.purpose == "reset_password"
        assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)

    async def test_anonymous_and_signed_in_alike(
        self, client: AsyncClient, settings: Settings, owner: Account, other: Account
    ) -> None:
        # Being signed in as someone else neither helps nor hurts.
        r = await client.post(FORGOT, json={"email": owner.user.email}, headers=other.headers)
        assert r.status_code == 202
        assert len(mails_to(settings, owner.user.email, "Reset")) == 1
        assert mails_to(settings, other.user.email) == []


class TestResetPassword:
    async def test_sets_password_and_revokes_every_session(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        laptop = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        token = await reset_token(client, settings, owner.user.email)
        r = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
        assert r.status_code == 200, r.text
        assert r.json()["message"]

        for access, refresh in (
            (owner.access_token, owner.refresh_token),
            (laptop["accessToken"], laptop["refreshToken"]),
        ):
            assert not await alive(client, access)
            assert_problem(
                await client.post("/api/auth/refresh", json={"refreshToken": refresh}),
                401,
                "invalid_refresh_token",
            )
        assert_problem(
            await login(client, owner.user.email, owner.password), 401, "invalid_credentials"
        )
        assert (await login(client, owner.user.email, NEW_PASSWORD)).status_code == 200

    async def test_single_use(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        token = await reset_token(client, settings, owner.user.email)
        assert (
            await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
        ).status_code == 200
        r = await client.post(RESET, json={"token": token, "password": "another-good-one-77"})
        assert_problem(r, 400, "invalid_link", fields=["token"])
        assert (await login(client, owner.user.email, NEW_PASSWORD)).status_code == 200

    async def test_newer_link_replaces_older(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        first = await reset_token(client, settings, owner.user.email)
        second = await reset_token(client, settings, owner.user.email)
        assert_problem(
            await client.post(RESET, json={"token": first, "password": NEW_PASSWORD}),
            400,
            "invalid_link",
        )
        assert (
            await client.post(RESET, json={"token": second, "password": NEW_PASSWORD})
        ).status_code == 200

    async def test_bad_password_keeps_the_token(
        self, client: AsyncClient, settings: Settings, owner: Account
    ) -> None:
        token = await reset_token(client, settings, owner.user.email)
        for bad in ("short", "password123", "x" * 129):
            r = await client.post(RESET, json={"token": token, "password": bad})
            assert_problem(r, 400, "validation_error", fields=["password"])
        assert await alive(client, owner.access_token)
        assert (
            await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
        ).status_code == 200

    async def test_garbage_token(self, client: AsyncClient, owner: Account) -> None:
        r = await client.post(RESET, json={"token": "garbage", "password": NEW_PASSWORD})
        assert_problem(r, 400, "invalid_link", fields=["token"])
        assert await alive(client, owner.access_token)

    async def test_expired_token(
        self, client: AsyncClient, settings: Settings, owner: Account, db: AsyncSession
    ) -> None:
        token = await reset_token(client, settings, owner.user.email)
        await db.execute(
            update(AccountToken)
            .where(AccountToken.token_hash == security.token_hash(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await db.commit()
        assert_problem(
            await client.post(RESET, json={"token": token, "password": NEW_PASSWORD}),
            400,
            "invalid_link",
        )
        assert (await login(client, owner.user.email, owner.password)).status_code == 200

    async def test_verification_token_does_not_reset(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        await client.post(
            "/api/auth/register",
            json={"email": "nova@example.com", "username": "nova", "password": "first-pass-123"},
        )
        verify = link_token(mails_to(settings, "nova@example.com", "Verify")[0], "/verify-email")
        assert_problem(
            await client.post(RESET, json={"token": verify, "password": NEW_PASSWORD}),
            400,
            "invalid_link",
        )

    async def test_reset_verifies_the_mailbox(
        self, client: AsyncClient, settings: Settings, make_account: MakeAccount
    ) -> None:
        account = await make_account(username="fresh_one", verified=False)
        token = await reset_token(client, settings, account.user.email)
        assert (
            await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
        ).status_code == 200
        r = await login(client, account.user.email, NEW_PASSWORD)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["emailVerified"] is not None


class TestChangePassword:
    async def test_anonymous(self, client: AsyncClient) -> None:
        r = await client.post(CHANGE, json={"currentPassword": "x", "newPassword": NEW_PASSWORD})
        assert_problem(r, 401, "unauthorized")

    async def test_owner_keeps_this_session_revokes_others(
        self, client: AsyncClient, owner: Account
    ) -> None:
        laptop = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        r = await client.post(
            CHANGE,
            json={"currentPassword": owner.password, "newPassword": NEW_PASSWORD},
            headers=owner.headers,
        )
        assert r.status_code == 200, r.text
        assert await alive(client, owner.access_token)
        assert (
            await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        ).status_code == 200
        assert not await alive(client, laptop["accessToken"])
        assert_problem(
            await client.post("/api/auth/refresh", json={"refreshToken": laptop["refreshToken"]}),
            401,
            "invalid_refresh_token",
        )
        assert_problem(
            await login(client, owner.user.email, owner.password), 401, "invalid_credentials"
        )
        assert (await login(client, owner.user.email, NEW_PASSWORD)).status_code == 200

    async def test_wrong_current_password(self, client: AsyncClient, owner: Account) -> None:
        laptop = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        r = await client.post(
            CHANGE,
            json={"currentPassword": "not-the-password", "newPassword": NEW_PASSWORD},
            headers=owner.headers,
        )
        assert_problem(r, 400, "validation_error", fields=["currentPassword"])
        assert await alive(client, laptop["accessToken"])
        assert (await login(client, owner.user.email, owner.password)).status_code == 200

    async def test_new_password_rules(self, client: AsyncClient, owner: Account) -> None:
        for bad in ("short", "password123", "y" * 129):
            r = await client.post(
                CHANGE,
                json={"currentPassword": owner.password, "newPassword": bad},
                headers=owner.headers,
            )
            assert_problem(r, 400, "validation_error", fields=["newPassword"])

    async def test_same_as_current(self, client: AsyncClient, owner: Account) -> None:
        r = await client.post(
            CHANGE,
            json={"currentPassword": owner.password, "newPassword": owner.password},
            headers=owner.headers,
        )
        assert_problem(r, 400, "validation_error", fields=["newPassword"])

    async def test_other_user_cannot_use_owners_password(
        self, client: AsyncClient, make_account: MakeAccount, other: Account
    ) -> None:
        # The endpoint only ever acts on the caller: the owner's password is wrong for `other`.
        owner = await make_account(username="pw_owner", password="owner-only-secret-1")
        r = await client.post(
            CHANGE,
            json={"currentPassword": owner.password, "newPassword": NEW_PASSWORD},
            headers=other.headers,
        )
        assert_problem(r, 400, "validation_error", fields=["currentPassword"])
        assert await alive(client, owner.access_token)
        assert (await login(client, owner.user.email, owner.password)).status_code == 200
        assert (await login(client, other.user.email, other.password)).status_code == 200

    async def test_admin_changes_only_their_own(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        r = await client.post(
            CHANGE,
            json={"currentPassword": admin.password, "newPassword": NEW_PASSWORD},
            headers=admin.headers,
        )
        assert r.status_code == 200
        assert (await login(client, admin.user.email, NEW_PASSWORD)).status_code == 200
        assert (await login(client, owner.user.email, owner.password)).status_code == 200
        assert await alive(client, owner.access_token)
