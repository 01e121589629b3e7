"""Notifications made from domain events: likes, comments, replies, follows, mentions; never
to oneself; grouped per target; withdrawn by an early unlike or unfollow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sparkle.core import jobs
from sparkle.core.events import capture_events, capture_jobs
from sparkle.notifications import service
from sparkle.notifications.models import Notification
from tests.factories.content import create_comment


async def like(client, account, post_id, kind="post", type="LIKE"):  # type: ignore[no-untyped-def]
    r = await client.post(
        f"/api/{kind}s/{post_id}/reactions", json={"type": type}, headers=account.headers
    )
    assert r.status_code in (200, 201), r.text


async def unlike(client, account, target_id, kind="post", type="LIKE"):  # type: ignore[no-untyped-def]
    r = await client.delete(f"/api/{kind}s/{target_id}/reactions/{type}", headers=account.headers)
    assert r.status_code in (200, 204), r.text


async def count_rows(db, user_id) -> int:  # type: ignore[no-untyped-def]
    return await db.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user_id)
    )


class TestLikes:
    async def test_like_on_my_post(self, client, owner, other, post, inbox) -> None:
        with capture_events() as seen:
            await like(client, other, post.id)
        [item] = await inbox(owner)
        assert item["type"] == "POST_LIKED"
        assert item["title"] == "other_user liked your post"
        assert item["content"] == "A post to like"
        assert item["actorCount"] == 1
        assert [a["username"] for a in item["actors"]] == ["other_user"]
        assert item["url"] == f"/p/{post.id}"
        assert item["read"] is False
        created = [e for e in seen if e.name == "notification:created"]
        assert len(created) == 1
        assert created[0].payload["userId"] == str(owner.id)
        assert created[0].payload["unreadCount"] == 1
        assert created[0].payload["notification"]["id"] == item["id"]

    async def test_no_self_notification(self, client, owner, post, inbox) -> None:
        await like(client, owner, post.id)
        assert await inbox(owner) == []

    async def test_grouping(self, client, owner, post, make_account, inbox) -> None:
        likers = [await make_account(username=f"fan{i}") for i in range(4)]
        for account in likers:
            await like(client, account, post.id)
        # A second reaction type by the same person does not count twice.
        await like(client, likers[0], post.id, type="LOVE")
        [item] = await inbox(owner)
        assert item["actorCount"] == 4
        assert item["title"] == "fan3 and 3 others liked your post"
        assert [a["username"] for a in item["actors"]] == ["fan3", "fan2", "fan1"]

    async def test_read_group_starts_a_new_one(
        self, client, owner, other, admin, post, inbox
    ) -> None:
        await like(client, other, post.id)
        [first] = await inbox(owner)
        r = await client.post(f"/api/notifications/{first['id']}/read", headers=owner.headers)
        assert r.status_code == 200
        await like(client, admin, post.id)
        items = await inbox(owner)
        assert [i["actorCount"] for i in items] == [1, 1]
        assert [i["read"] for i in items] == [False, True]

    async def test_window_over_starts_a_new_one(
        self, client, db, owner, other, admin, post, inbox
    ) -> None:
        await like(client, other, post.id)
        row = await db.scalar(select(Notification).where(Notification.user_id == owner.id))
        row.created_at -= timedelta(hours=2, minutes=1)
        await db.commit()
        await like(client, admin, post.id)
        assert len(await inbox(owner)) == 2

    async def test_comment_like(self, client, rt, owner, other, post, inbox) -> None:
        comment = await create_comment(rt, other.user, post.id, "Nice")
        await like(client, owner, comment.id, kind="comment")
        # The post author liked the comment: the comment author hears of it.
        [item] = await inbox(other)
        assert item["type"] == "COMMENT_LIKED"
        assert item["title"] == "owner_user liked your comment"
        assert item["url"] == f"/p/{post.id}#comment-{comment.id}"


class TestWithdraw:
    async def test_unlike_soon_withdraws(self, client, owner, other, post, inbox) -> None:
        await like(client, other, post.id)
        with capture_events() as seen:
            await unlike(client, other, post.id)
        assert await inbox(owner) == []
        assert [e.payload["unreadCount"] for e in seen if e.name == "notification:deleted"] == [0]

    async def test_unlike_one_of_many(self, client, owner, other, admin, post, inbox) -> None:
        await like(client, other, post.id)
        await like(client, admin, post.id)
        await unlike(client, admin, post.id)
        [item] = await inbox(owner)
        assert item["actorCount"] == 1
        assert item["title"] == "other_user liked your post"

    async def test_other_reaction_kept(self, client, owner, other, post, inbox) -> None:
        await like(client, other, post.id)
        await like(client, other, post.id, type="WOW")
        await unlike(client, other, post.id)
        [item] = await inbox(owner)
        assert item["actorCount"] == 1

    async def test_late_unlike_keeps(self, client, db, owner, other, post, inbox) -> None:
        await like(client, other, post.id)
        row = await db.scalar(select(Notification).where(Notification.user_id == owner.id))
        row.recent_actors = {
            k: (row.created_at - timedelta(minutes=11)).isoformat() for k in row.recent_actors
        }
        await db.commit()
        await unlike(client, other, post.id)
        assert len(await inbox(owner)) == 1

    async def test_read_is_kept(self, client, owner, other, post, inbox) -> None:
        await like(client, other, post.id)
        [item] = await inbox(owner)
        await client.post(f"/api/notifications/{item['id']}/read", headers=owner.headers)
        await unlike(client, other, post.id)
        assert len(await inbox(owner)) == 1

    async def test_unfollow_soon_withdraws(self, client, owner, other, inbox) -> None:
        r = await client.post(f"/api/users/{owner.id}/follow", headers=other.headers)
        assert r.status_code == 200, r.text
        [item] = await inbox(owner)
        assert item["type"] == "USER_FOLLOWED"
        assert item["title"] == "other_user started following you"
        assert item["url"] == "/u/other_user"
        await client.delete(f"/api/users/{owner.id}/follow", headers=other.headers)
        assert await inbox(owner) == []


class TestComments:
    async def test_comment_on_my_post(self, client, rt, owner, other, post, inbox) -> None:
        comment = await create_comment(rt, other.user, post.id, "First!")
        [item] = await inbox(owner)
        assert item["type"] == "POST_COMMENTED"
        assert item["title"] == "other_user commented on your post"
        assert item["url"] == f"/p/{post.id}#comment-{comment.id}"

    async def test_reply_to_my_comment(self, client, rt, owner, other, admin, post, inbox) -> None:
        parent = await create_comment(rt, other.user, post.id, "A thought")
        reply = await create_comment(rt, admin.user, post.id, "A reply", parent_id=parent.id)
        [item] = await inbox(other)
        assert item["title"] == "admin_user replied to your comment"
        assert item["data"]["parentId"] == str(parent.id)
        assert item["url"] == f"/p/{post.id}#comment-{reply.id}"
        # The post's author hears of both comments, grouped.
        [post_item] = await inbox(owner)
        assert post_item["actorCount"] == 2

    async def test_reply_to_own_post_author(self, client, rt, owner, other, post, inbox) -> None:
        parent = await create_comment(rt, owner.user, post.id, "Author speaking")
        await create_comment(rt, other.user, post.id, "Answer", parent_id=parent.id)
        [item] = await inbox(owner)
        assert item["title"] == "other_user replied to your comment"

    async def test_own_comment_is_silent(self, client, rt, owner, post, inbox) -> None:
        await create_comment(rt, owner.user, post.id, "Talking to myself")
        assert await inbox(owner) == []


class TestMentions:
    async def test_mention_in_comment(self, client, rt, owner, other, admin, post, inbox) -> None:
        comment = await create_comment(rt, admin.user, post.id, "Hello @other_user")
        items = await inbox(other)
        assert [i["type"] for i in items] == ["MENTION"]
        assert items[0]["title"] == "admin_user mentioned you"
        assert items[0]["url"] == f"/p/{post.id}#comment-{comment.id}"


class TestEmailQueue:
    async def test_email_job_when_registered(self, client, owner, other, post, monkeypatch) -> None:
        if "email.notification" not in jobs.REGISTRY:
            from pydantic import BaseModel

            class Payload(BaseModel):
                notificationId: str
                userId: str

            async def handler(_: Payload) -> None:
                return None

            monkeypatch.setitem(
                jobs.REGISTRY,
                "email.notification",
                jobs.JobType("email.notification", "email", Payload, handler),
            )
        with capture_jobs() as queued:
            await like(client, other, post.id)
        [job] = [j for j in queued if j.name == "email.notification"]
        assert job.payload["userId"] == str(owner.id)
        assert job.delay == service.EMAIL_DELAY
        assert job.key == f"email-batch:{owner.id}"

    async def test_joining_a_group_queues_no_second_email_job(
        self, client, owner, other, admin, post, monkeypatch
    ) -> None:
        await self.test_email_job_when_registered(client, owner, other, post, monkeypatch)
        with capture_jobs() as queued:
            await like(client, admin, post.id)
        assert [j for j in queued if j.name == "email.notification"] == []

    async def test_no_email_when_turned_off(self, client, owner, other, post, monkeypatch) -> None:
        r = await client.put(
            "/api/notifications/preferences",
            json={"channels": {"POST_LIKED": {"email": False}}},
            headers=owner.headers,
        )
        assert r.status_code == 200, r.text
        with capture_jobs() as queued:
            await like(client, other, post.id)
        assert [j for j in queued if j.name == "email.notification"] == []

    async def test_no_row_when_in_app_off(self, client, db, owner, other, post) -> None:
        await client.put(
            "/api/notifications/preferences",
            json={"channels": {"POST_LIKED": {"in_app": False}}},
            headers=owner.headers,
        )
        await like(client, other, post.id)
        assert await count_rows(db, owner.id) == 0


class TestBlocks:
    async def test_blocked_actor_does_not_notify(
        self, client, rt, owner, other, post, inbox
    ) -> None:
        from sparkle.core.db import session_scope
        from sparkle.social import service as social_service

        async with session_scope(rt.sessions) as session:
            await social_service.block(session, owner.user, other.id)
        await like(client, other, post.id)
        assert await inbox(owner) == []

    async def test_blocked_recipient_either_way(
        self, client, rt, owner, other, post, inbox
    ) -> None:
        from sparkle.core.db import session_scope
        from sparkle.social import service as social_service

        async with session_scope(rt.sessions) as session:
            await social_service.block(session, other.user, owner.id)
        await like(client, other, post.id)
        assert await inbox(owner) == []


class TestRepeat:
    async def test_new_content_from_same_actor_refreshes(self, rt, db, owner, other) -> None:
        """A second message in one conversation moves the notification up with the new preview;
        the same event again changes nothing."""
        import uuid as _uuid

        from sparkle.core.db import session_scope
        from sparkle.notifications.models import NotificationType
        from sparkle.notifications.service import Target

        conv = _uuid.uuid4()

        async def send(text: str, message: str):  # type: ignore[no-untyped-def]
            async with session_scope(rt.sessions) as session:
                return await service.notify(
                    session,
                    recipient_id=owner.id,
                    type=NotificationType.DIRECT_MESSAGE,
                    actor_id=other.id,
                    target=Target("conversation", conv),
                    phrase="sent you a message",
                    content=text,
                    data={"messageId": message},
                )

        first = await send("hi", "m1")
        assert await send("hi", "m1") is None
        second = await send("are you there?", "m2")
        assert second.id == first.id
        row = await db.get(Notification, first.id)
        await db.refresh(row)
        assert (row.content, row.actor_count, row.data["messageId"]) == ("are you there?", 1, "m2")


class TestKeptActors:
    async def test_count_covers_everyone_row_keeps_the_latest(
        self, rt, db, owner, make_account, monkeypatch
    ) -> None:
        import uuid as _uuid

        from sparkle.core.db import session_scope
        from sparkle.notifications.models import NotificationType
        from sparkle.notifications.service import Target

        monkeypatch.setattr(service, "KEPT_ACTORS", 3)
        fans = [await make_account(username=f"kept{i}") for i in range(5)]
        target = Target("post", _uuid.uuid4())
        for fan in [*fans, fans[4]]:
            async with session_scope(rt.sessions) as session:
                row = await service.notify(
                    session,
                    recipient_id=owner.id,
                    type=NotificationType.POST_LIKED,
                    actor_id=fan.id,
                    target=target,
                    phrase="liked your post",
                )
        assert row is None  # the last one was a repeat
        [stored] = (
            await db.scalars(select(Notification).where(Notification.user_id == owner.id))
        ).all()
        assert stored.actor_count == 5
        assert stored.actor_ids == [str(f.id) for f in reversed(fans[2:])]
        assert list(stored.recent_actors) == [str(f.id) for f in fans[2:]]
        assert stored.title == "kept4 and 4 others liked your post"
