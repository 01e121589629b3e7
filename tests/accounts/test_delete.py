"""Account deletion: `DELETE /api/users/me`, the grace period and the purge that frees names."""

from __future__ import annotations

from datetime import timedelta

import httpx

from sparkle.accounts import service as accounts_service
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from tests.conftest import Account

NEW_PASSWORD = "a-brand-new-passphrase"


async def delete_me(client: httpx.AsyncClient, account: Account, password: str) -> httpx.Response:
    return await client.request(
        "DELETE", "/api/users/me", json={"password": password}, headers=account.headers
    )


async def register(client: httpx.AsyncClient, username: str, email: str) -> httpx.Response:
    return await client.post(
        "/api/auth/register", json={"email": email, "username": username, "password": NEW_PASSWORD}
    )


class TestDeleteMe:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        resp = await client.request("DELETE", "/api/users/me", json={"password": "whatever-123"})
        assert resp.status_code == 401

    async def test_missing_password(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.request("DELETE", "/api/users/me", json={}, headers=owner.headers)
        assert resp.status_code == 400
        assert [e["field"] for e in resp.json()["errors"]] == ["password"]

    async def test_wrong_password_keeps_account(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await delete_me(client, owner, "not-my-password")
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "password"
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 200
        assert (await client.get("/api/users/owner_user")).status_code == 200

    async def test_right_password_deletes(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await delete_me(client, owner, owner.password)
        assert resp.status_code == 204
        assert resp.content == b""
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 401
        refresh = await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        assert refresh.status_code == 401
        login = await client.post(
            "/api/auth/login", json={"email": "owner_user@example.com", "password": owner.password}
        )
        assert login.status_code == 401
        assert (await client.get("/api/users/owner_user")).status_code == 404

    async def test_other_sessions_end_too(self, client: httpx.AsyncClient, owner: Account) -> None:
        second = await client.post(
            "/api/auth/login", json={"email": "owner_user@example.com", "password": owner.password}
        )
        assert second.status_code == 200
        second_token = second.json()["tokens"]["accessToken"]
        assert (await delete_me(client, owner, owner.password)).status_code == 204
        resp = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {second_token}"})
        assert resp.status_code == 401


class TestGracePeriod:
    async def test_username_stays_taken_until_purged(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        assert (await delete_me(client, owner, owner.password)).status_code == 204

        taken = await register(client, "Owner_User", "someone.else@example.com")
        assert taken.status_code == 409
        assert "username" in {e["field"] for e in taken.json()["errors"]}

        # Within the grace period the purge leaves the account alone.
        async with session_scope(rt.sessions) as session:
            assert await accounts_service.purge_deleted(session, grace_days=30) == 0
        assert (await register(client, "owner_user", "someone.else@example.com")).status_code == 409

        async with session_scope(rt.sessions) as session:
            purged = await accounts_service.purge_deleted(
                session, grace_days=30, now=utcnow() + timedelta(days=31)
            )
        assert purged == 1

        fresh = await register(client, "owner_user", "owner_user@example.com")
        assert fresh.status_code == 201, fresh.text
        new_user = fresh.json()["user"]
        assert new_user["id"] != str(owner.id)
        profile = await client.get("/api/users/owner_user")
        assert profile.status_code == 200
        assert profile.json()["id"] == new_user["id"]

    async def test_purge_is_idempotent(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        assert (await delete_me(client, owner, owner.password)).status_code == 204
        later = utcnow() + timedelta(days=31)
        async with session_scope(rt.sessions) as session:
            assert await accounts_service.purge_deleted(session, grace_days=30, now=later) == 1
        async with session_scope(rt.sessions) as session:
            assert await accounts_service.purge_deleted(session, grace_days=30, now=later) == 0
