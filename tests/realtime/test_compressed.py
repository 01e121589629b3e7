"""A server that negotiates per-message deflate: compressed connections take Engine.IO's own
write path, uncompressed ones the direct one, and both get the same broadcasts."""

from __future__ import annotations

from tests.realtime.conftest import Live
from tests.realtime.engineio_raw import RawSocketIO

LIVE_SERVER = {"ws_per_message_deflate": True}


async def test_compressed_and_plain_clients_share_a_room(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    star = await live.account("deflate_star")
    fan = await live.account("deflate_fan")
    room = f"user-updates:{star.id}"
    compressed = await RawSocketIO.open(live.base_url, fan.access_token, compression="deflate")
    try:
        assert compressed.ws.protocol.extensions, "the server did not negotiate deflate"
        assert (await compressed.call("room:join", room)) == {"ok": True, "room": room}
        plain = await connect(fan)
        assert (await plain.call("room:join", room))["ok"] is True
        publisher = await connect(star)
        assert (await publisher.call("room:join", room))["ok"] is True
        for i in range(3):
            ack = await publisher.call("room:message", {"roomId": room, "message": f"z{i}" * 500})
            assert ack == {"ok": True}
        for i in range(3):
            got = await compressed.event("room:message")
            assert got["message"] == f"z{i}" * 500
        await plain.wait_for("room:message", lambda m: m["message"] == "z2" * 500)
        assert [m["message"][:2] for m in plain.events("room:message")] == ["z0", "z1", "z2"]
    finally:
        await compressed.close()
