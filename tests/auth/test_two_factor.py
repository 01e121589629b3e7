"""Two-factor authentication: TOTP enrolment, the two-step login with a code or a one-time
recovery code, replacing recovery codes, disabling, and the admin 2FA requirement."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
import pytest
from httpx import AsyncClient

from sparkle.core.config import Settings
from tests.auth import assert_problem, bearer, login
from tests.conftest import Account

SETUP = "/api/auth/2fa/setup"
CONFIRM = "/api/auth/2fa/confirm"
RECOVERY = "/api/auth/2fa/recovery-codes"
DISABLE = "/api/auth/2fa/disable"
LOGIN_2FA = "/api/auth/login/2fa"


def wrong_code(totp: pyotp.TOTP) -> str:
    """A six-digit code that is not valid in the accepted window around now."""
    now = time.time()
    valid = {totp.at(now + step) for step in (-60, -30, 0, 30, 60)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in valid)


async def enable_two_factor(client: AsyncClient, account: Account) -> tuple[pyotp.TOTP, list[str]]:
    setup = await client.post(SETUP, json={"password": account.password}, headers=account.headers)
    assert setup.status_code == 200, setup.text
    totp = pyotp.TOTP(setup.json()["secret"])
    # Enrol with the previous step's code (still inside the drift window) so the current
    # step's code stays unused for the test itself: a code is accepted only once.
    r = await client.post(CONFIRM, json={"code": previous_code(totp)}, headers=account.headers)
    assert r.status_code == 200, r.text
    return totp, r.json()["recoveryCodes"]


def previous_code(totp: pyotp.TOTP) -> str:
    return totp.at(time.time() - 30)


def next_code(totp: pyotp.TOTP) -> str:
    return totp.at(time.time() + 30)


async def challenge(client: AsyncClient, account: Account) -> str:
    r = await login(client, account.user.email, account.password)
    body = assert_problem(r, 401, "two_factor_required")
    return body["challengeToken"]


class TestSetup:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.post(SETUP), 401, "unauthorized")

    async def test_owner_gets_uri_and_qr(self, client: AsyncClient, owner: Account) -> None:
        r = await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
        assert body["otpauthUri"].startswith("otpauth://totp/")
        parsed = pyotp.parse_uri(body["otpauthUri"])
        assert parsed.secret == body["secret"]
        assert parsed.issuer == "Sparkle Universe"
        assert parsed.name == owner.user.email
        assert body["qrSvg"].lstrip().startswith("<svg")
        assert body["qrSvg"].rstrip().endswith("</svg>")
        # Not enabled until confirmed: login still needs only the password.
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is False
        assert (await login(client, owner.user.email, owner.password)).status_code == 200

    async def test_restarting_setup_replaces_the_secret(
        self, client: AsyncClient, owner: Account
    ) -> None:
        first = (
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        ).json()["secret"]
        second = (
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        ).json()["secret"]
        assert first != second
        r = await client.post(
            CONFIRM, json={"code": pyotp.TOTP(second).now()}, headers=owner.headers
        )
        assert r.status_code == 200

    async def test_needs_the_password(self, client: AsyncClient, owner: Account) -> None:
        # A stolen access token alone cannot put a new second factor on the account.
        r = await client.post(SETUP, json={"password": "not-the-password"}, headers=owner.headers)
        assert_problem(r, 400, "validation_error", fields={"password"})
        r = await client.post(SETUP, json={}, headers=owner.headers)
        assert_problem(r, 400, "validation_error", fields={"password"})

    async def test_already_enabled(self, client: AsyncClient, owner: Account) -> None:
        await enable_two_factor(client, owner)
        assert_problem(
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers),
            409,
            "two_factor_enabled",
        )


class TestConfirm:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.post(CONFIRM, json={"code": "123456"}), 401, "unauthorized")

    async def test_owner_gets_ten_recovery_codes(self, client: AsyncClient, owner: Account) -> None:
        _totp, codes = await enable_two_factor(client, owner)
        assert len(codes) == 10
        assert len(set(codes)) == 10
        assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{8}", c) for c in codes)
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is True

    async def test_wrong_code(self, client: AsyncClient, owner: Account) -> None:
        setup = (
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        ).json()
        r = await client.post(
            CONFIRM, json={"code": wrong_code(pyotp.TOTP(setup["secret"]))}, headers=owner.headers
        )
        assert_problem(r, 400, "validation_error", fields=["code"])
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is False

    async def test_without_setup(self, client: AsyncClient, owner: Account) -> None:
        r = await client.post(CONFIRM, json={"code": "123456"}, headers=owner.headers)
        assert_problem(r, 400, "two_factor_not_started")

    async def test_twice(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        r = await client.post(CONFIRM, json={"code": totp.now()}, headers=owner.headers)
        assert_problem(r, 409, "two_factor_enabled")

    async def test_other_user_cannot_confirm_owners_setup(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        secret = (
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        ).json()["secret"]
        r = await client.post(
            CONFIRM, json={"code": pyotp.TOTP(secret).now()}, headers=other.headers
        )
        assert_problem(r, 400, "two_factor_not_started")
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is False

    async def test_admin_cannot_confirm_owners_setup(
        self, client: AsyncClient, owner: Account, admin: Account
    ) -> None:
        secret = (
            await client.post(SETUP, json={"password": owner.password}, headers=owner.headers)
        ).json()["secret"]
        r = await client.post(
            CONFIRM, json={"code": pyotp.TOTP(secret).now()}, headers=admin.headers
        )
        assert_problem(r, 400, "two_factor_not_started")

    async def test_validation(self, client: AsyncClient, owner: Account) -> None:
        assert_problem(
            await client.post(CONFIRM, json={"code": "123"}, headers=owner.headers),
            400,
            "validation_error",
            fields=["code"],
        )


class TestTwoFactorLogin:
    async def test_password_alone_is_not_enough(self, client: AsyncClient, owner: Account) -> None:
        await enable_two_factor(client, owner)
        r = await login(client, owner.user.email, owner.password)
        body = assert_problem(r, 401, "two_factor_required")
        assert body["challengeToken"]
        assert "tokens" not in body
        # A wrong password never reaches the second step.
        body = assert_problem(
            await login(client, owner.user.email, "not-the-password"), 401, "invalid_credentials"
        )
        assert "challengeToken" not in body

    async def test_totp_code(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        token = await challenge(client, owner)
        r = await client.post(LOGIN_2FA, json={"challengeToken": token, "code": totp.now()})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"]["id"] == str(owner.id)
        assert body["user"]["twoFactorEnabled"] is True
        assert (
            await client.get("/api/auth/me", headers=bearer(body["tokens"]["accessToken"]))
        ).status_code == 200

    async def test_totp_code_with_space(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        code = totp.now()
        r = await client.post(
            LOGIN_2FA,
            json={
                "challengeToken": await challenge(client, owner),
                "code": f"{code[:3]} {code[3:]}",
            },
        )
        assert r.status_code == 200, r.text

    async def test_recovery_code_works_once(self, client: AsyncClient, owner: Account) -> None:
        _, codes = await enable_two_factor(client, owner)
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": codes[3]}
        )
        assert r.status_code == 200, r.text
        again = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": codes[3]}
        )
        assert_problem(again, 401, "invalid_two_factor_code")
        # The other codes are still good.
        r = await client.post(
            LOGIN_2FA,
            json={"challengeToken": await challenge(client, owner), "code": codes[4].upper()},
        )
        assert r.status_code == 200, r.text

    async def test_wrong_code(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        token = await challenge(client, owner)
        r = await client.post(LOGIN_2FA, json={"challengeToken": token, "code": wrong_code(totp)})
        assert_problem(r, 401, "invalid_two_factor_code")
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": token, "code": "deadbeef-deadbeef"}
        )
        assert_problem(r, 401, "invalid_two_factor_code")
        # The challenge survives a wrong code.
        assert (
            await client.post(LOGIN_2FA, json={"challengeToken": token, "code": totp.now()})
        ).status_code == 200

    async def test_bad_challenge(
        self, client: AsyncClient, owner: Account, settings: Settings
    ) -> None:
        totp, _ = await enable_two_factor(client, owner)
        r = await client.post(LOGIN_2FA, json={"challengeToken": "garbage", "code": totp.now()})
        assert_problem(r, 401, "invalid_token")
        # An access token is not a challenge.
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": owner.access_token, "code": totp.now()}
        )
        assert_problem(r, 401, "invalid_token")
        past = datetime.now(UTC) - timedelta(minutes=10)
        expired = jwt.encode(
            {
                "sub": str(owner.id),
                "typ": "2fa",
                "iat": int(past.timestamp()),
                "exp": int((past + timedelta(minutes=5)).timestamp()),
            },
            settings.secret_key.get_secret_value(),
            algorithm="HS256",
        )
        r = await client.post(LOGIN_2FA, json={"challengeToken": expired, "code": totp.now()})
        assert_problem(r, 401, "invalid_token")

    async def test_challenge_of_user_without_2fa(
        self, client: AsyncClient, owner: Account, other: Account
    ) -> None:
        totp, _ = await enable_two_factor(client, owner)
        token = await challenge(client, owner)
        # The challenge names the owner; it cannot be turned into a session for anyone else,
        # and once the owner turns 2FA off it is dead.
        r = await client.post(
            DISABLE, json={"password": owner.password, "code": totp.now()}, headers=owner.headers
        )
        assert r.status_code == 204
        assert_problem(
            await client.post(LOGIN_2FA, json={"challengeToken": token, "code": totp.now()}),
            401,
            "invalid_token",
        )

    async def test_challenge_token_is_not_an_access_token(
        self, client: AsyncClient, owner: Account
    ) -> None:
        await enable_two_factor(client, owner)
        token = await challenge(client, owner)
        assert_problem(
            await client.get("/api/auth/me", headers=bearer(token)), 401, "invalid_token"
        )

    async def test_banned_user(self, client: AsyncClient, owner: Account, admin: Account) -> None:
        _totp, _ = await enable_two_factor(client, owner)
        until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        assert (
            await client.patch(
                f"/api/admin/users/{owner.id}", json={"bannedUntil": until}, headers=admin.headers
            )
        ).status_code == 200
        assert_problem(
            await login(client, owner.user.email, owner.password), 403, "account_suspended"
        )

    async def test_rate_limited(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        token = await challenge(client, owner)
        for _ in range(10):
            r = await client.post(
                LOGIN_2FA, json={"challengeToken": token, "code": wrong_code(totp)}
            )
            assert r.status_code == 401
        r = await client.post(LOGIN_2FA, json={"challengeToken": token, "code": totp.now()})
        assert_problem(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) > 0

    async def test_validation(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(LOGIN_2FA, json={"code": "123456"}),
            400,
            "validation_error",
            fields=["challengeToken"],
        )


class TestRecoveryCodes:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(await client.post(RECOVERY, json={"code": "123456"}), 401, "unauthorized")

    async def test_owner_replaces_codes(self, client: AsyncClient, owner: Account) -> None:
        totp, old = await enable_two_factor(client, owner)
        r = await client.post(RECOVERY, json={"code": totp.now()}, headers=owner.headers)
        assert r.status_code == 200, r.text
        new = r.json()["recoveryCodes"]
        assert len(new) == 10 and not set(new) & set(old)
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": old[0]}
        )
        assert_problem(r, 401, "invalid_two_factor_code")
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": new[0]}
        )
        assert r.status_code == 200

    async def test_recovery_code_cannot_mint_new_codes(
        self, client: AsyncClient, owner: Account
    ) -> None:
        _, codes = await enable_two_factor(client, owner)
        r = await client.post(RECOVERY, json={"code": codes[0]}, headers=owner.headers)
        assert_problem(r, 400, "validation_error", fields=["code"])

    async def test_without_2fa(self, client: AsyncClient, owner: Account) -> None:
        assert_problem(
            await client.post(RECOVERY, json={"code": "123456"}, headers=owner.headers),
            400,
            "two_factor_disabled",
        )

    async def test_other_user(self, client: AsyncClient, owner: Account, other: Account) -> None:
        totp, codes = await enable_two_factor(client, owner)
        r = await client.post(RECOVERY, json={"code": totp.now()}, headers=other.headers)
        assert_problem(r, 400, "two_factor_disabled")
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": codes[0]}
        )
        assert r.status_code == 200

    async def test_admin(self, client: AsyncClient, owner: Account, admin: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        assert_problem(
            await client.post(RECOVERY, json={"code": totp.now()}, headers=admin.headers),
            400,
            "two_factor_disabled",
        )


class TestDisable:
    async def test_anonymous(self, client: AsyncClient) -> None:
        assert_problem(
            await client.post(DISABLE, json={"password": "x", "code": "123456"}),
            401,
            "unauthorized",
        )

    async def test_owner_needs_password_and_code(self, client: AsyncClient, owner: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        r = await client.post(
            DISABLE,
            json={"password": "not-the-password", "code": totp.now()},
            headers=owner.headers,
        )
        assert_problem(r, 400, "validation_error", fields=["password"])
        r = await client.post(
            DISABLE,
            json={"password": owner.password, "code": wrong_code(totp)},
            headers=owner.headers,
        )
        assert_problem(r, 400, "validation_error", fields=["code"])
        assert_problem(
            await client.post(DISABLE, json={"password": owner.password}, headers=owner.headers),
            400,
            "validation_error",
            fields=["code"],
        )
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is True

        r = await client.post(
            DISABLE, json={"password": owner.password, "code": totp.now()}, headers=owner.headers
        )
        assert r.status_code == 204
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is False
        assert (await login(client, owner.user.email, owner.password)).status_code == 200

    async def test_with_recovery_code(self, client: AsyncClient, owner: Account) -> None:
        _, codes = await enable_two_factor(client, owner)
        r = await client.post(
            DISABLE, json={"password": owner.password, "code": codes[9]}, headers=owner.headers
        )
        assert r.status_code == 204

    async def test_re_enrol_after_disable_gives_fresh_codes(
        self, client: AsyncClient, owner: Account
    ) -> None:
        totp, old = await enable_two_factor(client, owner)
        await client.post(
            DISABLE, json={"password": owner.password, "code": totp.now()}, headers=owner.headers
        )
        totp, new = await enable_two_factor(client, owner)
        assert not set(old) & set(new)
        r = await client.post(
            LOGIN_2FA, json={"challengeToken": await challenge(client, owner), "code": old[0]}
        )
        assert_problem(r, 401, "invalid_two_factor_code")

    async def test_when_not_enabled(self, client: AsyncClient, owner: Account) -> None:
        r = await client.post(
            DISABLE, json={"password": owner.password, "code": "123456"}, headers=owner.headers
        )
        assert_problem(r, 400, "two_factor_disabled")

    async def test_other_user(self, client: AsyncClient, owner: Account, other: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        r = await client.post(
            DISABLE, json={"password": owner.password, "code": totp.now()}, headers=other.headers
        )
        assert_problem(r, 400, "two_factor_disabled")
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is True

    async def test_admin(self, client: AsyncClient, owner: Account, admin: Account) -> None:
        totp, _ = await enable_two_factor(client, owner)
        r = await client.post(
            DISABLE, json={"password": admin.password, "code": totp.now()}, headers=admin.headers
        )
        assert_problem(r, 400, "two_factor_disabled")
        assert (await client.get("/api/auth/me", headers=owner.headers)).json()[
            "twoFactorEnabled"
        ] is True


class TestAdminRequirement:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"SPARKLE_REQUIRE_ADMIN_2FA": True}

    async def test_admin_without_2fa_is_sent_to_setup(
        self, client: AsyncClient, admin: Account
    ) -> None:
        r = await client.get("/api/admin/users", headers=admin.headers)
        assert_problem(r, 403, "two_factor_setup_required")
        # Enrolling stays possible, and unlocks the admin API.
        await enable_two_factor(client, admin)
        assert (await client.get("/api/admin/users", headers=admin.headers)).status_code == 200

    async def test_non_admin_is_unaffected(self, client: AsyncClient, owner: Account) -> None:
        assert_problem(
            await client.get("/api/admin/users", headers=owner.headers), 403, "admin_required"
        )
        assert (await client.get("/api/auth/me", headers=owner.headers)).status_code == 200


class TestAdminRequirementOff:
    async def test_admin_without_2fa_allowed_by_default(
        self, client: AsyncClient, admin: Account
    ) -> None:
        assert (await client.get("/api/admin/users", headers=admin.headers)).status_code == 200
