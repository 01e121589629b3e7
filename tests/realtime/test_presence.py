"""Presence: followers hear about changes (throttled), several devices, statuses, bulk reads."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sparkle.realtime import presence
from tests.conftest import Account
from tests.fixtures.database import redis_url, skip_or_fail
from tests.realtime.conftest import Live

LIVE_SETTINGS = {"REALTIME_PRESENCE_THROTTLE": 1.0}


async def follow(live: Live, follower: Account, target: Account) -> None:
    async with live.http() as http:
        r = await http.post(f"/api/users/{target.id}/follow", headers=follower.headers)
        assert r.status_code == 200, r.text


async def test_followers_see_online_offline_and_others_do_not(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    fan = await live.account("pres_fan")
    star = await live.account("pres_star")
    stranger = await live.account("pres_stranger")
    await follow(live, fan, star)
    fan_client = await connect(fan)
    stranger_client = await connect(stranger)
    star_phone = await connect(star)
    online = await fan_client.wait_for("userOnline", lambda d: d["userId"] == str(star.id))
    assert online == {"userId": str(star.id), "status": "online"}
    changed = await fan_client.wait_for("presence:changed", lambda d: d["userId"] == str(star.id))
    assert changed["status"] == "online" and "timestamp" in changed
    assert (await fan_client.wait_for("presenceUpdate", lambda d: d["userId"] == str(star.id)))[
        "status"
    ] == "online"

    # A second device changes nothing for others; presence counts both.
    star_laptop = await connect(star)
    seen = await fan_client.call("getPresence", [str(star.id), str(stranger.id)])
    assert seen[str(star.id)]["status"] == "online" and seen[str(star.id)]["devices"] == 2
    assert seen[str(stranger.id)]["status"] == "online"
    await star_phone.close()

    async def devices() -> int:
        return int((await fan_client.call("presence:get", [str(star.id)]))[str(star.id)]["devices"])

    for _ in range(100):  # the server notices the closed socket
        if await devices() == 1:
            break
        await asyncio.sleep(0.02)
    assert await devices() == 1
    await star_laptop.close()
    offline = await fan_client.wait_for(
        "userOffline", lambda d: d["userId"] == str(star.id), timeout=5
    )
    assert offline["lastSeen"]
    assert (await fan_client.call("getPresence", [str(star.id)]))[str(star.id)][
        "status"
    ] == "offline"
    assert [
        e
        for e in stranger_client.received
        if e[0] in ("userOnline", "presenceUpdate", "userOffline")
        and e[1]["userId"] == str(star.id)
    ] == []


async def test_statuses_and_invisible(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    fan = await live.account("pres_fan2")
    star = await live.account("pres_star2")
    await follow(live, fan, star)
    fan_client = await connect(fan)
    star_client = await connect(star)
    await fan_client.wait_for("presenceUpdate", lambda d: d["userId"] == str(star.id))
    assert (await star_client.call("updatePresence", {"status": "busy", "location": "/p/x"}))[
        "ok"
    ] is True
    busy = await fan_client.wait_for("presenceUpdate", lambda d: d["status"] == "busy", timeout=4)
    assert busy["location"] == "/p/x"
    await star_client.call("presence:update", "invisible")
    gone = await fan_client.wait_for(
        "presenceUpdate", lambda d: d["status"] == "offline", timeout=4
    )
    assert gone["userId"] == str(star.id)
    assert (await fan_client.call("getPresence", [str(star.id)]))[str(star.id)][
        "status"
    ] == "offline"
    assert (await star_client.call("getPresence", [str(star.id)]))[str(star.id)][
        "status"
    ] == "invisible"
    bad = await star_client.call("updatePresence", {"status": "sleeping"})
    assert bad["error"]["code"] == "INVALID_PAYLOAD"


async def test_flapping_is_throttled(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    fan = await live.account("pres_fan3")
    star = await live.account("pres_flappy")
    await follow(live, fan, star)
    fan_client = await connect(fan)
    for _ in range(6):
        c = await connect(star)
        await c.close()
    last = await connect(star)
    # A last change inside the window: the throttle's trailing message carries it, so its
    # arrival (not a fixed wait) marks the end of the coalesced burst.
    assert (await last.call("updatePresence", {"status": "busy"}))["ok"] is True
    await fan_client.wait_for(
        "presenceUpdate", lambda d: d["userId"] == str(star.id) and d["status"] == "busy"
    )
    await fan_client.call("getPresence", [str(star.id)])  # anything sent before is in now
    updates = [d for d in fan_client.events("presenceUpdate") if d["userId"] == str(star.id)]
    # One change right away, the rest coalesced into at most one per second.
    assert 2 <= len(updates) <= 3
    assert updates[0]["status"] == "online" and updates[-1]["status"] == "busy"
    assert last.sio.connected


async def test_http_presence(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    me = await live.account("pres_http_me")
    star = await live.account("pres_http_star")
    await connect(star)
    async with live.http() as http:
        for _ in range(100):  # the connect is recorded in the presence store
            r = await http.get(
                "/api/presence", params={"userIds": str(star.id)}, headers=me.headers
            )
            if r.json()["presence"][str(star.id)]["status"] == "online":
                break
            await asyncio.sleep(0.02)
        r = await http.get(
            "/api/presence", params={"userIds": f"{star.id},{uuid.uuid4()}"}, headers=me.headers
        )
        assert r.status_code == 200
        body = r.json()
        assert body["presence"][str(star.id)]["status"] == "online"
        r = await http.get(
            "/api/presence", params={"usernames": "PRES_HTTP_STAR"}, headers=me.headers
        )
        assert r.json()["usernames"] == {"PRES_HTTP_STAR": str(star.id)}
        assert r.json()["presence"][str(star.id)]["devices"] == 1
        assert (
            await http.get("/api/presence", params={"userIds": "x"}, headers=me.headers)
        ).status_code == 400
        assert (
            await http.get("/api/presence", params={"userIds": str(star.id)})
        ).status_code == 401


# --- the stores on their own ------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield presence.MemoryPresence(ttl=10)
        return
    url = redis_url()
    if not url:
        skip_or_fail("Redis (SPARKLE_TEST_REDIS_URL)")
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    yield presence.RedisPresence(client, ttl=10, prefix=f"test:{uuid.uuid4().hex}:")
    await client.aclose()


async def test_store_devices_ttl_and_status(store) -> None:  # type: ignore[no-untyped-def]
    u, v = str(uuid.uuid4()), str(uuid.uuid4())
    t = 1_000_000.0
    assert await store.connect(u, "s1", t) is True
    assert await store.connect(u, "s2", t) is False
    assert await store.disconnect(u, "s1", t + 1) is False
    got = await store.get_many([u, v], t + 2)
    assert got[u].devices == 1 and got[v].devices == 0
    assert got[u].read(uuid.UUID(u)).status == "online"
    await store.set_status(u, "away", "home")
    assert (await store.get_many([u], t + 2))[u].read(uuid.UUID(u)).status == "away"
    # s2 stops heart-beating: after the TTL the sweeper reports the user once.
    assert await store.expire(t + 5) == []
    assert await store.expire(t + 11) == [u]
    assert await store.expire(t + 12) == []
    record = (await store.get_many([u], t + 12))[u]
    assert record.devices == 0 and record.read(uuid.UUID(u)).status == "offline"
    assert record.last_seen is not None
    # A heartbeat keeps a device alive past its first expiry.
    await store.connect(v, "s3", t)
    await store.heartbeat([(v, "s3")], [("post:x", "s3")], t + 8)
    assert await store.expire(t + 12) == []
    assert await store.room_count("post:x", t + 12) == 1
    await store.room_leave("post:x", "s3")
    assert await store.room_count("post:x", t + 12) == 0
    assert await store.disconnect(v, "s3", t + 13) is True
