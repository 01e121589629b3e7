"""`POST /api/auth/register`: the new account, its first session, the verification mail and
every way the input can be refused."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.core.config import Settings
from tests.auth import PASSWORD, MakeAccount, assert_problem, bearer, link_token, mails_to
from tests.conftest import Account

URL = "/api/auth/register"


def payload(**overrides: object) -> dict[str, object]:
    return {
        "email": "luna@example.com",
        "username": "luna_sparkle",
        "password": PASSWORD,
        **overrides,
    }


async def count_users(client: AsyncClient, admin: Account, query: str) -> int:
    r = await client.get(
        "/api/admin/users", params={"q": query, "limit": 100}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


class TestRegister:
    async def test_creates_user_profile_and_session(self, client: AsyncClient) -> None:
        r = await client.post(URL, json=payload())
        assert r.status_code == 201, r.text
        body = r.json()
        assert set(body) == {"user", "tokens"}
        user = body["user"]
        assert user["email"] == "luna@example.com"
        assert user["username"] == "luna_sparkle"
        assert user["role"] == "USER"
        assert user["emailVerified"] is None
        assert user["twoFactorEnabled"] is False
        assert user["profile"]["displayName"] == "luna_sparkle"
        tokens = body["tokens"]
        assert tokens["tokenType"] == "Bearer"
        assert tokens["expiresIn"] == 15 * 60
        assert tokens["refreshToken"]
        me = await client.get("/api/auth/me", headers=bearer(tokens["accessToken"]))
        assert me.status_code == 200
        assert me.json()["id"] == user["id"]

    async def test_domain_is_lowercased_local_part_kept(self, client: AsyncClient) -> None:
        r = await client.post(URL, json=payload(email="Luna.Star@Example.COM"))
        assert r.status_code == 201, r.text
        assert r.json()["user"]["email"] == "Luna.Star@example.com"

    async def test_verification_mail_lands_in_outbox(
        self, client: AsyncClient, settings: Settings, db: AsyncSession
    ) -> None:
        r = await client.post(URL, json=payload())
        assert r.status_code == 201
        mails = mails_to(settings, "luna@example.com")
        assert len(mails) == 1
        assert "Verify" in mails[0].subject
        token = link_token(mails[0], "/verify-email")
        assert len(token) >= 32
        assert mails[0].links[0].startswith("http://testserver/verify-email?token=")
        # The link token is the one the account can be verified with.
        v = await client.post("/api/auth/verify-email", json={"token": token})
        assert v.status_code == 200
        assert v.json()["id"] == r.json()["user"]["id"]

    async def test_password_is_stored_hashed(self, client: AsyncClient, db: AsyncSession) -> None:
        r = await client.post(URL, json=payload())
        assert r.status_code == 201
        user = await accounts_service.get_by_email(db, "luna@example.com")
        assert user is not None
        assert user.hashed_password is not None
        assert user.hashed_password.startswith("$argon2id$")
        assert PASSWORD not in user.hashed_password

    @pytest.mark.parametrize(
        "email", ["taken@example.com", "TAKEN@EXAMPLE.COM", "Taken@Example.com"]
    )
    async def test_email_taken_case_insensitive(
        self,
        client: AsyncClient,
        make_account: MakeAccount,
        admin: Account,
        settings: Settings,
        email: str,
    ) -> None:
        await make_account(username="first_one", email="taken@example.com")
        r = await client.post(URL, json=payload(email=email, username="second_one"))
        body = assert_problem(r, 409, "user_exists", fields=["email"])
        assert "email" in body["detail"]
        assert await count_users(client, admin, "taken@") == 1
        assert await count_users(client, admin, "second") == 0
        assert mails_to(settings, email) == []

    @pytest.mark.parametrize("username", ["Luna_Sparkle", "LUNA_SPARKLE", "luna_sparkle"])
    async def test_username_taken_case_insensitive(
        self,
        client: AsyncClient,
        make_account: MakeAccount,
        admin: Account,
        settings: Settings,
        username: str,
    ) -> None:
        await make_account(username="luna_sparkle", email="first@example.com")
        r = await client.post(URL, json=payload(email="second@example.com", username=username))
        assert_problem(r, 409, "user_exists", fields=["username"])
        assert await count_users(client, admin, "sparkle") == 1
        assert await count_users(client, admin, "second@") == 0
        assert mails_to(settings, "second@example.com") == []

    async def test_both_taken_names_both_fields(
        self, client: AsyncClient, make_account: MakeAccount
    ) -> None:
        await make_account(username="luna_sparkle", email="luna@example.com")
        r = await client.post(URL, json=payload())
        assert_problem(r, 409, "user_exists", fields=["email", "username"])

    async def test_conflict_opens_no_session(
        self, client: AsyncClient, make_account: MakeAccount, db: AsyncSession
    ) -> None:
        from sqlalchemy import func, select

        from sparkle.auth.models import Session

        account = await make_account(username="luna_sparkle", email="luna@example.com")
        before = await db.scalar(
            select(func.count()).select_from(Session).where(Session.user_id == account.id)
        )
        r = await client.post(URL, json=payload(email="new@example.com"))
        assert r.status_code == 409
        after = await db.scalar(
            select(func.count()).select_from(Session).where(Session.user_id == account.id)
        )
        assert before == after == 1


class TestRegisterValidation:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"username": "ab"}, "username"),
            ({"username": "a" * 31}, "username"),
            ({"username": "bad name"}, "username"),
            ({"username": "émilie"}, "username"),
            ({"username": "dots.are.out"}, "username"),
            ({"username": "luna\n"}, "username"),
            ({"username": "ab\n"}, "username"),
            ({"email": "luna@example.com\n"}, "email"),
            ({"password": "short7!"}, "password"),
            ({"password": "x" * 129}, "password"),
            ({"password": "password123"}, "password"),
            ({"password": "PASSWORD123"}, "password"),
            ({"email": "not-an-email"}, "email"),
            ({"email": "two@@example.com"}, "email"),
            ({"role": "ADMIN"}, "role"),
        ],
    )
    async def test_field_errors(
        self, client: AsyncClient, settings: Settings, overrides: dict[str, object], field: str
    ) -> None:
        r = await client.post(URL, json=payload(**overrides))
        body = assert_problem(r, 400, "validation_error", fields=[field])
        assert body["errors"][0]["message"]
        assert mails_to(settings, "luna@example.com") == []

    @pytest.mark.parametrize(
        "overrides",
        [
            {"username": "abc"},
            {"username": "a" * 30},
            {"username": "A-b_9"},
            {"password": "x1" * 4},
            {"password": "y" * 128},
        ],
    )
    async def test_boundaries_accepted(
        self, client: AsyncClient, overrides: dict[str, object]
    ) -> None:
        r = await client.post(URL, json=payload(**overrides))
        assert r.status_code == 201, r.text

    async def test_missing_fields(self, client: AsyncClient) -> None:
        r = await client.post(URL, json={})
        body = assert_problem(r, 400, "validation_error", fields=["email", "username", "password"])
        assert all(e["message"] == "This field is required" for e in body["errors"])

    async def test_unknown_field_message(self, client: AsyncClient) -> None:
        r = await client.post(URL, json=payload(isAdmin=True))
        body = assert_problem(r, 400, "validation_error", fields=["isAdmin"])
        assert body["errors"][0]["message"] == "Unknown field"

    async def test_common_password_message(self, client: AsyncClient) -> None:
        r = await client.post(URL, json=payload(password="password123"))
        body = assert_problem(r, 400, "validation_error", fields=["password"])
        assert "common" in body["errors"][0]["message"]

    async def test_invalid_registration_writes_nothing(
        self, client: AsyncClient, admin: Account
    ) -> None:
        r = await client.post(URL, json=payload(password="password123"))
        assert r.status_code == 400
        assert await count_users(client, admin, "luna") == 0
