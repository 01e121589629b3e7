"""Passwords (argon2id), access tokens (JWT HS256) and opaque single-use tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sparkle.core.config import Settings

JWT_ALGORITHM = "HS256"


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings).hash(password)


def verify_password(settings: Settings, hashed: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: an absent hash checks a dummy one."""
    h = hasher(settings)
    try:
        h.verify(hashed or _dummy_hash(settings), password)  # raises on a mismatch
    except (VerificationError, InvalidHashError):
        return False
    return hashed is not None


async def hash_password_async(settings: Settings, password: str) -> str:
    """`hash_password` off the event loop: argon2 releases the GIL, so a sign-in's ~0.1 s of
    hashing neither blocks other requests nor leaves the other cores idle."""
    return await asyncio.to_thread(hash_password, settings, password)


async def verify_password_async(settings: Settings, hashed: str | None, password: str) -> bool:
    """`verify_password` off the event loop (see `hash_password_async`)."""
    return await asyncio.to_thread(verify_password, settings, hashed, password)


def needs_rehash(settings: Settings, hashed: str) -> bool:
    return hasher(settings).check_needs_rehash(hashed)


@lru_cache(maxsize=8)
def _dummy_for(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_urlsafe(16))


def _dummy_hash(settings: Settings) -> str:
    return _dummy_for(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def new_token(nbytes: int = 32) -> str:
    """An opaque random token for refresh, verification and reset links."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored only as SHA-256 digests (they carry 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_access_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    email: str,
    username: str,
    role: str,
    session_id: uuid.UUID,
    now: datetime | None = None,
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "email": email,
        "username": username,
        "role": role,
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "typ": "access",
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=JWT_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Decode and verify; raises `jwt.PyJWTError` on anything wrong."""
    claims = jwt.decode(
        token,
        settings.secret_key.get_secret_value(),
        algorithms=[JWT_ALGORITHM],
        options={"require": ["sub", "sid", "exp", "iat"]},
    )
    if claims.get("typ") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


def sign(settings: Settings, value: str) -> str:
    """HMAC of `value` under the secret key (CSRF tokens, signed local URLs)."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
