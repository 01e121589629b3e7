"""Accounts for tests, made through the public services."""

from __future__ import annotations

import itertools

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import Role
from sparkle.auth import service as auth_service
from sparkle.auth.schemas import LoginRequest
from sparkle.core import security
from sparkle.core.db import session_scope
from sparkle.core.deps import ClientInfo
from sparkle.core.runtime import Runtime

_seq = itertools.count(1)
DEFAULT_PASSWORD = "correct-horse-battery-staple"


async def create_account(
    rt: Runtime,
    *,
    username: str | None = None,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    role: Role = Role.USER,
    verified: bool = True,
):  # type: ignore[no-untyped-def]
    from tests.conftest import Account

    n = next(_seq)
    username = username or f"user{n}"
    email = email or f"{username.lower()}@example.com"
    client = ClientInfo(ip="198.51.100.1", user_agent="pytest factory")
    async with session_scope(rt.sessions) as session:
        user = await accounts_service.create(
            session,
            email=email,
            username=username,
            hashed_password=security.hash_password(rt.settings, password),
            role=role,
            verified=verified,
        )
    tokens = None
    if verified:
        # Factory logins must not eat into the rate-limit budget the tests measure.
        enabled, rt.limiter.enabled = rt.limiter.enabled, False
        try:
            async with session_scope(rt.sessions) as session:
                user, tokens = await auth_service.login(
                    session, rt, LoginRequest(email=email, password=password), client
                )
        finally:
            rt.limiter.enabled = enabled
    return Account(
        user=user,
        password=password,
        access_token=tokens.access_token if tokens else "",
        refresh_token=tokens.refresh_token if tokens else "",
    )
