"""User administration: `GET /api/admin/users` and `PATCH /api/admin/users/{id}`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role
from sparkle.audit.models import AuditLog
from sparkle.core.db import utcnow
from tests.conftest import Account


async def list_users(client: httpx.AsyncClient, admin: Account, **params: Any) -> httpx.Response:
    return await client.get("/api/admin/users", params=params, headers=admin.headers)


async def usernames(client: httpx.AsyncClient, admin: Account, **params: Any) -> list[str]:
    resp = await list_users(client, admin, **params)
    assert resp.status_code == 200, resp.text
    return [u["username"] for u in resp.json()["items"]]


async def audit_rows(db: AsyncSession, target_id: uuid.UUID) -> list[AuditLog]:
    stmt = select(AuditLog).where(
        AuditLog.target_id == str(target_id), AuditLog.action == "user.update"
    )
    return list((await db.scalars(stmt)).all())


class TestListUsersAccess:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/admin/users")).status_code == 401

    async def test_user(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await list_users(client, owner)
        assert resp.status_code == 403
        assert resp.json()["code"] == "admin_required"

    async def test_moderator(self, client: httpx.AsyncClient, moderator: Account) -> None:
        assert (await list_users(client, moderator)).status_code == 403

    async def test_admin(self, client: httpx.AsyncClient, admin: Account, owner: Account) -> None:
        resp = await list_users(client, admin)
        assert resp.status_code == 200
        body = resp.json()
        assert body["nextCursor"] is None
        row = next(u for u in body["items"] if u["username"] == "owner_user")
        assert row["id"] == str(owner.id)
        assert row["email"] == "owner_user@example.com"
        assert row["role"] == "USER"
        assert row["displayName"] == "owner_user"
        assert row["bannedUntil"] is None
        assert "hashedPassword" not in row


class TestListUsersFilters:
    async def test_search_by_username_part(
        self, client: httpx.AsyncClient, admin: Account, owner: Account, other: Account
    ) -> None:
        assert await usernames(client, admin, q="OWNER") == ["owner_user"]

    async def test_search_with_underscore(
        self, client: httpx.AsyncClient, admin: Account, owner: Account, moderator: Account
    ) -> None:
        assert await usernames(client, admin, q="mod_us") == ["mod_user"]

    async def test_underscore_and_percent_are_literal(
        self, client: httpx.AsyncClient, admin: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        await make_account(username="abXcd", verified=False)
        await make_account(username="ab_cd", verified=False)
        assert await usernames(client, admin, q="b_c") == ["ab_cd"]
        assert await usernames(client, admin, q="%") == []

    async def test_search_by_email_part(
        self, client: httpx.AsyncClient, admin: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        await make_account(username="luna", email="moonlight@fans.example", verified=False)
        await make_account(username="sol", email="sunshine@fans.example", verified=False)
        assert await usernames(client, admin, q="moonlight@") == ["luna"]
        assert sorted(await usernames(client, admin, q="@FANS.example")) == ["luna", "sol"]

    async def test_role_filter(
        self, client: httpx.AsyncClient, admin: Account, owner: Account, moderator: Account
    ) -> None:
        assert await usernames(client, admin, role="MODERATOR") == ["mod_user"]
        assert await usernames(client, admin, role="ADMIN") == ["admin_user"]
        assert "owner_user" in await usernames(client, admin, role="USER")

    async def test_search_and_role_combine(
        self, client: httpx.AsyncClient, admin: Account, owner: Account, moderator: Account
    ) -> None:
        assert await usernames(client, admin, q="user", role="MODERATOR") == ["mod_user"]

    async def test_invalid_role(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await list_users(client, admin, role="OWNER")
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "role"


class TestListUsersPaging:
    async def test_pages_cover_everything_once(
        self, client: httpx.AsyncClient, admin: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        created = {f"pager{i:02d}" for i in range(25)}
        for name in sorted(created):
            await make_account(username=name, verified=False)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"q": "pager", "limit": 10}
            if cursor:
                params["cursor"] = cursor
            resp = await list_users(client, admin, **params)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            pages += 1
            seen.extend(u["username"] for u in body["items"])
            cursor = body["nextCursor"]
            if cursor is None:
                break
            assert pages < 5, "paging does not terminate"
        assert pages == 3
        assert len(seen) == len(set(seen)) == 25
        assert set(seen) == created
        # Newest first: the last created user leads the first page.
        assert seen[0] == "pager24"
        assert seen[-1] == "pager00"

    async def test_bad_cursor(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await list_users(client, admin, cursor="definitely-not-a-cursor")
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "cursor"

    @pytest.mark.parametrize("limit", [0, 101, -1])
    async def test_limit_out_of_range(
        self, client: httpx.AsyncClient, admin: Account, limit: int
    ) -> None:
        resp = await list_users(client, admin, limit=limit)
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "limit"


class TestUpdateUserAccess:
    async def test_anonymous(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.patch(f"/api/admin/users/{owner.id}", json={"role": "MODERATOR"})
        assert resp.status_code == 401

    async def test_user(self, client: httpx.AsyncClient, owner: Account, other: Account) -> None:
        resp = await client.patch(
            f"/api/admin/users/{other.id}", json={"role": "MODERATOR"}, headers=owner.headers
        )
        assert resp.status_code == 403

    async def test_owner_cannot_promote_self(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"role": "ADMIN"}, headers=owner.headers
        )
        assert resp.status_code == 403
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()["role"] == "USER"

    async def test_moderator(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"role": "MODERATOR"}, headers=moderator.headers
        )
        assert resp.status_code == 403

    async def test_admin(
        self, client: httpx.AsyncClient, db: AsyncSession, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"role": "MODERATOR"}, headers=admin.headers
        )
        assert resp.status_code == 200
        assert resp.json()["role"] == "MODERATOR"
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "role"
        ] == "MODERATOR"
        rows = await audit_rows(db, owner.id)
        assert len(rows) == 1
        assert rows[0].actor_id == admin.id
        assert rows[0].changes == {"role": {"from": "USER", "to": "MODERATOR"}}


class TestUpdateUserRules:
    @pytest.mark.parametrize(
        "change", [{}, {"role": "USER"}, {"role": None}, {"bannedUntil": None}]
    )
    async def test_no_op_changes_nothing_and_is_not_audited(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        owner: Account,
        admin: Account,
        change: dict[str, Any],
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json=change, headers=admin.headers
        )
        assert resp.status_code == 200
        assert resp.json()["role"] == "USER"
        assert resp.json()["bannedUntil"] is None
        assert await audit_rows(db, owner.id) == []

    async def test_role_and_ban_in_one_change(
        self, client: httpx.AsyncClient, db: AsyncSession, owner: Account, admin: Account
    ) -> None:
        until = utcnow() + timedelta(hours=1)
        resp = await client.patch(
            f"/api/admin/users/{owner.id}",
            json={"role": "MODERATOR", "bannedUntil": until.isoformat()},
            headers=admin.headers,
        )
        assert resp.status_code == 200
        rows = await audit_rows(db, owner.id)
        assert len(rows) == 1
        assert set(rows[0].changes or {}) == {"role", "banned_until"}

    async def test_ban_locks_the_user_out(
        self, client: httpx.AsyncClient, db: AsyncSession, owner: Account, admin: Account
    ) -> None:
        until = (utcnow() + timedelta(days=7)).replace(microsecond=0)
        resp = await client.patch(
            f"/api/admin/users/{owner.id}",
            json={"bannedUntil": until.isoformat()},
            headers=admin.headers,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["bannedUntil"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))

        me = await client.get("/api/auth/me", headers=owner.headers)
        assert me.status_code == 403
        assert me.json()["code"] == "account_suspended"
        login = await client.post(
            "/api/auth/login", json={"email": "owner_user@example.com", "password": owner.password}
        )
        assert login.status_code == 403
        assert login.json()["code"] == "account_suspended"

        rows = await audit_rows(db, owner.id)
        assert len(rows) == 1
        change = rows[0].changes["banned_until"]  # type: ignore[index]
        assert change["from"] is None
        assert change["to"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))

    async def test_lifting_a_ban(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        until = (utcnow() + timedelta(days=1)).isoformat()
        url = f"/api/admin/users/{owner.id}"
        assert (
            await client.patch(url, json={"bannedUntil": until}, headers=admin.headers)
        ).status_code == 200
        assert (
            await client.patch(url, json={"bannedUntil": None}, headers=admin.headers)
        ).status_code == 200
        login = await client.post(
            "/api/auth/login", json={"email": "owner_user@example.com", "password": owner.password}
        )
        assert login.status_code == 200

    async def test_past_ban_does_not_lock_out(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        until = (utcnow() - timedelta(days=1)).isoformat()
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"bannedUntil": until}, headers=admin.headers
        )
        assert resp.status_code == 200
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 200

    async def test_naive_ban_time_is_rejected(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}",
            json={"bannedUntil": "2099-01-01T00:00:00"},
            headers=admin.headers,
        )
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "bannedUntil"

    @pytest.mark.parametrize(
        "change",
        [{"role": "USER"}, {"role": "MODERATOR"}, {"bannedUntil": "2099-01-01T00:00:00Z"}],
    )
    async def test_admin_cannot_demote_or_ban_self(
        self, client: httpx.AsyncClient, db: AsyncSession, admin: Account, change: dict[str, Any]
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{admin.id}", json=change, headers=admin.headers
        )
        assert resp.status_code == 403
        assert resp.json()["code"] == "self_change"
        me = await client.get("/api/auth/me", headers=admin.headers)
        assert me.status_code == 200
        assert me.json()["role"] == "ADMIN"
        assert await audit_rows(db, admin.id) == []

    async def test_admin_may_demote_another_admin(
        self, client: httpx.AsyncClient, admin: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        second = await make_account(username="second_admin", role=Role.ADMIN)
        resp = await client.patch(
            f"/api/admin/users/{second.id}", json={"role": "USER"}, headers=admin.headers
        )
        assert resp.status_code == 200
        assert (await list_users(client, second)).status_code == 403

    async def test_invalid_role(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"role": "SUPERUSER"}, headers=admin.headers
        )
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "role"

    async def test_unknown_field(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/admin/users/{owner.id}", json={"points": 5}, headers=admin.headers
        )
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["field"] == "points"

    async def test_unknown_user(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await client.patch(
            f"/api/admin/users/{uuid.uuid4()}", json={"role": "USER"}, headers=admin.headers
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "user_not_found"
