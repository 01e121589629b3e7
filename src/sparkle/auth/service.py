"""Authentication: registration, login (with optional TOTP), rotating refresh tokens with reuse
detection, e-mail verification, password reset and change, sessions, account deletion."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

import jwt
import pyotp
import segno
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import Role, User
from sparkle.auth import repository
from sparkle.auth.errors import (
    AccountSuspended,
    EmailNotVerified,
    InvalidCredentials,
    InvalidLink,
    InvalidRefreshToken,
    InvalidToken,
    InvalidTwoFactorCode,
    SessionNotFound,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorNotStarted,
    TwoFactorRequired,
)
from sparkle.auth.events import SessionRevoked, TwoFactorEnabled, UserDeleted, UserVerified
from sparkle.auth.models import AccountToken, LoginHistory, RecoveryCode, Session, TokenPurpose
from sparkle.auth.schemas import (
    ChangePasswordRequest,
    LoginRequest,
    RegisterRequest,
    SessionRead,
    Tokens,
    TwoFactorSetup,
)
from sparkle.core import events, ratelimit, security
from sparkle.core.db import utcnow
from sparkle.core.db.base import new_id
from sparkle.core.deps import ClientInfo
from sparkle.core.errors import SparkleError, ValidationFailed
from sparkle.core.runtime import Runtime

VERIFY_HOURS = 24
RESET_HOURS = 1
CHALLENGE_MINUTES = 5
RECOVERY_CODE_COUNT = 10


@dataclass
class Principal:
    """An authenticated caller: the user and the session family their token belongs to."""

    user: User
    session_id: uuid.UUID


# --- registration and login -------------------------------------------------------------


async def register(
    session: AsyncSession, rt: Runtime, data: RegisterRequest, client: ClientInfo
) -> tuple[User, Tokens]:
    """Create the account and profile, send the verification mail, open a first session."""
    await rt.limiter.hit(ratelimit.REGISTER_PER_IP, "register", client.ip or "-")
    user = await accounts_service.create(
        session,
        email=data.email,
        username=data.username,
        hashed_password=await security.hash_password_async(rt.settings, data.password),
    )
    await _send_verification(session, rt, user)
    tokens = await _open_session(session, rt, user, client)
    return user, tokens


async def login(
    session: AsyncSession, rt: Runtime, data: LoginRequest, client: ClientInfo
) -> tuple[User, Tokens]:
    """Check credentials; the same 401 in about the same time for unknown email and wrong
    password."""
    email = data.email.strip().lower()
    await rt.limiter.hit(ratelimit.LOGIN_PER_IP, "login-ip", client.ip or "-")
    await rt.limiter.hit(ratelimit.LOGIN_PER_ACCOUNT, "login-account", email)
    user = await accounts_service.get_by_email(session, email)
    ok = await security.verify_password_async(
        rt.settings, user.hashed_password if user else None, data.password
    )
    if not ok or user is None:
        await _record_login(
            session, user, email, client, success=False, reason="invalid_credentials"
        )
        raise InvalidCredentials(commit=True)
    _check_may_sign_in(rt, user)
    if security.needs_rehash(rt.settings, user.hashed_password or ""):
        user.hashed_password = await security.hash_password_async(rt.settings, data.password)
    if user.totp_enabled_at is not None:
        await _record_login(
            session, user, email, client, success=False, reason="two_factor_pending"
        )
        raise TwoFactorRequired(
            "Enter the code from your authenticator app",
            extra={"challengeToken": _challenge_token(rt, user)},
            commit=True,
        )
    await _record_login(session, user, email, client, success=True)
    return user, await _open_session(session, rt, user, client)


async def login_two_factor(
    session: AsyncSession, rt: Runtime, challenge: str, code: str, client: ClientInfo
) -> tuple[User, Tokens]:
    """Second step of a login for an account with TOTP: a code or a recovery code."""
    try:
        claims = jwt.decode(
            challenge,
            rt.settings.secret_key.get_secret_value(),
            algorithms=[security.JWT_ALGORITHM],
        )
        if claims.get("typ") != "2fa":
            raise jwt.InvalidTokenError
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise InvalidToken("Invalid or expired sign-in challenge; sign in again") from exc
    await rt.limiter.hit(ratelimit.TWO_FACTOR_PER_ACCOUNT, "2fa", str(user_id))
    user = await accounts_service.get(session, user_id)
    if user is None or user.totp_enabled_at is None:
        raise InvalidToken("Invalid or expired sign-in challenge; sign in again")
    _check_may_sign_in(rt, user)
    if not await _check_second_factor(session, user, code):
        await _record_login(session, user, user.email, client, success=False, reason="invalid_2fa")
        raise InvalidTwoFactorCode(commit=True)
    await _record_login(session, user, user.email, client, success=True)
    return user, await _open_session(session, rt, user, client)


def _check_may_sign_in(rt: Runtime, user: User) -> None:
    if user.banned_until and user.banned_until > utcnow():
        raise AccountSuspended(f"Account suspended until {user.banned_until.isoformat()}")
    if rt.settings.require_email_verification and user.email_verified is None:
        raise EmailNotVerified("Please verify your email before logging in")


def _challenge_token(rt: Runtime, user: User) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "typ": "2fa",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=CHALLENGE_MINUTES)).timestamp()),
    }
    return jwt.encode(
        claims, rt.settings.secret_key.get_secret_value(), algorithm=security.JWT_ALGORITHM
    )


async def _record_login(
    session: AsyncSession,
    user: User | None,
    email: str,
    client: ClientInfo,
    *,
    success: bool,
    reason: str | None = None,
) -> None:
    session.add(
        LoginHistory(
            user_id=user.id if user else None,
            email=email[:255],
            success=success,
            reason=reason,
            ip_address=client.ip,
            user_agent=client.user_agent,
        )
    )
    await session.flush()


# --- sessions and tokens ----------------------------------------------------------------


def _issue(rt: Runtime, user: User, family_id: uuid.UUID, refresh: str) -> Tokens:
    access = security.create_access_token(
        rt.settings,
        user_id=user.id,
        email=user.email,
        username=user.username,
        role=user.role,
        session_id=family_id,
    )
    return Tokens(
        access_token=access, refresh_token=refresh, expires_in=rt.settings.access_token_minutes * 60
    )


async def _open_session(
    session: AsyncSession, rt: Runtime, user: User, client: ClientInfo
) -> Tokens:
    refresh = security.new_token()
    now = utcnow()
    family = new_id()
    session.add(
        Session(
            user_id=user.id,
            family_id=family,
            token_hash=security.token_hash(refresh),
            created_at=now,
            family_created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(days=rt.settings.refresh_token_days),
            ip_address=client.ip,
            user_agent=client.user_agent,
        )
    )
    await session.flush()
    return _issue(rt, user, family, refresh)


async def refresh(
    session: AsyncSession, rt: Runtime, token: str, client: ClientInfo
) -> tuple[User, Tokens]:
    """Rotate a refresh token. Presenting an already-rotated token revokes its whole family."""
    now = utcnow()
    row = await repository.by_token_hash(session, security.token_hash(token))
    if row is None:
        raise InvalidRefreshToken()
    if row.revoked_at is not None or not await repository.claim_for_rotation(session, row.id, now):
        if row.revoked_reason in (None, "rotated"):
            # A rotated token came back: it was stolen or replayed. End the whole family.
            await repository.revoke_family(session, row.family_id, now, "reuse_detected")
            events.publish(session, SessionRevoked(user_id=row.user_id, session_id=row.family_id))
            raise InvalidRefreshToken(
                "Refresh token reuse detected; the session was revoked", commit=True
            )
        raise InvalidRefreshToken()
    if row.expires_at <= now:
        raise InvalidRefreshToken("Refresh token expired")
    user = await accounts_service.get(session, row.user_id)
    if user is None:
        raise InvalidRefreshToken()
    if user.banned_until and user.banned_until > now:
        raise AccountSuspended(f"Account suspended until {user.banned_until.isoformat()}")
    new_refresh = security.new_token()
    session.add(
        Session(
            user_id=user.id,
            family_id=row.family_id,
            token_hash=security.token_hash(new_refresh),
            rotated_from=row.id,
            created_at=now,
            family_created_at=row.family_created_at,
            last_used_at=now,
            expires_at=now + timedelta(days=rt.settings.refresh_token_days),
            ip_address=client.ip or row.ip_address,
            user_agent=client.user_agent or row.user_agent,
        )
    )
    await session.flush()
    return user, _issue(rt, user, row.family_id, new_refresh)


async def authenticate(session: AsyncSession, rt: Runtime, access_token: str) -> Principal:
    """Resolve an access token to its user; refuse revoked sessions and banned users."""
    family_id, user_id = _claims(rt, access_token)
    return _principal(await repository.active_with_user(session, family_id, user_id, utcnow()))


async def authenticate_many(
    session: AsyncSession, rt: Runtime, access_tokens: list[str]
) -> list[Principal | SparkleError]:
    """`authenticate` for many tokens with one query (a reconnect storm of sockets): for each
    token, in order, its principal or the error `authenticate` would raise."""
    keys: list[tuple[uuid.UUID, uuid.UUID] | SparkleError] = []
    for token in access_tokens:
        try:
            keys.append(_claims(rt, token))
        except SparkleError as exc:
            keys.append(exc)
    wanted = {k for k in keys if isinstance(k, tuple)}
    found = await repository.active_with_users(session, wanted, utcnow())
    results: list[Principal | SparkleError] = []
    for key in keys:
        if isinstance(key, SparkleError):
            results.append(key)
            continue
        try:
            results.append(_principal(found.get(key)))
        except SparkleError as exc:
            results.append(exc)
    return results


def _claims(rt: Runtime, access_token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(session family, user) an access token names; InvalidToken if it is not valid."""
    try:
        claims = security.decode_access_token(rt.settings, access_token)
        return uuid.UUID(claims["sid"]), uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidToken("Invalid or expired access token") from exc


