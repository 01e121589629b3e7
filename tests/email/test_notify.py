"""Batched notification mail: one mail per window, the type's template alone or the summary
for several, nothing already read or already mailed, preferences and quiet hours respected,
and a mail that failed to go out is sent by the retried job."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.core.mail import MailDeliveryError
from sparkle.email import tokens
from sparkle.email.notify import quiet_hours_left
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType
from sparkle.notifications.service import EMAIL_DELAY
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from tests.email.steps import add_notification, delay_of, logs, outbox, payload_of, run
from tests.factories.content import create_post
from tests.fixtures.smtp import SmtpServer, free_port


def job(user: Any, notification: Any = None) -> dict[str, str]:
    return {
        "notificationId": str(notification.id if notification else user.id),
        "userId": str(user.id),
    }


class TestBatch:
    async def test_single_notification_uses_its_template(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        n = await add_notification(
            rt, owner.id, actor_id=other.id, data={"postId": "abc", "postTitle": "Hello world"}
        )
        await run("email.notification", job(owner, n))

        [mail] = outbox(rt)
        assert mail.subject == "Someone liked your post!"
        assert "other_user liked your post “Hello world”" in mail.text
        assert "http://testserver/p/abc" in mail.links
        token = dict(mail.headers)["List-Unsubscribe"].split("token=")[1].split(">")[0]
        assert tokens.read_unsubscribe(rt.settings, token).scope == "POST_LIKED"
        [row] = await logs(rt)
        assert (row.template, row.category, row.status) == ("post_liked", "notification", "sent")

    async def test_several_make_one_summary(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        await add_notification(rt, owner.id, actor_id=other.id, title="other_user liked your post")
        await add_notification(
            rt,
            owner.id,
            NotificationType.DIRECT_MESSAGE,
            actor_id=other.id,
            title="New message from other_user",
            content="See you tonight",
        )
        await add_notification(
            rt,
            owner.id,
            NotificationType.MENTION,
            actor_id=other.id,
            title="other_user mentioned you",
        )
        await run("email.notification", job(owner))

        [mail] = outbox(rt)
        assert mail.subject == "You have 3 new notifications on Sparkle Universe"
        for line in (
            "other_user liked your post",
            "New message from other_user",
            "See you tonight",
            "other_user mentioned you",
        ):
            assert line in mail.text
        # Already mailed: the next window finds nothing.
        await run("email.notification", job(owner))
        assert len(outbox(rt)) == 1

    async def test_read_in_app_or_unwanted_is_skipped(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        await add_notification(rt, owner.id, actor_id=other.id, read=True)
        await add_notification(
            rt, owner.id, NotificationType.LEVEL_UP, data={"level": 3}
        )  # email off by default
        await add_notification(
            rt, owner.id, actor_id=other.id, created_at=utcnow() - timedelta(days=8)
        )
        await run("email.notification", job(owner))
        assert outbox(rt) == []

        async with session_scope(rt.sessions) as session:
            await preferences.set_channel(
                session, owner.id, NotificationType.LEVEL_UP, "email", True
            )
        await run("email.notification", job(owner))
        assert [m.subject for m in outbox(rt)] == ["Congratulations! You've reached level 3!"]

    async def test_waits_for_the_end_of_quiet_hours(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        now = utcnow()
        start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
        async with session_scope(rt.sessions) as session:
            await preferences.set_quiet_hours(session, owner.id, start, end, "UTC")
        await add_notification(rt, owner.id, actor_id=other.id)
        await run("email.notification", job(owner))

        assert outbox(rt) == []
        assert payload_of("email.notification") == [job(owner)]
        assert 2 * 3600 - 120 < delay_of("email.notification") <= 2 * 3600

        async with session_scope(rt.sessions) as session:  # quiet hours over
            await preferences.set_quiet_hours(session, owner.id, None, None, None)
        await jobs.runner.run_due(advance=2 * 3600)
        assert len(outbox(rt)) == 1

    def test_quiet_hours_left_across_midnight(self) -> None:
        prefs = preferences.Preferences(
            channels={},
            quiet_hours_start=time(22, 0),
            quiet_hours_end=time(7, 0),
            timezone="Europe/Paris",
        )
        from datetime import UTC, datetime

        assert quiet_hours_left(prefs, datetime(2026, 1, 10, 23, 30, tzinfo=UTC)) == 6.5 * 3600
        assert quiet_hours_left(prefs, datetime(2026, 1, 10, 12, 0, tzinfo=UTC)) == 0

    async def test_through_the_notifications_service(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        """The real producer: a like enqueues the 10-minute batch; nothing goes out before."""
        from sparkle.notifications import service as notifications
        from sparkle.notifications.service import Target

        async with session_scope(rt.sessions) as session:
            await notifications.notify(
                session,
                recipient_id=owner.id,
                type=NotificationType.POST_LIKED,
                actor_id=other.id,
                target=Target("post", owner.id),
                phrase="liked your post",
            )
        assert outbox(rt) == [] and payload_of("email.notification")
        await jobs.runner.run_due(advance=601)
        assert [m.to for m in outbox(rt)] == [owner.user.email]


@pytest.fixture
def port() -> int:
    return free_port()


class TestOutage:
    @pytest.fixture
    def settings_overrides(self, port: int) -> dict[str, object]:
        return {"SMTP_URL": f"smtp://127.0.0.1:{port}"}

    async def test_failed_batch_is_sent_by_the_retry(
        self, rt: runtime.Runtime, owner: Any, other: Any, port: int
    ) -> None:
        await add_notification(rt, owner.id, actor_id=other.id)
        await add_notification(
            rt,
            owner.id,
            NotificationType.MENTION,
            actor_id=other.id,
            title="other_user mentioned you",
        )
        with pytest.raises(MailDeliveryError):
            await run("email.notification", job(owner))
        [row] = await logs(rt)
        assert (row.status, row.template) == ("failed", "notification_summary")

        server = SmtpServer(port=port).start()
        try:
            await run("email.notification", job(owner))
            await run("email.notification", job(owner))
        finally:
            server.stop()
        assert len(server.received) == 1
        assert (
            server.received[0].message["Subject"]
            == "You have 2 new notifications on Sparkle Universe"
        )
        assert [r.status for r in await logs(rt)] == ["sent"]


class TestLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_RATE_PER_RECIPIENT_DAY": 1}

    async def test_over_the_limit_waits_with_its_key(
        self, rt: runtime.Runtime, owner: Any, other: Any
    ) -> None:
        await add_notification(rt, owner.id, actor_id=other.id)
        await run("email.notification", job(owner))
        await add_notification(
            rt,
            owner.id,
            NotificationType.MENTION,
            actor_id=other.id,
            title="other_user mentioned you",
        )
        await run("email.notification", job(owner))

        assert len(outbox(rt)) == 1
        [waiting] = [d for d in jobs.runner.delayed if d.name == "email.notification"]
        assert waiting.key == f"email-batch:{owner.id}" and waiting.payload == job(owner)
        assert waiting.due - jobs.runner.now() > 86000


class TestGroupedNotification:
    async def test_a_group_joined_before_its_mail_is_mailed_once_naming_everyone(
        self, rt: runtime.Runtime, owner: Any, other: Any, admin: Any
    ) -> None:
        post = await create_post(rt, owner.user, title="Sparkle night")
        for fan in (other, admin):
            async with session_scope(rt.sessions) as session:
                await reactions_service.react(session, fan.user, "post", post.id, ReactionType.LIKE)
        # The group's first like queued the batch; the second joined the group, not the queue.
        assert len(payload_of("email.notification")) == 1

        await jobs.runner.run_due(advance=EMAIL_DELAY + 1)

        [mail] = outbox(rt)
        assert "admin_user and 1 other liked your post" in mail.text
        assert payload_of("email.notification") == []
