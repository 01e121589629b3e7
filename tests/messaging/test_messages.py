"""Messages over HTTP: sending (content rules, attachments, replies), editing and deleting
(sender only), read receipts with privacy, notifications, counters and paging."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core import jobs
from sparkle.core.events import capture_events, capture_jobs
from sparkle.core.runtime import Runtime
from sparkle.messaging import service
from sparkle.messaging.models import Conversation
from sparkle.notifications.models import Notification
from tests.conftest import Account
from tests.fixtures.database import count_statements
from tests.media.conftest import upload
from tests.media.samples import png
from tests.messaging.helpers import say, start


async def notifications_of(rt: Runtime, account: Account) -> list[Notification]:
    async with rt.sessions() as db:
        stmt = select(Notification).where(Notification.user_id == account.id)
        return list((await db.scalars(stmt)).all())


class TestSend:
    async def test_participant_sends(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        with capture_events() as seen:
            resp = await say(client, owner, conv["id"], "hello there")
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert body["content"] == "hello there" and body["type"] == "text"
        assert body["sender"]["username"] == "owner_user"
        created = [e for e in seen if e.name == "message:created"]
        assert len(created) == 1
        payload = created[0].payload
        assert set(payload["participantIds"]) == {str(owner.id), str(other.id)}
        assert payload["message"]["id"] == body["id"]
        assert payload["conversation"] == {
            "id": conv["id"],
            "lastMessageId": body["id"],
            "lastMessageAt": payload["conversation"]["lastMessageAt"],
            "messageCount": 1,
            "lastMessage": payload["message"],
        }

    async def test_counter_is_exact(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        for i in range(5):
            assert (
                await say(client, owner if i % 2 else other, conv["id"], f"m{i}")
            ).status_code == 201
        async with rt.sessions() as db:
            row = await db.get(Conversation, __import__("uuid").UUID(conv["id"]))
            assert row is not None and row.message_count == 5

    async def test_content_rules(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        too_long = await say(client, owner, conv["id"], "x" * 5001)
        assert too_long.status_code == 400
        assert too_long.json()["errors"][0]["field"] == "content"
        assert (await say(client, owner, conv["id"], "x" * 5000)).status_code == 201
        empty = await say(client, owner, conv["id"], "   ")
        assert empty.status_code == 400
        system = await say(client, owner, conv["id"], "hi", type="system")
        assert system.status_code == 400

    async def test_reply_must_be_in_the_conversation(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        a = await start(client, owner, other)
        b = await start(client, owner, third)
        first = (await say(client, other, a["id"], "question?")).json()
        ok = await say(client, owner, a["id"], "answer", replyToId=first["id"])
        assert ok.status_code == 201 and ok.json()["replyToId"] == first["id"]
        wrong = await say(client, owner, b["id"], "answer", replyToId=first["id"])
        assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "replyToId"

    async def test_attachments_must_be_the_senders(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        mine = await upload(
            client,
            owner.headers,
            png(),
            filename="a.png",
            content_type="image/png",
            category="message",
        )
        assert mine.status_code == 201, mine.text
        theirs = await upload(
            client,
            other.headers,
            png(30, 30),
            filename="b.png",
            content_type="image/png",
            category="message",
        )
        sent = await say(client, owner, conv["id"], "", attachmentIds=[mine.json()["id"]])
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert body["type"] == "image"
        assert body["attachments"][0]["id"] == mine.json()["id"]
        assert body["attachments"][0]["mimeType"] == "image/png"
        refused = await say(client, owner, conv["id"], "look", attachmentIds=[theirs.json()["id"]])
        assert (
            refused.status_code == 400 and refused.json()["errors"][0]["field"] == "attachmentIds"
        )
        missing = await say(
            client,
            owner,
            conv["id"],
            "look",
            attachmentIds=["0190a8b8-0000-7000-8000-000000000000"],
        )
        assert missing.status_code == 400

    async def test_offline_recipient_gets_a_notification(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        await say(client, owner, conv["id"], "are you there?")
        # Created after the acknowledgement, by a job that gathers the burst.
        assert await notifications_of(rt, other) == []
        assert await jobs.runner.run_due(advance=service.NOTIFY_DELAY) == 1
        rows = await notifications_of(rt, other)
        assert [r.type for r in rows] == ["DIRECT_MESSAGE"]
        assert rows[0].content == "are you there?"
        assert rows[0].data["conversationId"] == conv["id"]
        assert await notifications_of(rt, owner) == []
        # And the message is there when they fetch.
        msgs = (
            await client.get(f"/api/conversations/{conv['id']}/messages", headers=other.headers)
        ).json()
        assert msgs["items"][0]["content"] == "are you there?"

    async def test_a_burst_is_one_notification(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        conv = await start(client, owner, other, third, title="Crew")
        with capture_jobs() as queued:
            for who, text in [(owner, "one"), (third, "two"), (owner, "three")]:
                assert (await say(client, who, conv["id"], text)).status_code == 201
        assert [j.name for j in queued] == [service.NOTIFY_JOB] * 3
        # The first job waits; the two after it join it instead of running again.
        assert await jobs.runner.run_due(advance=service.NOTIFY_DELAY) == 1
        rows = await notifications_of(rt, other)
        assert len(rows) == 1
        assert rows[0].content == "three" and rows[0].actor_count == 2
        assert rows[0].title == "owner_user and 1 other sent you a message"
        # Senders hear about the others' messages they have not read: writing after a message
        # reads it, so the owner (who wrote "three" after "two") hears nothing.
        assert [r.content for r in await notifications_of(rt, third)] == ["three"]
        assert await notifications_of(rt, owner) == []
        # The next message opens a new burst and refreshes the same notification.
        await say(client, third, conv["id"], "four")
        assert await jobs.runner.run_due(advance=service.NOTIFY_DELAY) == 1
        rows = await notifications_of(rt, other)
        assert len(rows) == 1 and rows[0].content == "four"

    async def test_read_before_the_job_is_not_notified(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        msg = (await say(client, owner, conv["id"], "seen it live")).json()
        read = await client.post(
            f"/api/conversations/{conv['id']}/read",
            json={"messageId": msg["id"]},
            headers=other.headers,
        )
        assert read.status_code == 200
        await jobs.runner.run_due(advance=service.NOTIFY_DELAY)
        assert await notifications_of(rt, other) == []

    async def test_muted_conversation_does_not_notify(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        resp = await client.put(
            f"/api/conversations/{conv['id']}/mute",
            json={"mutedUntil": "2999-01-01T00:00:00Z"},
            headers=other.headers,
        )
        assert resp.status_code == 200 and resp.json()["mutedUntil"].startswith("2999")
        await say(client, owner, conv["id"], "quiet")
        assert await jobs.runner.run_due(advance=service.NOTIFY_DELAY) == 1
        assert await notifications_of(rt, other) == []

    async def test_statements_per_send(
        self, client: httpx.AsyncClient, engine: AsyncEngine, owner: Account, other: Account
    ) -> None:
        """A send is the message and its counters: access, rules, three writes, the sender's
        name (plus the caller's session)."""
        conv = await start(client, owner, other)
        await say(client, owner, conv["id"], "warm up")
        with count_statements(engine) as seen:
            resp = await say(client, owner, conv["id"], "counted")
        assert resp.status_code == 201
        assert len(seen) <= 7, "\n".join(seen)
        assert not [s for s in seen if "notification" in s.lower()], seen

    async def test_rate_limited(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        rt.limiter.enabled = True
        conv = await start(client, owner, other)
        codes = [(await say(client, owner, conv["id"], f"m{i}")).status_code for i in range(61)]
        assert codes[:60] == [201] * 60 and codes[60] == 429


class TestPaging:
    async def test_newest_first_with_cursor(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        for i in range(5):
            await say(client, owner, conv["id"], f"m{i}")
        path = f"/api/conversations/{conv['id']}/messages"
        first = (await client.get(f"{path}?limit=3", headers=other.headers)).json()
        assert [m["content"] for m in first["items"]] == ["m4", "m3", "m2"]
        rest = (
            await client.get(f"{path}?limit=3&cursor={first['nextCursor']}", headers=other.headers)
        ).json()
        assert [m["content"] for m in rest["items"]] == ["m1", "m0"] and rest["nextCursor"] is None
        bad = await client.get(f"{path}?cursor=nonsense", headers=other.headers)
        assert bad.status_code == 400


class TestEditDelete:
    async def test_matrix(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        conv = await start(client, owner, other)
        msg = (await say(client, owner, conv["id"], "typo")).json()
        path = f"/api/messages/{msg['id']}"
        assert (await client.patch(path, json={"content": "x"})).status_code == 401
        assert (await client.delete(path)).status_code == 401
        # The other participant may not; an admin outside the conversation does not see it.
        assert (
            await client.patch(path, json={"content": "x"}, headers=other.headers)
        ).status_code == 403
        assert (await client.delete(path, headers=other.headers)).status_code == 403
        assert (
            await client.patch(path, json={"content": "x"}, headers=admin.headers)
        ).status_code == 404
        assert (await client.delete(path, headers=admin.headers)).status_code == 404
        edited = await client.patch(path, json={"content": "fixed"}, headers=owner.headers)
        assert edited.status_code == 200
        assert edited.json()["content"] == "fixed" and edited.json()["editedAt"]
        with capture_events() as seen:
            deleted = await client.delete(path, headers=owner.headers)
        assert deleted.status_code == 200
        assert deleted.json()["deleted"] is True and deleted.json()["content"] == "Message deleted"
        assert [e.name for e in seen] == ["message:updated"]
        listed = (
            await client.get(f"/api/conversations/{conv['id']}/messages", headers=other.headers)
        ).json()
        assert listed["items"][0]["content"] == "Message deleted"
        assert (
            await client.patch(path, json={"content": "again"}, headers=owner.headers)
        ).status_code == 409


class TestReadReceipts:
    async def test_read_pointer_and_event(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        ids = [(await say(client, owner, conv["id"], f"m{i}")).json()["id"] for i in range(3)]
        path = f"/api/conversations/{conv['id']}/read"
        with capture_events() as seen:
            resp = await client.post(path, json={"messageId": ids[1]}, headers=other.headers)
        assert resp.status_code == 200
        assert resp.json() == {
            "conversationId": conv["id"],
            "lastReadMessageId": ids[1],
            "unreadCount": 1,
        }
        read = [e.payload for e in seen if e.name == "message:read"]
        assert read == [
            {
                "messageId": ids[1],
                "readBy": str(other.id),
                "senderId": str(owner.id),
                "conversationId": conv["id"],
            }
        ]
        # Never backwards, and no second event for an older message.
        with capture_events() as again:
            back = await client.post(path, json={"messageId": ids[0]}, headers=other.headers)
        assert back.json()["lastReadMessageId"] == ids[1]
        assert [e for e in again if e.name == "message:read"] == []
        # The sender sees the reader's pointer on the conversation.
        seen_by = (
            await client.get(f"/api/conversations/{conv['id']}", headers=owner.headers)
        ).json()
        reader = next(p for p in seen_by["participants"] if p["user"]["id"] == str(other.id))
        assert reader["lastReadMessageId"] == ids[1]

    async def test_receipts_off_hides_both_ways(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        mine = (await say(client, owner, conv["id"], "hi")).json()["id"]
        theirs = (await say(client, other, conv["id"], "hey")).json()["id"]
        resp = await client.patch(
            "/api/messaging/settings", json={"readReceipts": False}, headers=other.headers
        )
        assert resp.json() == {"dmPolicy": "everyone", "readReceipts": False}
        with capture_events() as seen:
            await client.post(
                f"/api/conversations/{conv['id']}/read",
                json={"messageId": mine},
                headers=other.headers,
            )
            await client.post(
                f"/api/conversations/{conv['id']}/read",
                json={"messageId": theirs},
                headers=owner.headers,
            )
        assert [e for e in seen if e.name == "message:read"] == []
        as_owner = (
            await client.get(f"/api/conversations/{conv['id']}", headers=owner.headers)
        ).json()
        assert (
            next(p for p in as_owner["participants"] if p["user"]["id"] == str(other.id))[
                "lastReadMessageId"
            ]
            is None
        )
        as_other = (
            await client.get(f"/api/conversations/{conv['id']}", headers=other.headers)
        ).json()
        assert (
            next(p for p in as_other["participants"] if p["user"]["id"] == str(owner.id))[
                "lastReadMessageId"
            ]
            is None
        )

    async def test_message_of_another_conversation(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        a = await start(client, owner, other)
        b = await start(client, owner, third)
        msg = (await say(client, third, b["id"], "x")).json()["id"]
        resp = await client.post(
            f"/api/conversations/{a['id']}/read", json={"messageId": msg}, headers=other.headers
        )
        assert resp.status_code == 400
        outsider = await client.post(
            f"/api/conversations/{b['id']}/read", json={"messageId": msg}, headers=other.headers
        )
        assert outsider.status_code == 404