def _principal(found: tuple[Session, User] | None) -> Principal:
    if found is None:
        raise InvalidToken("Session revoked or expired")
    row, user = found
    if user.banned_until and user.banned_until > utcnow():
        raise AccountSuspended(f"Account suspended until {user.banned_until.isoformat()}")
    return Principal(user=user, session_id=row.family_id)


async def live_sessions(session: AsyncSession, family_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the session families `family_ids` are still live: not revoked, not expired, of
    a user neither deleted nor banned (one query; the realtime layer asks this when a session
    ends, to drop the sockets that no longer have one)."""
    return await repository.live_families(session, family_ids, utcnow())


async def authenticate_refresh_cookie(
    session: AsyncSession, rt: Runtime, token: str
) -> Principal | None:
    """The web pages' fallback when the access cookie expired: a valid refresh token."""
    row = await repository.by_token_hash(session, security.token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = await accounts_service.get(session, row.user_id)
    if user is None or (user.banned_until and user.banned_until > utcnow()):
        return None
    return Principal(user=user, session_id=row.family_id)


async def logout(session: AsyncSession, principal: Principal) -> None:
    await repository.revoke_family(session, principal.session_id, utcnow(), "logout")
    events.publish(
        session, SessionRevoked(user_id=principal.user.id, session_id=principal.session_id)
    )


async def logout_all(session: AsyncSession, principal: Principal) -> None:
    await repository.revoke_user(session, principal.user.id, utcnow(), "logout_all")
    events.publish(session, SessionRevoked(user_id=principal.user.id, session_id=None))


async def list_sessions(session: AsyncSession, principal: Principal) -> list[SessionRead]:
    rows = await repository.active_for_user(session, principal.user.id, utcnow())
    return [
        SessionRead(
            id=row.family_id,
            created_at=row.family_created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            device=describe_device(row.user_agent),
            current=row.family_id == principal.session_id,
        )
        for row in rows
    ]


async def revoke_session(session: AsyncSession, principal: Principal, family_id: uuid.UUID) -> None:
    """Revoke one of the caller's sessions; another user's id is a 404 like a missing one."""
    rows = await repository.active_for_user(session, principal.user.id, utcnow())
    if not any(r.family_id == family_id for r in rows):
        raise SessionNotFound()
    await repository.revoke_family(session, family_id, utcnow(), "revoked")
    events.publish(session, SessionRevoked(user_id=principal.user.id, session_id=family_id))


def describe_device(user_agent: str | None) -> str:
    """A short human label for a session list: browser on OS."""
    ua = (user_agent or "").lower()
    if not ua:
        return "Unknown device"
    browser = next(
        (
            name
            for key, name in (
                ("edg/", "Edge"),
                ("firefox", "Firefox"),
                ("chrome", "Chrome"),
                ("safari", "Safari"),
                ("python", "Python client"),
                ("curl", "curl"),
            )
            if key in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for key, name in (
                ("android", "Android"),
                ("iphone", "iOS"),
                ("ipad", "iPadOS"),
                ("windows", "Windows"),
                ("mac os", "macOS"),
                ("linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


# --- email verification and passwords ---------------------------------------------------


async def _new_account_token(
    session: AsyncSession, user: User, purpose: TokenPurpose, hours: int
) -> str:
    now = utcnow()
    await repository.expire_account_tokens(session, user.id, purpose.value, now)
    token = security.new_token()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=security.token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    await session.flush()
    return token


async def _send_verification(session: AsyncSession, rt: Runtime, user: User) -> None:
    token = await _new_account_token(session, user, TokenPurpose.VERIFY_EMAIL, VERIFY_HOURS)
    events.enqueue(
        session,
        "email.send",
        {
            "to": user.email,
            "template": "verification",
            "context": {
                "username": user.username,
                "url": f"{rt.settings.base_url}/verify-email?token={token}",
                "expires_hours": VERIFY_HOURS,
            },
        },
    )


async def _spend_token(session: AsyncSession, token: str, purpose: TokenPurpose) -> AccountToken:
    row = await repository.account_token(session, security.token_hash(token), purpose.value)
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidLink(
            "This link is invalid or has expired", fields={"token": "Invalid or expired token"}
        )
    if not await repository.use_account_token(session, row.id, now):
        raise InvalidLink("This link was already used", fields={"token": "Token already used"})
    return row


async def verify_email(session: AsyncSession, rt: Runtime, token: str) -> User:
    """Mark the address verified (single-use link token, 24 h) and send the welcome mail."""
    row = await _spend_token(session, token, TokenPurpose.VERIFY_EMAIL)
    user = await accounts_service.get(session, row.user_id)
    if user is None:
        raise InvalidLink("This link is invalid", fields={"token": "Invalid token"})
    if user.email_verified is None:
        user.email_verified = utcnow()
        events.enqueue(
            session,
            "email.send",
            {
                "to": user.email,
                "template": "welcome",
                "context": {
                    "username": user.username,
                    "url": f"{rt.settings.base_url}/u/{user.username}",
                },
            },
        )
        events.publish(session, UserVerified(user_id=user.id))
    await session.flush()
    return user


async def resend_verification(
    session: AsyncSession, rt: Runtime, email: str, client: ClientInfo
) -> None:
    """Send a fresh verification link if the address belongs to an unverified account."""
    email = email.strip().lower()
    await rt.limiter.hit(ratelimit.RESEND_VERIFICATION_PER_ACCOUNT, "resend", email)
    await rt.limiter.hit(ratelimit.REGISTER_PER_IP, "resend-ip", client.ip or "-")
    user = await accounts_service.get_by_email(session, email)
    if user is not None and user.email_verified is None:
        await _send_verification(session, rt, user)


async def forgot_password(session: AsyncSession, rt: Runtime, email: str) -> None:
    """Always succeeds from the caller's view (no enumeration); mails a 1 h link if the account
    exists."""
    email = email.strip().lower()
    await rt.limiter.hit(ratelimit.PASSWORD_RESET_PER_EMAIL, "reset", email)
    user = await accounts_service.get_by_email(session, email)
    if user is None:
        return
    token = await _new_account_token(session, user, TokenPurpose.RESET_PASSWORD, RESET_HOURS)
    events.enqueue(
        session,
        "email.send",
        {
            "to": user.email,
            "template": "password_reset",
            "context": {
                "username": user.username,
                "url": f"{rt.settings.base_url}/reset-password?token={token}",
                "expires_hours": RESET_HOURS,
            },
        },
    )


async def reset_password(session: AsyncSession, rt: Runtime, token: str, password: str) -> User:
    """Set a new password from a reset link; every session is revoked."""
    row = await _spend_token(session, token, TokenPurpose.RESET_PASSWORD)
    user = await accounts_service.get(session, row.user_id)
    if user is None:
        raise InvalidLink("This link is invalid", fields={"token": "Invalid token"})
    user.hashed_password = await security.hash_password_async(rt.settings, password)
    if user.email_verified is None:
        user.email_verified = utcnow()  # following the link proved the mailbox
    await repository.revoke_user(session, user.id, utcnow(), "password_reset")
    await session.flush()
    events.publish(session, SessionRevoked(user_id=user.id, session_id=None))
    return user


async def change_password(
    session: AsyncSession, rt: Runtime, principal: Principal, data: ChangePasswordRequest
) -> None:
    """Change the password; the caller's other sessions are revoked."""
    user = principal.user
    if not await security.verify_password_async(
        rt.settings, user.hashed_password, data.current_password
    ):
        raise ValidationFailed(
            "Current password is incorrect", fields={"currentPassword": "Incorrect password"}
        )
    if data.current_password == data.new_password:
        raise ValidationFailed(
            "Choose a password you are not using now",
            fields={"newPassword": "Must differ from the current password"},
        )
    user.hashed_password = await security.hash_password_async(rt.settings, data.new_password)
    await repository.revoke_user(
        session, user.id, utcnow(), "password_changed", keep=principal.session_id
    )
    await session.flush()


async def delete_account(
    session: AsyncSession, rt: Runtime, principal: Principal, password: str
) -> None:
    """Soft-delete the caller's account after a password check; sessions end. The username stays
    reserved through the grace period, then `accounts.purge_deleted` frees it."""
    user = principal.user
    if not await security.verify_password_async(rt.settings, user.hashed_password, password):
        raise ValidationFailed("Password is incorrect", fields={"password": "Incorrect password"})
    now = utcnow()
    user.deleted_at = now
    user.deleted_username = user.username
    await repository.revoke_user(session, user.id, now, "account_deleted")
    await session.flush()
    events.publish(session, UserDeleted(user_id=user.id))


# --- two-factor authentication (TOTP) ---------------------------------------------------


async def setup_two_factor(
    session: AsyncSession, rt: Runtime, user: User, password: str
) -> TwoFactorSetup:
    """Start enrolment: a new secret, shown as an otpauth URI and a QR code, until confirmed.
    The password is asked so a stolen access token cannot lock the owner out with a new factor."""
    if user.totp_enabled_at is not None:
        raise TwoFactorAlreadyEnabled()
    await rt.limiter.hit(ratelimit.TWO_FACTOR_PER_ACCOUNT, "2fa-manage", str(user.id))
    if not await security.verify_password_async(rt.settings, user.hashed_password, password):
        raise ValidationFailed("Password is incorrect", fields={"password": "Incorrect password"})
    secret = pyotp.random_base32()
    user.totp_secret = secret
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Sparkle Universe")
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff")
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=svg)


async def confirm_two_factor(
    session: AsyncSession, rt: Runtime, user: User, code: str
) -> list[str]:
    """Finish enrolment with a current code; returns ten one-time recovery codes (shown once)."""
    if user.totp_enabled_at is not None:
        raise TwoFactorAlreadyEnabled()
    await rt.limiter.hit(ratelimit.TWO_FACTOR_PER_ACCOUNT, "2fa-manage", str(user.id))
    if not user.totp_secret:
        raise TwoFactorNotStarted()
    if not _accept_totp(user, code.replace(" ", "")):
        raise ValidationFailed("Invalid code", fields={"code": "The code is wrong or expired"})
    user.totp_enabled_at = utcnow()
    codes = await _replace_recovery_codes(session, user)
    events.publish(session, TwoFactorEnabled(user_id=user.id))
    return codes


async def regenerate_recovery_codes(
    session: AsyncSession, rt: Runtime, user: User, code: str
) -> list[str]:
    """Replace the recovery codes; needs a current authenticator code (throttled)."""
    if user.totp_enabled_at is None:
        raise TwoFactorNotEnabled()
    await rt.limiter.hit(ratelimit.TWO_FACTOR_PER_ACCOUNT, "2fa-manage", str(user.id))
    if not await _check_second_factor(session, user, code, allow_recovery=False):
        raise ValidationFailed("Invalid code", fields={"code": "The code is wrong or expired"})
    return await _replace_recovery_codes(session, user)


async def disable_two_factor(
    session: AsyncSession, rt: Runtime, user: User, password: str, code: str
) -> None:
    if user.totp_enabled_at is None:
        raise TwoFactorNotEnabled()
    await rt.limiter.hit(ratelimit.TWO_FACTOR_PER_ACCOUNT, "2fa-manage", str(user.id))
    if not await security.verify_password_async(rt.settings, user.hashed_password, password):
        raise ValidationFailed("Password is incorrect", fields={"password": "Incorrect password"})
    if not await _check_second_factor(session, user, code):
        raise ValidationFailed("Invalid code", fields={"code": "The code is wrong or expired"})
    user.totp_enabled_at = None
    user.totp_secret = None
    user.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await session.flush()


async def _replace_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    await session.flush()
    return codes


def _accept_totp(user: User, code: str) -> bool:
    """Accept a code of the current time step or one step either side (clock drift), but never
    a step at or before the last accepted one, so an observed code cannot be replayed."""
    totp = pyotp.TOTP(user.totp_secret or "")
    now = utcnow()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if security.constant_time_equal(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()


async def _check_second_factor(
    session: AsyncSession, user: User, code: str, *, allow_recovery: bool = True
) -> bool:
    code = code.strip().replace(" ", "")
    if user.totp_secret and code.isdigit() and len(code) == 6:
        return _accept_totp(user, code)
    if not allow_recovery:
        return False
    digest = _code_hash(code)
    for row in await repository.recovery_codes(session, user.id):
        if row.used_at is None and security.constant_time_equal(row.code_hash, digest):
            row.used_at = utcnow()
            await session.flush()
            return True
    return False


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN
