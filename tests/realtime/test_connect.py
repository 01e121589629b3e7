"""Connecting: authentication by token or cookie, the greeting, revoked sessions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from tests.realtime.conftest import Client, Live


async def log_out(live: Live, account: Any) -> None:
    async with live.http() as http:
        response = await http.post(
            "/api/auth/logout",
            headers={"Authorization": f"Bearer {account.access_token}"},
            json={"refreshToken": account.refresh_token},
        )
        assert response.status_code in (200, 204), response.text


async def test_token_connects_and_greets(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    alice = await live.account("conn_alice")
    client = await connect(alice)
    hello = await client.wait_for("connected")
    assert hello == {"socketId": client.sio.get_sid(), "userId": str(alice.id)}
    assert client.sio.get_sid() in live.hub.conns


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "Authentication required"), ("not-a-jwt", "Invalid token")],
)
async def test_refused_without_valid_credentials(
    live: Live, token: str | None, message: str
) -> None:
    client = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(live.base_url, token)
    assert client.connect_errors == [{"message": message}]
    assert not client.sio.connected


async def test_session_cookie_connects(live: Live) -> None:
    bob = await live.account("conn_bob")
    client = Client()
    await client.connect(live.base_url, headers={"Cookie": f"sparkle_access={bob.access_token}"})
    try:
        assert (await client.wait_for("connected"))["userId"] == str(bob.id)
    finally:
        await client.close()


async def test_foreign_origin_is_refused(live: Live) -> None:
    bob = await live.account("conn_origin")
    client = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            live.base_url,
            headers={
                "Cookie": f"sparkle_access={bob.access_token}",
                "Origin": "https://evil.example",
            },
        )


async def test_polling_transport_works(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    carol = await live.account("conn_carol")
    client = await connect(carol, transports=["polling"])
    assert (await client.wait_for("connected"))["userId"] == str(carol.id)


async def test_logout_disconnects_with_token_expired(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    dave = await live.account("conn_dave")
    client = await connect(dave)
    await client.wait_for("connected")
    await log_out(live, dave)
    error = await client.wait_for("error")
    assert error == {"message": "token_expired", "code": "TOKEN_EXPIRED"}
    for _ in range(50):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not client.sio.connected
    # The old token no longer connects.
    again = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(live.base_url, dave.access_token)
    assert again.connect_errors == [{"message": "Invalid token"}]


async def test_a_connect_storm_gets_each_token_its_own_answer(live: Live) -> None:
    """Connects that arrive together are checked together; each still gets its own verdict."""
    accounts = [await live.account(f"storm_{n}") for n in range(12)]
    revoked = accounts[-1]
    await log_out(live, revoked)
    # The same token twice, a revoked one, a forged one, and the rest valid.
    tokens = [a.access_token for a in accounts] + [accounts[0].access_token, "x.y.z"]
    clients = [Client() for _ in tokens]

    async def attempt(client: Client, token: str) -> bool:
        try:
            await client.connect(live.base_url, token)
        except socketio.exceptions.ConnectionError:
            return False
        return True

    try:
        outcomes = await asyncio.gather(
            *(attempt(c, t) for c, t in zip(clients, tokens, strict=True))
        )
        assert outcomes == [True] * 11 + [False, True, False]
        for client in (clients[11], clients[13]):
            assert client.connect_errors == [{"message": "Invalid token"}]
        greeted = [
            await c.wait_for("connected") for c, ok in zip(clients, outcomes, strict=True) if ok
        ]
        assert [g["userId"] for g in greeted] == [str(a.id) for a in accounts[:11]] + [
            str(accounts[0].id)
        ]
    finally:
        for client in clients:
            await client.close()
