"""Connecting: authentication by token or cookie, the greeting, revoked sessions."""

from __future__ import annotations

import pytest
import socketio

from tests.realtime.conftest import Client, Live


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
    async with live.http() as http:
        response = await http.post(
            "/api/auth/logout",
            headers={"Authorization": f"Bearer {dave.access_token}"},
            json={"refreshToken": dave.refresh_token},
        )
        assert response.status_code in (200, 204), response.text
    error = await client.wait_for("error")
    assert error == {"message": "token_expired", "code": "TOKEN_EXPIRED"}
    for _ in range(50):
        if not client.sio.connected:
            break
        await __import__("asyncio").sleep(0.05)
    assert not client.sio.connected
    # The old token no longer connects.
    again = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(live.base_url, dave.access_token)
    assert again.connect_errors == [{"message": "Invalid token"}]
