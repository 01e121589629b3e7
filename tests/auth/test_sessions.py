"""Sessions: logout (this one), logout-all, the session list and revoking one session, with the
identity matrix (anonymous / other user / owner / admin) on each mutating endpoint."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from tests.auth import assert_problem, bearer, login, session_id_of
from tests.conftest import Account

ME = "/api/auth/me"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


async def second_session(
    client: AsyncClient, account: Account, user_agent: str = CHROME_WINDOWS
) -> dict[str, str]:
    r = await login(
        client, account.user.email, account.password, headers={"User-Agent": user_agent}
    )
    assert r.status_code == 200, r.text
    return r.json()["tokens"]


async def alive(client: AsyncClient, access_token: str) -> bool:
    return (await client.get(ME, headers=bearer(access_token))).status_code == 200


class TestLogout:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.post("/api/auth/logout"), 401, "unauthorized")

    async def test_owner_ends_only_this_session(self, client: AsyncClient, owner: Account) -> None:
        laptop = await second_session(client, owner)
        r = await client.post("/api/auth/logout", headers=owner.headers)
        assert r.status_code == 204
        assert r.content == b""
        assert_problem(await client.get(ME, headers=owner.headers), 401, "invalid_token")
        assert_problem(
            await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token}),
            401,
            "invalid_refresh_token",
        )
        assert await alive(client, laptop["accessToken"])
        assert (
            await client.post("/api/auth/refresh", json={"refreshToken": laptop["refreshToken"]})
        ).status_code == 200

    async def test_logout_after_rotation_ends_the_rotated_session(
        self, client: AsyncClient, owner: Account
    ) -> None:
        tokens = (
            await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        ).json()["tokens"]
        assert (
            await client.post("/api/auth/logout", headers=bearer(tokens["accessToken"]))
        ).status_code == 204
        assert_problem(
            await client.post("/api/auth/refresh", json={"refreshToken": tokens["refreshToken"]}),
            401,
            "invalid_refresh_token",
        )

    async def test_twice(self, client: AsyncClient, owner: Account) -> None:
        assert (await client.post("/api/auth/logout", headers=owner.headers)).status_code == 204
        assert_problem(
            await client.post("/api/auth/logout", headers=owner.headers), 401, "invalid_token"
        )

    async def test_other_user_does_not_touch_owner(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        assert (await client.post("/api/auth/logout", headers=other.headers)).status_code == 204
        assert await alive(client, owner.access_token)
        assert not await alive(client, other.access_token)

    async def test_admin_does_not_touch_owner(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        assert (await client.post("/api/auth/logout", headers=admin.headers)).status_code == 204
        assert await alive(client, owner.access_token)


class TestLogoutAll:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.post("/api/auth/logout-all"), 401, "unauthorized")

    async def test_owner_ends_every_session(self, client: AsyncClient, owner: Account) -> None:
        laptop = await second_session(client, owner)
        phone = await second_session(client, owner, SAFARI_IPHONE)
        assert (await client.post("/api/auth/logout-all", headers=owner.headers)).status_code == 204
        for tokens in (
            laptop,
            phone,
            {"accessToken": owner.access_token, "refreshToken": owner.refresh_token},
        ):
            assert not await alive(client, tokens["accessToken"])
            r = await client.post(
                "/api/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
            )
            assert_problem(r, 401, "invalid_refresh_token")
        # Signing in again still works.
        assert (await login(client, owner.user.email, owner.password)).status_code == 200

    async def test_other_user_does_not_touch_owner(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        assert (await client.post("/api/auth/logout-all", headers=other.headers)).status_code == 204
        assert await alive(client, owner.access_token)
        assert not await alive(client, other.access_token)

    async def test_admin_does_not_touch_owner(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        assert (await client.post("/api/auth/logout-all", headers=admin.headers)).status_code == 204
        assert await alive(client, owner.access_token)
        assert not await alive(client, admin.access_token)


class TestListSessions:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.get("/api/auth/sessions"), 401, "unauthorized")

    async def test_lists_own_active_sessions(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        laptop = await second_session(client, owner)
        phone = await second_session(client, owner, SAFARI_IPHONE)
        r = await client.get("/api/auth/sessions", headers=bearer(laptop["accessToken"]))
        assert r.status_code == 200
        sessions = {s["id"]: s for s in r.json()}
        assert set(sessions) == {
            session_id_of(owner.access_token),
            session_id_of(laptop["accessToken"]),
            session_id_of(phone["accessToken"]),
        }
        current = [s for s in sessions.values() if s["current"]]
        assert [s["id"] for s in current] == [session_id_of(laptop["accessToken"])]

        laptop_row = sessions[session_id_of(laptop["accessToken"])]
        assert laptop_row["device"] == "Chrome on Windows"
        assert laptop_row["userAgent"] == CHROME_WINDOWS
        assert laptop_row["ipAddress"] == "203.0.113.7"
        assert set(laptop_row) == {
            "id",
            "createdAt",
            "lastUsedAt",
            "expiresAt",
            "ipAddress",
            "userAgent",
            "device",
            "current",
        }
        assert sessions[session_id_of(phone["accessToken"])]["device"] == "Safari on iOS"
        factory_row = sessions[session_id_of(owner.access_token)]
        assert factory_row["ipAddress"] == "198.51.100.1"
        assert factory_row["current"] is False

    async def test_rotation_keeps_one_entry_per_session(
        self, client: AsyncClient, owner: Account
    ) -> None:
        tokens = (
            await client.post("/api/auth/refresh", json={"refreshToken": owner.refresh_token})
        ).json()["tokens"]
        tokens = (
            await client.post("/api/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
        ).json()["tokens"]
        sessions = (
            await client.get("/api/auth/sessions", headers=bearer(tokens["accessToken"]))
        ).json()
        assert [s["id"] for s in sessions] == [session_id_of(owner.access_token)]
        assert sessions[0]["current"] is True

    async def test_ended_sessions_are_gone(self, client: AsyncClient, owner: Account) -> None:
        laptop = await second_session(client, owner)
        await client.post("/api/auth/logout", headers=bearer(laptop["accessToken"]))
        sessions = (await client.get("/api/auth/sessions", headers=owner.headers)).json()
        assert [s["id"] for s in sessions] == [session_id_of(owner.access_token)]

    async def test_does_not_show_other_users_sessions(
        self, client: AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        for account in (other, admin):
            sessions = (await client.get("/api/auth/sessions", headers=account.headers)).json()
            assert [s["id"] for s in sessions] == [session_id_of(account.access_token)]


class TestRevokeSession:
    async def test_anonymous(self, client: AsyncClient, owner: Account) -> None:
        r = await client.delete(f"/api/auth/sessions/{session_id_of(owner.access_token)}")
        assert_problem(r, 401, "unauthorized")
        assert await alive(client, owner.access_token)

    async def test_owner(self, client: AsyncClient, owner: Account) -> None:
        laptop = await second_session(client, owner)
        r = await client.delete(
            f"/api/auth/sessions/{session_id_of(laptop['accessToken'])}", headers=owner.headers
        )
        assert r.status_code == 204
        assert not await alive(client, laptop["accessToken"])
        assert_problem(
            await client.post("/api/auth/refresh", json={"refreshToken": laptop["refreshToken"]}),
            401,
            "invalid_refresh_token",
        )
        assert await alive(client, owner.access_token)
        sessions = (await client.get("/api/auth/sessions", headers=owner.headers)).json()
        assert [s["id"] for s in sessions] == [session_id_of(owner.access_token)]

    async def test_owner_revokes_current(self, client: AsyncClient, owner: Account) -> None:
        r = await client.delete(
            f"/api/auth/sessions/{session_id_of(owner.access_token)}", headers=owner.headers
        )
        assert r.status_code == 204
        assert not await alive(client, owner.access_token)

    async def test_owner_twice(self, client: AsyncClient, owner: Account) -> None:
        laptop = await second_session(client, owner)
        url = f"/api/auth/sessions/{session_id_of(laptop['accessToken'])}"
        assert (await client.delete(url, headers=owner.headers)).status_code == 204
        assert_problem(await client.delete(url, headers=owner.headers), 404, "session_not_found")

    async def test_other_user(self, client: AsyncClient, owner: Account, other: Account) -> None:
        r = await client.delete(
            f"/api/auth/sessions/{session_id_of(owner.access_token)}", headers=other.headers
        )
        assert_problem(r, 404, "session_not_found")
        assert await alive(client, owner.access_token)

    async def test_admin(self, client: AsyncClient, owner: Account, admin: Account) -> None:
        # Sessions are personal: an admin bans through the admin API instead.
        r = await client.delete(
            f"/api/auth/sessions/{session_id_of(owner.access_token)}", headers=admin.headers
        )
        assert_problem(r, 404, "session_not_found")
        assert await alive(client, owner.access_token)

    async def test_unknown_id(self, client: AsyncClient, owner: Account) -> None:
        assert_problem(
            await client.delete(f"/api/auth/sessions/{uuid.uuid4()}", headers=owner.headers),
            404,
            "session_not_found",
        )

    async def test_malformed_id(self, client: AsyncClient, owner: Account) -> None:
        r = await client.delete("/api/auth/sessions/not-a-uuid", headers=owner.headers)
        assert_problem(r, 400, "validation_error", fields=["session_id"])
