"""Outgoing delivery: clients on every transport get the same broadcasts, in order, with acks
interleaved; a client that stops reading is dropped as a slow consumer without holding up the
others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engineio import packet as engineio_packet

from sparkle import realtime
from tests.fixtures.database import empty_database, run_alembic
from tests.realtime.conftest import Live, start_live, stop_live
from tests.realtime.engineio_raw import RawSocketIO, tiny_receive_buffer_socket

LIVE_SETTINGS = {"REALTIME_MAX_BUFFER": 262_144, "REALTIME_EVENTS_PER_SECOND": 10_000}


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_every_transport_gets_every_broadcast_in_order(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    star = await live.account("deliver_star")
    fan = await live.account("deliver_fan")
    room = f"user-updates:{star.id}"
    websocket = await connect(fan)
    polling = await connect(fan, transports=["polling"])
    upgraded = await connect(fan, transports=["polling", "websocket"])
    publisher = await connect(star)
    for client in (websocket, polling, upgraded, publisher):
        assert (await client.call("room:join", room))["ok"] is True
    await until(lambda: upgraded.sio.transport() == "websocket")  # the upgrade settles

    acks = await asyncio.gather(
        *(publisher.call("room:message", {"roomId": room, "message": f"m{i}"}) for i in range(30))
    )
    assert acks == [{"ok": True}] * 30
    expected = [f"m{i}" for i in range(30)]
    for client in (websocket, polling, upgraded, publisher):
        await client.wait_for("room:message", lambda m: m["message"] == "m29")
        assert [m["message"] for m in client.events("room:message")] == expected


async def test_connections_outlive_several_ping_rounds(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    eio = live.hub.sio.eio
    interval, timeout = eio.ping_interval, eio.ping_timeout
    # Short rounds: five of them last well past interval + timeout (0.6 s), in about a second.
    eio.ping_interval, eio.ping_timeout = 0.2, 0.4
    try:
        star = await live.account("deliver_ping_star")
        fan = await live.account("deliver_ping_fan")
        room = f"user-updates:{star.id}"
        client = await connect(fan)
        assert (await client.call("room:join", room))["ok"] is True
        # Count the server's pings as the client's Engine.IO layer answers them; nothing else
        # is sent meanwhile, so only the ping/pong exchange keeps the connection alive.
        pings: list[float] = []
        answer = client.sio.eio._receive_packet

        async def counting(pkt):  # type: ignore[no-untyped-def]
            if pkt.packet_type == engineio_packet.PING:
                pings.append(asyncio.get_running_loop().time())
            await answer(pkt)

        client.sio.eio._receive_packet = counting
        started = asyncio.get_running_loop().time()
        await until(lambda: len(pings) >= 5, within=10)
        assert pings[-1] - started > eio.ping_interval + eio.ping_timeout
        assert client.sio.connected
        await realtime.emit("still", {"here": True}, room)
        assert await client.wait_for("still")
    finally:
        eio.ping_interval, eio.ping_timeout = interval, timeout


async def test_slow_consumer_is_dropped_and_others_keep_receiving(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    star = await live.account("deliver_slow_star")
    sloth = await live.account("deliver_sloth")
    reader = await live.account("deliver_reader")
    room = f"user-updates:{star.id}"
    healthy = await connect(reader)
    assert (await healthy.call("room:join", room))["ok"] is True
    # The slow client joins, then never reads again; its kernel buffers are as small as they go.
    slow = await RawSocketIO.open(
        live.base_url,
        sloth.access_token,
        sock=tiny_receive_buffer_socket(live.base_url),
        max_queue=1,
    )
    assert (await slow.call("room:join", room)) == {"ok": True, "room": room}

    # 12 MB at a pace a reading client keeps up with: more than the kernel's buffers and
    # REALTIME_MAX_BUFFER hold for the client that does not read.
    blob = "x" * 20_000
    for i in range(600):
        await realtime.emit("bulk", {"n": i, "blob": blob}, room)
        await asyncio.sleep(0.004)  # the pace is the point: a reader keeps up, the sloth not
    await healthy.wait_for("bulk", lambda m: m["n"] == 599, timeout=30)
    assert [m["n"] for m in healthy.events("bulk")] == list(range(600))

    async with live.http() as http:
        for _ in range(100):
            r = await http.get(
                "/api/presence", params={"userIds": str(sloth.id)}, headers=reader.headers
            )
            if r.json()["presence"][str(sloth.id)]["status"] == "offline":
                break
            await asyncio.sleep(0.1)
        assert r.json()["presence"][str(sloth.id)]["status"] == "offline"
    assert healthy.sio.connected
    slow.ws.transport.abort()


async def test_a_vanished_long_polling_client_does_not_hold_up_shutdown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async for url in empty_database("sqlite", tmp_path, "shutdown"):
        await run_alembic(url, "upgrade", "head")
        server_live, server, task = await start_live(tmp_path, url)
        try:
            async with server_live.http() as http:
                # An Engine.IO handshake over long-polling, then the client is gone for good.
                r = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
                assert r.status_code == 200 and r.text.startswith("0")
        finally:
            await asyncio.wait_for(stop_live(server_live, server, task), 20)
        assert task.done()
