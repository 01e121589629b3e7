"""Messaging over a live Socket.IO server: `sendMessage` acks after commit, `messageReceived`
reaches the conversation room and every participant once, `markMessageRead` → `messageRead`,
`conversationUpdated`, typing, and refusals."""

from __future__ import annotations

from typing import Any

from tests.conftest import Account
from tests.realtime.conftest import Live, flush


async def conversation(live: Live, a: Account, b: Account) -> dict[str, Any]:
    async with live.http() as http:
        resp = await http.post(
            "/api/conversations",
            json={"participantIds": [str(b.id)]},
            headers={"Authorization": f"Bearer {a.access_token}"},
        )
        assert resp.status_code in (200, 201), resp.text
        return resp.json()


async def messages(live: Live, who: Account, conv_id: str) -> list[dict[str, Any]]:
    async with live.http() as http:
        resp = await http.get(
            f"/api/conversations/{conv_id}/messages",
            headers={"Authorization": f"Bearer {who.access_token}"},
        )
        return resp.json()["items"]


async def test_send_delivers_once_after_commit(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    ann, ben = await live.account("dm_ann"), await live.account("dm_ben")
    conv = await conversation(live, ann, ben)
    a, b = await connect(ann), await connect(ben)
    await a.wait_for("connected")
    await b.wait_for("connected")
    assert (await b.call("subscribeToConversation", conv["id"])) == {
        "ok": True,
        "room": f"conversation:{conv['id']}",
    }
    ack = await a.call(
        "sendMessage", {"conversationId": conv["id"], "content": "hi Ben", "type": "text"}
    )
    assert ack["ok"] is True and ack["message"]["content"] == "hi Ben"
    # Committed before the ack: the row is there for anyone who asks.
    assert [m["id"] for m in await messages(live, ben, conv["id"])] == [ack["message"]["id"]]
    got = await b.wait_for("messageReceived")
    assert got == ack["message"]
    updated = await b.wait_for("conversationUpdated")
    assert (
        updated["id"] == conv["id"]
        and updated["messageCount"] == 1
        and updated["lastMessageId"] == got["id"]
    )
    # The sender's other devices hear it too (user room), and nobody hears it twice.
    assert (await a.wait_for("messageReceived"))["id"] == got["id"]
    await flush(a)
    await flush(b)
    assert len(b.events("messageReceived")) == 1 and len(a.events("messageReceived")) == 1


async def test_offline_recipient_finds_it_on_reconnect(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    cat, dan = await live.account("dm_cat"), await live.account("dm_dan")
    conv = await conversation(live, cat, dan)
    c = await connect(cat)
    await c.wait_for("connected")
    ack = await c.call(
        "sendMessage",
        {"conversationId": conv["id"], "content": "while you were out", "type": "text"},
    )
    assert ack["ok"]
    d = await connect(dan)
    await d.wait_for("connected")
    assert (await messages(live, dan, conv["id"]))[0]["content"] == "while you were out"


async def test_read_receipt_reaches_the_sender(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    eve, fay = await live.account("dm_eve"), await live.account("dm_fay")
    conv = await conversation(live, eve, fay)
    e, f = await connect(eve), await connect(fay)
    await e.wait_for("connected")
    await f.wait_for("connected")
    sent = await e.call(
        "sendMessage", {"conversationId": conv["id"], "content": "read me", "type": "text"}
    )
    ack = await f.call("markMessageRead", sent["message"]["id"])
    assert ack == {
        "ok": True,
        "conversationId": conv["id"],
        "lastReadMessageId": sent["message"]["id"],
        "unreadCount": 0,
    }
    assert await e.wait_for("messageRead") == {
        "messageId": sent["message"]["id"],
        "readBy": str(fay.id),
    }


async def test_refusals(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    gus, hal, ivy = (
        await live.account("dm_gus"),
        await live.account("dm_hal"),
        await live.account("dm_ivy"),
    )
    conv = await conversation(live, gus, hal)
    i = await connect(ivy)
    await i.wait_for("connected")
    outsider = await i.call(
        "sendMessage", {"conversationId": conv["id"], "content": "let me in", "type": "text"}
    )
    assert outsider["ok"] is False and outsider["error"]["code"] == "UNAUTHORIZED"
    assert (await i.wait_for("error"))["code"] == "UNAUTHORIZED"
    join = await i.call("subscribeToConversation", conv["id"])
    assert join["ok"] is False
    assert await messages(live, gus, conv["id"]) == []
    g = await connect(gus)
    await g.wait_for("connected")
    too_long = await g.call(
        "sendMessage", {"conversationId": conv["id"], "content": "x" * 5001, "type": "text"}
    )
    assert too_long["ok"] is False and too_long["error"]["code"] == "INVALID_PAYLOAD"
    assert "content" in too_long["error"]["message"]
    unknown = await g.call("markMessageRead", "0190a8b8-0000-7000-8000-000000000000")
    assert unknown["ok"] is False


async def test_typing_in_a_conversation(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    jo, kim = await live.account("dm_jo"), await live.account("dm_kim")
    conv = await conversation(live, jo, kim)
    j, k = await connect(jo), await connect(kim)
    await j.wait_for("connected")
    await k.wait_for("connected")
    for client in (j, k):
        assert (await client.call("subscribeToConversation", conv["id"]))["ok"]
    await j.call("startTyping", {"channelId": conv["id"], "channelType": "conversation"})
    typing = await k.wait_for("userTyping")
    assert typing == {"userId": str(jo.id), "channelId": conv["id"], "username": "dm_jo"}


async def test_reactions_reach_the_conversation_room(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    lea, max_, ned = (
        await live.account("dm_lea"),
        await live.account("dm_max"),
        await live.account("dm_ned"),
    )
    conv = await conversation(live, lea, max_)
    a, b, outsider = await connect(lea), await connect(max_), await connect(ned)
    for client in (a, b, outsider):
        await client.wait_for("connected")
    assert (await b.call("subscribeToConversation", conv["id"]))["ok"]
    sent = await a.call(
        "sendMessage", {"conversationId": conv["id"], "content": "react!", "type": "text"}
    )
    message_id = sent["message"]["id"]
    ack = await a.call("addMessageReaction", {"messageId": message_id, "type": "WOW"})
    assert ack == {
        "ok": True,
        "messageId": message_id,
        "conversationId": conv["id"],
        "reactions": {"WOW": 1},
        "myReactions": ["WOW"],
    }
    assert await b.wait_for("messageReactionUpdated") == {
        "messageId": message_id,
        "conversationId": conv["id"],
        "userId": str(lea.id),
        "type": "WOW",
        "added": True,
        "reactions": {"WOW": 1},
    }
    removed = await a.call("removeMessageReaction", {"messageId": message_id, "type": "WOW"})
    assert removed["ok"] and removed["reactions"] == {}
    refused = await outsider.call("addMessageReaction", {"messageId": message_id, "type": "WOW"})
    assert refused["ok"] is False and refused["error"]["code"] == "UNAUTHORIZED"
    bad = await a.call("addMessageReaction", {"messageId": message_id, "type": "HUG"})
    assert bad["ok"] is False and bad["error"]["code"] == "INVALID_PAYLOAD"
