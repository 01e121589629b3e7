"""Public profiles and profile edits: `GET /api/users/{username}`, `PATCH .../profile`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.audit.models import AuditLog
from tests.conftest import Account

# Plus the signed-in viewer's own follow relation to the user, which the follow button needs.
PRIVATE_VIEW_KEYS = {
    "id",
    "username",
    "displayName",
    "avatarUrl",
    "isPublic",
    "isFollowing",
    "followsYou",
}


async def set_profile(
    client: httpx.AsyncClient, account: Account, **changes: Any
) -> dict[str, Any]:
    resp = await client.patch("/api/users/me/profile", json=changes, headers=account.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def my_profile(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    resp = await client.get("/api/auth/me", headers=account.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["profile"]


def error_fields(resp: httpx.Response) -> set[str]:
    assert resp.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in resp.json().get("errors", [])}


class TestGetProfile:
    async def test_anonymous_sees_public_profile(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        await set_profile(client, owner, bio="Hello there", location="Lyon")
        resp = await client.get("/api/users/owner_user")
        assert resp.status_code == 200
        body = resp.json()
        assert body["id"] == str(owner.id)
        assert body["username"] == "owner_user"
        assert body["displayName"] == "owner_user"
        assert body["bio"] == "Hello there"
        assert body["location"] == "Lyon"
        assert body["isPublic"] is True
        assert "email" not in body

    async def test_lookup_is_case_insensitive(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.get("/api/users/OWNER_User")
        assert resp.status_code == 200
        assert resp.json()["username"] == "owner_user"

    async def test_email_shown_only_with_show_email(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        assert (
            "email" not in (await client.get("/api/users/owner_user", headers=other.headers)).json()
        )
        await set_profile(client, owner, showEmail=True)
        anonymous = (await client.get("/api/users/owner_user")).json()
        assert anonymous["email"] == "owner_user@example.com"

    async def test_private_profile_to_anonymous_and_other_user(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        await set_profile(client, owner, isPublic=False, bio="secret", showEmail=True)
        for headers in ({}, other.headers):
            resp = await client.get("/api/users/owner_user", headers=headers)
            assert resp.status_code == 200
            body = resp.json()
            assert set(body) <= PRIVATE_VIEW_KEYS
            assert body["isPublic"] is False
            assert body["displayName"] == "owner_user"

    async def test_private_profile_full_view_to_owner_and_admin(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        await set_profile(client, owner, isPublic=False, bio="secret")
        for headers in (owner.headers, admin.headers):
            body = (await client.get("/api/users/owner_user", headers=headers)).json()
            assert body["bio"] == "secret"
            assert body["email"] == "owner_user@example.com"
            assert body["role"] == "USER"

    async def test_unknown_user_is_problem_404(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/users/nobody_here")
        assert resp.status_code == 404
        assert resp.headers["content-type"].startswith("application/problem+json")
        body = resp.json()
        assert body["status"] == 404
        assert body["code"] == "user_not_found"

    async def test_deleted_user_is_404(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.request(
            "DELETE", "/api/users/me", json={"password": owner.password}, headers=owner.headers
        )
        assert resp.status_code == 204
        assert (await client.get("/api/users/owner_user")).status_code == 404


class TestUpdateMyProfile:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        resp = await client.patch("/api/users/me/profile", json={"bio": "x"})
        assert resp.status_code == 401

    async def test_owner_updates_every_field(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        changes = {
            "displayName": "Owner ✨",
            "bio": "Sparkle fan",
            "location": "Paris",
            "website": "https://owner.example.com",
            "pronouns": "she/her",
            "timezone": "Europe/Paris",
            "socialLinks": {
                "youtube": "https://youtube.com/@owner",
                "github": "https://github.com/o",
            },
            "theme": "dark",
            "accentColor": "#EC4899",
            "isPublic": False,
            "showEmail": True,
        }
        body = await set_profile(client, owner, **changes)
        assert {k: body["profile"][k] for k in changes} == changes
        assert {k: (await my_profile(client, owner))[k] for k in changes} == changes

    async def test_unset_fields_stay_unchanged(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        await set_profile(client, owner, bio="first", location="Rome", theme="light")
        await set_profile(client, owner, location="Oslo")
        profile = await my_profile(client, owner)
        assert profile["bio"] == "first"
        assert profile["location"] == "Oslo"
        assert profile["theme"] == "light"
        assert profile["displayName"] == "owner_user"

    async def test_null_clears_bio(self, client: httpx.AsyncClient, owner: Account) -> None:
        await set_profile(client, owner, bio="to be cleared")
        await set_profile(client, owner, bio=None)
        assert (await my_profile(client, owner))["bio"] is None


INVALID_CHANGES = [
    ({"displayName": ""}, "displayName"),
    ({"displayName": "   "}, "displayName"),
    ({"displayName": "x" * 51}, "displayName"),
    ({"bio": "b" * 501}, "bio"),
    ({"location": "l" * 101}, "location"),
    ({"website": "ftp://x"}, "website"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"pronouns": "p" * 51}, "pronouns"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"socialLinks": {"myspace": "https://myspace.com/o"}}, "socialLinks"),
    ({"socialLinks": {"youtube": "not a url"}}, "socialLinks"),
    ({"theme": "neon"}, "theme"),
    ({"accentColor": "red"}, "accentColor"),
    ({"accentColor": "#12345"}, "accentColor"),
    ({"favouriteColour": "blue"}, "favouriteColour"),
]


class TestProfileValidation:
    @pytest.mark.parametrize(
        ("changes", "field"), INVALID_CHANGES, ids=[f for _, f in INVALID_CHANGES]
    )
    async def test_rejected_with_field_and_nothing_changes(
        self, client: httpx.AsyncClient, owner: Account, changes: dict[str, Any], field: str
    ) -> None:
        before = await my_profile(client, owner)
        # A valid change in the same request must not be applied either.
        resp = await client.patch(
            "/api/users/me/profile",
            json={"bio": "should not stick", **changes},
            headers=owner.headers,
        )
        assert resp.status_code == 400, resp.text
        assert field in error_fields(resp)
        assert resp.json()["code"] == "validation_error"
        assert await my_profile(client, owner) == before

    async def test_boundaries_are_accepted(self, client: httpx.AsyncClient, owner: Account) -> None:
        changes = {
            "displayName": "d" * 50,
            "bio": "b" * 500,
            "location": "l" * 100,
            "pronouns": "p" * 50,
            "website": "http://example.com/path",
        }
        body = await set_profile(client, owner, **changes)
        assert {k: body["profile"][k] for k in changes} == changes


class TestUpdateProfileById:
    async def test_anonymous(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.patch(f"/api/users/{owner.id}/profile", json={"bio": "x"})
        assert resp.status_code == 401

    async def test_other_user(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        resp = await client.patch(
            f"/api/users/{owner.id}/profile", json={"bio": "x"}, headers=other.headers
        )
        assert resp.status_code == 403
        assert resp.json()["code"] == "profile_forbidden"
        assert (await my_profile(client, owner))["bio"] is None

    async def test_moderator_is_not_enough(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        resp = await client.patch(
            f"/api/users/{owner.id}/profile", json={"bio": "x"}, headers=moderator.headers
        )
        assert resp.status_code == 403

    async def test_owner(self, client: httpx.AsyncClient, db: AsyncSession, owner: Account) -> None:
        resp = await client.patch(
            f"/api/users/{owner.id}/profile", json={"bio": "mine"}, headers=owner.headers
        )
        assert resp.status_code == 200
        assert resp.json()["profile"]["bio"] == "mine"
        # Editing one's own profile is not an administrative action.
        rows = (await db.scalars(select(AuditLog).where(AuditLog.target_id == str(owner.id)))).all()
        assert rows == []

    async def test_admin_edit_is_audited(
        self, client: httpx.AsyncClient, db: AsyncSession, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/users/{owner.id}/profile",
            json={"bio": "moderated", "displayName": "Renamed"},
            headers=admin.headers,
        )
        assert resp.status_code == 200
        assert resp.json()["profile"]["displayName"] == "Renamed"
        assert (await my_profile(client, owner))["bio"] == "moderated"
        rows = (
            await db.scalars(
                select(AuditLog).where(
                    AuditLog.target_id == str(owner.id), AuditLog.action == "profile.update"
                )
            )
        ).all()
        assert len(rows) == 1
        entry = rows[0]
        assert entry.actor_id == admin.id
        assert entry.target_type == "user"
        assert entry.changes is not None and entry.changes["bio"] == "moderated"
        assert entry.ip_address == "203.0.113.7"

    async def test_unknown_id(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await client.patch(
            f"/api/users/{uuid.uuid4()}/profile", json={"bio": "x"}, headers=admin.headers
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "user_not_found"

    async def test_malformed_id(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await client.patch(
            "/api/users/not-a-uuid/profile", json={"bio": "x"}, headers=admin.headers
        )
        assert resp.status_code == 400
        assert "user_id" in error_fields(resp)

    async def test_validation_applies(
        self, client: httpx.AsyncClient, owner: Account, admin: Account
    ) -> None:
        resp = await client.patch(
            f"/api/users/{owner.id}/profile", json={"theme": "neon"}, headers=admin.headers
        )
        assert resp.status_code == 400
        assert "theme" in error_fields(resp)


class TestGetProfileTokens:
    async def test_invalid_token_is_refused(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        """Signing in is optional, but a token that is sent must be valid."""
        resp = await client.get(
            "/api/users/owner_user", headers={"Authorization": "Bearer not-a-token"}
        )
        assert resp.status_code == 401

    async def test_revoked_session_is_refused(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        assert (await client.post("/api/auth/logout", headers=owner.headers)).status_code == 204
        resp = await client.get("/api/users/owner_user", headers=owner.headers)
        assert resp.status_code == 401
