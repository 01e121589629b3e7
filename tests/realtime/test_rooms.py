"""Subscriptions and rooms: who may join what; bad payloads; typing; room messages; rate limits."""

from __future__ import annotations

import asyncio
import uuid

from sparkle.posts.models import PostStatus
from sparkle.realtime import channels
from tests.factories.content import create_post
from tests.realtime.conftest import Live


async def test_subscribe_to_readable_post(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("rooms_author")
    reader = await live.account("rooms_reader")
    post = await create_post(live.rt, author.user)
    client = await connect(reader)
    ack = await client.call("subscribeToPost", str(post.id))
    assert ack == {"ok": True, "room": f"post:{post.id}"}
    assert f"post:{post.id}" in live.hub.sio.rooms(client.sio.get_sid())
    # Twice is harmless; leaving works.
    assert (await client.call("subscribeToPost", str(post.id)))["ok"] is True
    assert (await client.call("unsubscribeFromPost", str(post.id)))["ok"] is True
    assert f"post:{post.id}" not in live.hub.sio.rooms(client.sio.get_sid())


async def test_draft_is_refused_to_others_but_not_its_author(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("rooms_drafter")
    other = await live.account("rooms_snoop")
    draft = await create_post(live.rt, author.user, status=PostStatus.DRAFT)
    snoop = await connect(other)
    ack = await snoop.call("subscribeToPost", str(draft.id))
    assert ack["ok"] is False and ack["error"]["code"] == "UNAUTHORIZED"
    assert (await snoop.wait_for("error"))["code"] == "UNAUTHORIZED"
    assert f"post:{draft.id}" not in live.hub.sio.rooms(snoop.sio.get_sid())
    mine = await connect(author)
    assert (await mine.call("subscribeToPost", str(draft.id)))["ok"] is True


async def test_room_aliases_and_private_rooms(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    a = await live.account("rooms_alias_a")
    b = await live.account("rooms_alias_b")
    client = await connect(a)
    assert (await client.call("room:join", f"user-updates:{b.id}"))["ok"] is True
    assert (await client.call("subscribeToUser", str(b.id)))["ok"] is True
    # Somebody else's personal room cannot be joined.
    assert (await client.call("room:join", f"user:{b.id}"))["error"]["code"] == "UNAUTHORIZED"
    # Conversations: only participants (nobody, for a conversation that does not exist).
    ack = await client.call("subscribeToConversation", str(uuid.uuid4()))
    assert ack["ok"] is False and ack["error"]["code"] == "UNAUTHORIZED"
    assert (await client.call("room:leave", f"user-updates:{b.id}"))["ok"] is True


async def test_registered_channel_kind_is_used(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    a = await live.account("rooms_conv_a")
    allowed = uuid.uuid4()

    async def participants_only(session, user, conversation_id):  # type: ignore[no-untyped-def]
        return user.id == a.id and conversation_id == allowed

    before = channels.authorizer("conversation")
    channels.register_channel("conversation", participants_only)
    try:
        client = await connect(a)
        assert (await client.call("subscribeToConversation", str(allowed)))["ok"] is True
        assert (await client.call("subscribeToConversation", str(uuid.uuid4())))["ok"] is False
    finally:
        if before is None:
            channels._authorizers.pop("conversation", None)
        else:
            channels.register_channel("conversation", before)


async def test_bad_payloads_get_error_events(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    a = await live.account("rooms_bad")
    client = await connect(a)
    ack = await client.call("subscribeToPost", "not-a-uuid")
    assert ack["ok"] is False and ack["error"]["code"] == "INVALID_PAYLOAD"
    ack = await client.call("startTyping", {"channelId": str(uuid.uuid4()), "channelType": "nope"})
    assert ack["error"]["code"] == "INVALID_PAYLOAD"
    ack = await client.call("getPresence", [str(uuid.uuid4())] * 501)
    assert ack["error"]["code"] == "INVALID_PAYLOAD"
    ack = await client.call(
        "addReaction",
        {"entityType": "post", "entityId": str(uuid.uuid4()), "reactionType": "LIKE", "extra": 1},
    )
    assert ack["error"]["code"] == "INVALID_PAYLOAD"
    # Unknown events are ignored; the socket stays up.
    await client.sio.emit("noSuchEvent", {"x": 1})
    errors = client.events("error")
    assert all(set(e) == {"message", "code"} for e in errors) and len(errors) == 4
    assert (await client.call("getPresence", [])) == {}
    assert client.sio.connected


async def test_typing_reaches_others_in_the_channel_and_stops(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("typing_author")
    writer = await live.account("typing_writer")
    post = await create_post(live.rt, author.user)
    watcher = await connect(author)
    typist = await connect(writer)
    outsider = await connect(await live.account("typing_outsider"))
    channel = {"channelId": str(post.id), "channelType": "post"}
    # Not a member yet: refused.
    assert (await typist.call("startTyping", channel))["error"]["code"] == "NOT_SUBSCRIBED"
    for c in (watcher, typist):
        assert (await c.call("subscribeToPost", str(post.id)))["ok"] is True
    await typist.call("startTyping", channel)
    typing = await watcher.wait_for("userTyping")
    assert typing == {
        "userId": str(writer.id),
        "channelId": str(post.id),
        "username": "typing_writer",
    }
    await typist.call("stopTyping", channel)
    assert await watcher.wait_for("userStoppedTyping") == {
        "userId": str(writer.id),
        "channelId": str(post.id),
    }
    # Auto-stop without a renewal (0.6 s in these tests).
    await typist.call("typing:start", {"roomId": f"post:{post.id}"})
    await watcher.wait_for("user:typing", lambda d: d["isTyping"] is True)
    stopped = (
        await watcher.wait_for("userStoppedTyping", timeout=3)
        if len(watcher.events("userStoppedTyping")) > 1
        else None
    )
    await watcher.wait_for("user:typing", lambda d: d["isTyping"] is False, timeout=3)
    assert stopped is None or stopped["userId"] == str(writer.id)
    # The sender and outsiders hear nothing.
    assert typist.events("userTyping") == [] and outsider.events("userTyping") == []


async def test_typing_accepts_the_room_name_as_channel_id(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    """A client written from seed 000 names the channel by its room (`post:<id>`)."""
    author = await live.account("seed_typing_author")
    writer = await live.account("seed_typing_writer")
    post = await create_post(live.rt, author.user)
    watcher, typist = await connect(author), await connect(writer)
    for c in (watcher, typist):
        assert (await c.call("subscribeToPost", str(post.id)))["ok"] is True
    mismatch = await typist.call(
        "startTyping", {"channelId": f"party:{post.id}", "channelType": "post"}
    )
    assert mismatch["error"]["code"] == "INVALID_PAYLOAD"
    await typist.call("startTyping", {"channelId": f"post:{post.id}", "channelType": "post"})
    typing = await watcher.wait_for("userTyping")
    assert typing["userId"] == str(writer.id) and typing["channelId"] == str(post.id)


async def test_room_message(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("msg_author")
    post = await create_post(live.rt, author.user)
    a = await connect(author)
    b = await connect(await live.account("msg_b"))
    for c in (a, b):
        await c.call("room:join", f"post:{post.id}")
    assert (await a.call("room:message", {"roomId": f"post:{post.id}", "message": "hello"}))[
        "ok"
    ] is True
    got = await b.wait_for("room:message")
    assert (
        got["message"] == "hello"
        and got["userId"] == str(author.id)
        and got["username"] == "msg_author"
    )
    outsider = await connect(await live.account("msg_out"))
    ack = await outsider.call("room:message", {"roomId": f"post:{post.id}", "message": "hi"})
    assert ack["error"]["code"] == "NOT_SUBSCRIBED"


async def test_rate_limit_refuses_then_disconnects_abusers(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    a = await live.account("rate_abuser")
    client = await connect(a)
    for _ in range(60):
        await client.sio.emit("getPresence", [])
    await client.wait_for("error", lambda e: e["code"] == "RATE_LIMITED")
    for _ in range(400):
        if not client.sio.connected:
            break
        await client.sio.emit("getPresence", [])
    for _ in range(100):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.02)
    assert not client.sio.connected


async def test_oversized_payload_is_refused(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    a = await live.account("rate_big")
    client = await connect(a)
    await client.sio.emit(
        "room:message", {"roomId": f"post:{uuid.uuid4()}", "message": "x" * 100_000}
    )
    for _ in range(100):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.02)
    assert not client.sio.connected


async def test_other_domains_register_events_and_disconnect_callbacks(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    from sparkle.realtime.hub import Refused
    from sparkle.realtime.schemas import ErrorCode, Id

    gone: list[str] = []

    async def ping(hub, conn, payload):  # type: ignore[no-untyped-def]
        if payload.root.int == 0:
            raise Refused("Zero is not allowed", ErrorCode.UNAUTHORIZED)
        return {"ok": True, "echo": str(payload.root), "user": conn.user_id}

    async def on_gone(hub, conn):  # type: ignore[no-untyped-def]
        gone.append(conn.sid)

    channels.register_event("testPing", Id, ping, ErrorCode.MESSAGE_SEND_FAILED.value)
    channels.register_disconnect(on_gone)
    try:
        a = await live.account("domain_events")
        client = await connect(a)
        some = uuid.uuid4()
        assert await client.call("testPing", str(some)) == {
            "ok": True,
            "echo": str(some),
            "user": str(a.id),
        }
        refused = await client.call("testPing", str(uuid.UUID(int=0)))
        assert refused["error"] == {"message": "Zero is not allowed", "code": "UNAUTHORIZED"}
        assert (await client.call("testPing", 5))["error"]["code"] == "INVALID_PAYLOAD"
        sid = client.sio.get_sid()
        await client.close()
        for _ in range(100):
            if gone:
                break
            await asyncio.sleep(0.02)
        assert gone == [sid]
    finally:
        channels._events.pop("testPing", None)
        channels._disconnects.remove(on_gone)
