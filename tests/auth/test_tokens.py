"""Refresh-token rotation with reuse detection, and what access tokens are refused: expired,
tampered, foreign, revoked; plus the cookie + CSRF path the web pages use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from httpx import AsyncClient, Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.auth.models import Session
from sparkle.core import security
from sparkle.core.config import Settings
from sparkle.core.security import create_access_token
from tests.auth import assert_problem, bearer, login, session_id_of
from tests.conftest import Account

REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"


async def refresh(client: AsyncClient, token: str) -> Response:
    return await client.post(REFRESH, json={"refreshToken": token})


class TestRefresh:
    async def test_rotates_to_a_new_pair(self, client: AsyncClient, owner: Account) -> None:
        r = await refresh(client, owner.refresh_token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"]["id"] == str(owner.id)
        tokens = body["tokens"]
        assert tokens["refreshToken"] != owner.refresh_token
        # Same session family: the session list still shows one entry for it.
        assert session_id_of(tokens["accessToken"]) == session_id_of(owner.access_token)
        assert (await client.get(ME, headers=bearer(tokens["accessToken"]))).status_code == 200
        again = await refresh(client, tokens["refreshToken"])
        assert again.status_code == 200, again.text

    async def test_refresh_token_stored_only_as_hash(
        self, client: AsyncClient, owner: Account, db: AsyncSession
    ) -> None:
        rows = (await db.scalars(select(Session).where(Session.user_id == owner.id))).all()
        assert len(rows) == 1
        assert rows[0].token_hash == security.token_hash(owner.refresh_token)
        assert owner.refresh_token not in rows[0].token_hash

    async def test_reuse_revokes_the_whole_family(
        self, client: AsyncClient, owner: Account
    ) -> None:
        first = (await refresh(client, owner.refresh_token)).json()["tokens"]
        second = (await refresh(client, first["refreshToken"])).json()["tokens"]
        assert (await client.get(ME, headers=bearer(second["accessToken"]))).status_code == 200

        # The original token comes back (stolen or replayed).
        r = await refresh(client, owner.refresh_token)
        body = assert_problem(r, 401, "invalid_refresh_token")
        assert "reuse" in body["detail"]

        # Everything of that session is dead now: the newest refresh token and every access token.
        assert_problem(await refresh(client, second["refreshToken"]), 401, "invalid_refresh_token")
        assert_problem(
            await client.get(ME, headers=bearer(second["accessToken"])), 401, "invalid_token"
        )
        assert_problem(await client.get(ME, headers=owner.headers), 401, "invalid_token")

    async def test_reuse_spares_other_sessions(self, client: AsyncClient, owner: Account) -> None:
        other_session = (await login(client, owner.user.email, owner.password)).json()["tokens"]
        await refresh(client, owner.refresh_token)
        assert (await refresh(client, owner.refresh_token)).status_code == 401
        assert (
            await client.get(ME, headers=bearer(other_session["accessToken"]))
        ).status_code == 200
        assert (await refresh(client, other_session["refreshToken"])).status_code == 200

    async def test_reuse_revocation_survives_the_error(
        self, client: AsyncClient, owner: Account, db: AsyncSession
    ) -> None:
        await refresh(client, owner.refresh_token)
        await refresh(client, owner.refresh_token)
        rows = (await db.scalars(select(Session).where(Session.user_id == owner.id))).all()
        assert len(rows) == 2
        assert all(r.revoked_at is not None for r in rows)
        assert {r.revoked_reason for r in rows} == {"rotated", "reuse_detected"}

    async def test_random_token(self, client: AsyncClient, owner: Account) -> None:
        assert_problem(await refresh(client, security.new_token()), 401, "invalid_refresh_token")
        # A random token touches nothing: the real one still rotates.
        assert (await refresh(client, owner.refresh_token)).status_code == 200

    async def test_access_token_is_not_a_refresh_token(
        self, client: AsyncClient, owner: Account
    ) -> None:
        assert_problem(await refresh(client, owner.access_token), 401, "invalid_refresh_token")

    async def test_expired_token(
        self, client: AsyncClient, owner: Account, db: AsyncSession
    ) -> None:
        await db.execute(
            update(Session)
            .where(Session.token_hash == security.token_hash(owner.refresh_token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await db.commit()
        body = assert_problem(
            await refresh(client, owner.refresh_token), 401, "invalid_refresh_token"
        )
        assert "expired" in body["detail"]
        # The refused attempt rotated nothing: presenting it again is not taken for reuse.
        again = assert_problem(
            await refresh(client, owner.refresh_token), 401, "invalid_refresh_token"
        )
        assert "expired" in again["detail"]

    async def test_after_logout(self, client: AsyncClient, owner: Account) -> None:
        assert (await client.post("/api/auth/logout", headers=owner.headers)).status_code == 204
        assert_problem(await refresh(client, owner.refresh_token), 401, "invalid_refresh_token")

    async def test_validation(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(REFRESH, json={}), 400, "validation_error", fields=["refreshToken"]
        )
        assert_problem(await refresh(client, ""), 400, "validation_error", fields=["refreshToken"])
        assert_problem(
            await refresh(client, "x" * 513), 400, "validation_error", fields=["refreshToken"]
        )


def forge(settings: Settings, owner: Account, now: datetime | None = None) -> str:
    return create_access_token(
        settings,
        user_id=owner.id,
        email=owner.user.email,
        username=owner.user.username,
        role=owner.user.role,
        session_id=uuid.UUID(session_id_of(owner.access_token)),
        now=now,
    )


class TestAccessToken:
    async def test_fresh_forged_token_is_accepted(
        self, client: AsyncClient, owner: Account, settings: Settings
    ) -> None:
        # The control for the refusals below: a correctly signed token for a live session works.
        assert (await client.get(ME, headers=bearer(forge(settings, owner)))).status_code == 200

    async def test_expired(self, client: AsyncClient, owner: Account, settings: Settings) -> None:
        token = forge(settings, owner, now=datetime.now(UTC) - timedelta(minutes=16))
        body = assert_problem(await client.get(ME, headers=bearer(token)), 401, "invalid_token")
        assert body["detail"] == "Invalid or expired access token"

    async def test_claims(self, owner: Account, settings: Settings) -> None:
        claims = security.decode_access_token(settings, owner.access_token)
        assert claims["sub"] == str(owner.id)
        assert claims["email"] == owner.user.email
        assert claims["username"] == "owner_user"
        assert claims["role"] == "USER"
        assert claims["exp"] - claims["iat"] == 15 * 60
        assert jwt.get_unverified_header(owner.access_token)["alg"] == "HS256"

    async def test_tampered_signature(self, client: AsyncClient, owner: Account) -> None:
        head, payload, sig = owner.access_token.split(".")
        flipped = sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")
        assert_problem(
            await client.get(ME, headers=bearer(f"{head}.{payload}.{flipped}")),
            401,
            "invalid_token",
        )

    async def test_tampered_payload(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        # Someone else's claims under the owner's signature.
        head, _, sig = owner.access_token.split(".")
        _, admin_payload, _ = admin.access_token.split(".")
        assert_problem(
            await client.get(ME, headers=bearer(f"{head}.{admin_payload}.{sig}")),
            401,
            "invalid_token",
        )

    async def test_other_secret(self, client: AsyncClient, owner: Account, tmp_path: Path) -> None:
        from tests.conftest import make_settings

        foreign = make_settings(
            tmp_path / "x", SECRET_KEY="another-secret-key-that-is-long-enough-987"
        )
        assert_problem(
            await client.get(ME, headers=bearer(forge(foreign, owner))), 401, "invalid_token"
        )

    async def test_unsigned(self, client: AsyncClient, owner: Account) -> None:
        claims = jwt.decode(owner.access_token, options={"verify_signature": False})
        token = jwt.encode(claims, key=None, algorithm="none")
        assert_problem(await client.get(ME, headers=bearer(token)), 401, "invalid_token")

    async def test_garbage(self, client: AsyncClient) -> None:
        assert_problem(await client.get(ME, headers=bearer("not-a-jwt")), 401, "invalid_token")

    async def test_unknown_session(
        self, client: AsyncClient, owner: Account, settings: Settings
    ) -> None:
        token = create_access_token(
            settings,
            user_id=owner.id,
            email=owner.user.email,
            username="owner_user",
            role="USER",
            session_id=uuid.uuid4(),
        )
        assert_problem(await client.get(ME, headers=bearer(token)), 401, "invalid_token")

    async def test_session_of_another_user(
        self, client: AsyncClient, owner: Account, other: Account, settings: Settings
    ) -> None:
        # A valid signature pairing the owner with another user's session id is refused.
        token = create_access_token(
            settings,
            user_id=owner.id,
            email=owner.user.email,
            username="owner_user",
            role="USER",
            session_id=uuid.UUID(session_id_of(other.access_token)),
        )
        assert_problem(await client.get(ME, headers=bearer(token)), 401, "invalid_token")

    async def test_after_logout(self, client: AsyncClient, owner: Account) -> None:
        assert (await client.post("/api/auth/logout", headers=owner.headers)).status_code == 204
        body = assert_problem(await client.get(ME, headers=owner.headers), 401, "invalid_token")
        assert body["detail"] == "Session revoked or expired"

    async def test_anonymous(self, client: AsyncClient) -> None:
        r = await client.get(ME)
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_two_factor_challenge_is_not_an_access_token(
        self, client: AsyncClient, owner: Account, settings: Settings
    ) -> None:
        now = datetime.now(UTC)
        challenge = jwt.encode(
            {
                "sub": str(owner.id),
                "typ": "2fa",
                "sid": session_id_of(owner.access_token),
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(minutes=5)).timestamp()),
            },
            settings.secret_key.get_secret_value(),
            algorithm="HS256",
        )
        assert_problem(await client.get(ME, headers=bearer(challenge)), 401, "invalid_token")


class TestCookies:
    """The web pages authenticate with httpOnly cookies; unsafe requests need the CSRF token."""

    async def test_safe_request_with_cookie(self, client: AsyncClient, owner: Account) -> None:
        client.cookies.set("sparkle_access", owner.access_token)
        assert (await client.get(ME)).status_code == 200

    async def test_unsafe_request_without_csrf(self, client: AsyncClient, owner: Account) -> None:
        client.cookies.set("sparkle_access", owner.access_token)
        assert_problem(await client.post("/api/auth/logout"), 403, "csrf_failed")
        assert (await client.get(ME, headers=owner.headers)).status_code == 200

    async def test_unsafe_request_with_wrong_csrf(
        self, client: AsyncClient, owner: Account
    ) -> None:
        client.cookies.set("sparkle_access", owner.access_token)
        client.cookies.set("sparkle_csrf", "cookie-value")
        r = await client.post("/api/auth/logout", headers={"X-CSRF-Token": "other-value"})
        assert_problem(r, 403, "csrf_failed")

    async def test_unsafe_request_with_csrf(self, client: AsyncClient, owner: Account) -> None:
        client.cookies.set("sparkle_access", owner.access_token)
        client.cookies.set("sparkle_csrf", "cookie-value")
        assert (
            await client.post("/api/auth/logout", headers={"X-CSRF-Token": "cookie-value"})
        ).status_code == 204
        assert_problem(await client.get(ME, headers=owner.headers), 401, "invalid_token")

    async def test_refresh_cookie_stands_in_for_an_expired_access_cookie(
        self, client: AsyncClient, owner: Account, settings: Settings
    ) -> None:
        client.cookies.set(
            "sparkle_access", forge(settings, owner, now=datetime.now(UTC) - timedelta(hours=1))
        )
        client.cookies.set("sparkle_refresh", owner.refresh_token)
        r = await client.get(ME)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == str(owner.id)
