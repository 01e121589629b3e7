"""Shared helpers for the follow graph tests."""

from __future__ import annotations

from typing import Any

import httpx

from sparkle.accounts.models import User
from sparkle.core.db import session_scope
from sparkle.core.ratelimit import Limiter
from sparkle.core.runtime import Runtime
from sparkle.social import service as social_service


async def follow(client: httpx.AsyncClient, account: Any, target: Any) -> httpx.Response:
    return await client.post(f"/api/users/{target.id}/follow", headers=account.headers)


async def unfollow(client: httpx.AsyncClient, account: Any, target: Any) -> httpx.Response:
    return await client.delete(f"/api/users/{target.id}/follow", headers=account.headers)


async def delete_account(client: httpx.AsyncClient, account: Any) -> None:
    resp = await client.request(
        "DELETE", "/api/users/me", json={"password": account.password}, headers=account.headers
    )
    assert resp.status_code == 204, resp.text


async def follow_as(rt: Runtime, follower: User, target: User) -> None:
    """Follow through the service, outside the per-user rate limit (for building graphs)."""
    async with session_scope(rt.sessions) as db:
        await social_service.follow(db, Limiter.from_url(None, enabled=False), follower, target.id)


def problem_fields(resp: httpx.Response) -> set[str]:
    assert resp.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in resp.json().get("errors", [])}


async def make_users(rt: Runtime, prefix: str, n: int) -> list[User]:
    """`n` accounts without a session (faster than signed-in test accounts)."""
    from sparkle.accounts import service as accounts_service

    users = []
    async with session_scope(rt.sessions) as db:
        for i in range(n):
            users.append(
                await accounts_service.create(
                    db,
                    email=f"{prefix}{i}@example.com",
                    username=f"{prefix}{i}",
                    hashed_password=None,
                )
            )
    return users
