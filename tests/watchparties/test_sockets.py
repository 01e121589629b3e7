"""Watch parties over a live Socket.IO server: joining, host-only state changes broadcast as
`watchPartyUpdate`, late joiners at the right position, counts, disconnects and hand-over."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Account
from tests.realtime.conftest import Live
from tests.watchparties.helpers import VIDEO


async def party(live: Live, host: Account, **fields: Any) -> dict[str, Any]:
    async with live.http() as http:
        resp = await http.post(
            "/api/watch-parties",
            json={"youtubeVideoId": VIDEO, "title": "Live one", **fields},
            headers={"Authorization": f"Bearer {host.access_token}"},
        )
        assert resp.status_code == 201, resp.text
        return resp.json()


async def test_host_controls_and_late_joiner(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    host, guest = await live.account("wp_host"), await live.account("wp_guest")
    p = await party(live, host)
    h = await connect(host)
    await h.wait_for("connected")
    joined = await h.call("joinWatchParty", p["id"])
    assert (
        joined["ok"] and joined["party"]["status"] == "live" and joined["party"]["myRole"] == "host"
    )
    ack = await h.call(
        "updateWatchPartyState",
        {"partyId": p["id"], "state": {"status": "playing", "positionSeconds": 100}},
    )
    assert ack["ok"] and ack["state"]["status"] == "playing"
    playing_since = time.monotonic()
    g = await connect(guest)
    await g.wait_for("connected")
    late = await g.call("joinWatchParty", p["id"])
    state = late["party"]["state"]
    assert state["status"] == "playing"
    # The late joiner gets where the party is now: the position moved on with the clock since
    # play (no fixed wait: the join itself takes some milliseconds, the state's 3 decimals
    # show them).
    assert 100 < state["positionSeconds"] <= 100 + (time.monotonic() - playing_since) + 0.05
    pushed = await g.wait_for("watchPartyUpdate", lambda d: d["type"] == "state")
    assert pushed["state"]["positionSeconds"] >= state["positionSeconds"]
    seen = await h.wait_for("watchPartyUpdate", lambda d: d["type"] == "userJoined")
    assert seen == {
        "type": "userJoined",
        "userId": str(guest.id),
        "username": "wp_guest",
        "participantCount": 2,
    }
    assert (await h.wait_for("liveViewerCount", lambda d: d["count"] == 2))["entityId"] == p["id"]
    # A guest may not steer: an `error` event and a refused ack.
    refused = await g.call(
        "updateWatchPartyState", {"partyId": p["id"], "state": {"status": "paused"}}
    )
    assert refused["ok"] is False and refused["error"]["code"] == "UNAUTHORIZED"
    assert (await g.wait_for("error"))["code"] == "UNAUTHORIZED"
    # The host pauses: the guest is told.
    await h.call(
        "updateWatchPartyState",
        {"partyId": p["id"], "state": {"status": "paused", "positionSeconds": 101}},
    )
    paused = await g.wait_for(
        "watchPartyUpdate", lambda d: d["type"] == "state" and d["state"]["status"] == "paused"
    )
    assert paused["state"]["positionSeconds"] == 101
    # Chat over the socket carries the position.
    said = await g.call("watchPartyMoment", {"partyId": p["id"], "kind": "chat", "content": "wow"})
    assert said["ok"] and said["moment"]["videoPosition"] == 101
    assert (await h.wait_for("watchPartyUpdate", lambda d: d["type"] == "chat"))["moment"][
        "content"
    ] == "wow"


async def test_disconnect_leaves_and_hands_over(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    host, guest = await live.account("wp_host2"), await live.account("wp_guest2")
    p = await party(live, host)
    h, g = await connect(host), await connect(guest)
    await h.wait_for("connected")
    await g.wait_for("connected")
    assert (await h.call("joinWatchParty", p["id"]))["ok"]
    assert (await g.call("joinWatchParty", p["id"]))["ok"]
    await h.close()
    left = await g.wait_for("watchPartyUpdate", lambda d: d["type"] == "userLeft")
    assert left["participantCount"] == 1 and left["hostId"] == str(guest.id)
    assert (await g.wait_for("watchPartyUpdate", lambda d: d["type"] == "hostChanged"))[
        "hostId"
    ] == str(guest.id)
    ack = await g.call(
        "updateWatchPartyState", {"partyId": p["id"], "state": {"status": "playing"}}
    )
    assert ack["ok"]


async def test_unknown_and_hidden_parties(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    host, other = await live.account("wp_host3"), await live.account("wp_other3")
    p = await party(live, host, visibility="invite")
    o = await connect(other)
    await o.wait_for("connected")
    for target in (p["id"], "0190a8b8-0000-7000-8000-000000000000"):
        refused = await o.call("joinWatchParty", target)
        assert refused["ok"] is False and refused["error"]["code"] == "PARTY_NOT_FOUND"
    assert (await o.call("room:join", f"party:{p['id']}"))["ok"] is False
    bad = await o.call("updateWatchPartyState", {"partyId": p["id"], "state": {"status": "flying"}})
    assert bad["ok"] is False and bad["error"]["code"] == "INVALID_PAYLOAD"
