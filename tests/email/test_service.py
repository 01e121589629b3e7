"""The send pipeline on both databases: the log, idempotency, unsubscribe headers, sending
limits, SMTP failover and outages, bounces and suppression."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.core.mail import MailDeliveryError
from sparkle.email import tokens
from sparkle.email.models import EmailLog, EmailSuppression
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType
from tests.email.servers import RefusingServer
from tests.email.steps import delay_of, logs, outbox, payload_of, run
from tests.fixtures.smtp import SmtpServer, free_port

VERIFY = {
    "to": "nova@example.com",
    "template": "verification",
    "context": {"username": "nova", "url": "http://testserver/verify-email?token=t1"},
}
NOTE = {
    "title": "Maintenance tonight",
    "message": "We'll be back soon.",
    "url": "http://testserver/",
}


def system_mail(user_id: Any, **more: Any) -> dict[str, Any]:
    return {
        "userId": str(user_id),
        "template": "system_notification",
        "context": {"notification": NOTE},
        **more,
    }


class TestSend:
    async def test_logs_what_was_sent(self, rt: runtime.Runtime) -> None:
        await run("email.send", VERIFY)

        [mail] = outbox(rt)
        [row] = await logs(rt)
        assert (row.status, row.template, row.category, row.attempts) == (
            "sent",
            "verification",
            "transactional",
            1,
        )
        assert row.message_id == mail.message_id and row.sent_at is not None
        assert row.subject == "Verify Your Email - Sparkle Universe"
        assert row.to_hash == tokens.address_hash(rt.settings, "Nova@Example.com")
        assert "nova@example.com" not in json.dumps(row.context) + row.to_hash
        assert "List-Unsubscribe" not in dict(mail.headers)

    async def test_running_twice_sends_once(self, rt: runtime.Runtime) -> None:
        await run("email.send", VERIFY)
        await run("email.send", VERIFY)
        assert len(outbox(rt)) == 1 and len(await logs(rt)) == 1

    async def test_member_mail_carries_one_click_unsubscribe(
        self, rt: runtime.Runtime, owner: Any
    ) -> None:
        await run("email.send", system_mail(owner.id))

        [mail] = outbox(rt)
        headers = dict(mail.headers)
        assert mail.to == owner.user.email
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = [part.strip(" <>") for part in headers["List-Unsubscribe"].split(",")]
        assert https.startswith("http://testserver/unsubscribe?token=")
        assert mailto.startswith("mailto:unsubscribe+")
        claims = tokens.read_unsubscribe(rt.settings, https.split("token=")[1])
        assert (claims.user_id, claims.scope) == (owner.id, "SYSTEM")
        assert https in mail.text.splitlines()
        assert "Hi owner_user," in mail.text  # the display name, which defaults to the username
        assert mail.subject == "Maintenance tonight"

    async def test_member_who_turned_it_off_gets_nothing(
        self, rt: runtime.Runtime, owner: Any
    ) -> None:
        async with session_scope(rt.sessions) as session:
            await preferences.set_channel(
                session, owner.id, NotificationType.SYSTEM, "email", False
            )
        await run("email.send", system_mail(owner.id))
        assert outbox(rt) == [] and await logs(rt) == []

    async def test_member_accent_colour(self, rt: runtime.Runtime, owner: Any) -> None:
        from sparkle.accounts.models import Profile

        async with session_scope(rt.sessions) as session:
            await session.execute(
                update(Profile).where(Profile.user_id == owner.id).values(accent_color="#10b981")
            )
        await run("email.send", system_mail(owner.id))
        assert "background-color:#10b981" in outbox(rt)[0].html


@pytest.fixture
def limits() -> dict[str, object]:
    return {"EMAIL_RATE_PER_HOUR": 3, "EMAIL_RATE_PER_RECIPIENT_DAY": 2}


class TestLimits:
    @pytest.fixture
    def settings_overrides(self, limits: dict[str, object]) -> dict[str, object]:
        return limits

    async def test_over_the_hourly_limit_waits(self, rt: runtime.Runtime) -> None:
        for n in range(3):
            await run("email.send", {**VERIFY, "to": f"a{n}@example.com"})
        await run("email.send", VERIFY)

        assert len(outbox(rt)) == 3
        assert payload_of("email.send")[0]["to"] == "nova@example.com"
        assert 3500 < delay_of("email.send") < 3700

        async with session_scope(rt.sessions) as session:  # an hour goes by
            await session.execute(update(EmailLog).values(sent_at=utcnow() - timedelta(minutes=61)))
        await jobs.runner.run_due(advance=3700)
        assert [m.to for m in outbox(rt)][-1] == "nova@example.com"

    async def test_per_recipient_daily_limit(self, rt: runtime.Runtime, owner: Any) -> None:
        for n in range(3):
            await run("email.send", system_mail(owner.id, key=f"k{n}"))

        assert len(outbox(rt)) == 2
        assert payload_of("email.send")[0]["key"] == "k2"
        assert 86000 < delay_of("email.send") < 86500
        # Transactional mail is not held back by the recipient's own volume.
        await run("email.send", {**VERIFY, "to": owner.user.email})
        assert len(outbox(rt)) == 3


@pytest.fixture
def down_port() -> int:
    return free_port()


class TestSmtpOutage:
    @pytest.fixture
    def settings_overrides(self, down_port: int) -> dict[str, object]:
        return {
            "SMTP_URL": f"smtp://127.0.0.1:{down_port}",
            "SMTP_BACKUP_URL": f"smtp://127.0.0.1:{free_port()}",
        }

    async def test_fails_then_retry_sends_it(self, rt: runtime.Runtime, down_port: int) -> None:
        with pytest.raises(MailDeliveryError):
            await run("email.send", VERIFY)
        [row] = await logs(rt)
        assert row.status == "failed" and "connect call failed" in (row.error or "").lower()

        server = SmtpServer(port=down_port).start()  # the primary is back; the job is retried
        try:
            await run("email.send", VERIFY)
        finally:
            server.stop()
        [row] = await logs(rt)
        assert (row.status, row.attempts, row.error) == ("sent", 2, None)
        assert [r.rcpt_tos for r in server.received] == [["nova@example.com"]]


@pytest.fixture
def backup() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


class TestFailover:
    @pytest.fixture
    def settings_overrides(self, backup: SmtpServer) -> dict[str, object]:
        return {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}", "SMTP_BACKUP_URL": backup.url}

    async def test_backup_takes_over(self, rt: runtime.Runtime, backup: SmtpServer) -> None:
        await run("email.send", VERIFY)
        assert [r.rcpt_tos for r in backup.received] == [["nova@example.com"]]
        [row] = await logs(rt)
        assert row.status == "sent" and row.message_id == backup.received[0].message["Message-ID"]


@pytest.fixture
def refusing() -> Iterator[RefusingServer]:
    server = RefusingServer().start()
    yield server
    server.stop()


class TestBounce:
    @pytest.fixture
    def settings_overrides(self, refusing: RefusingServer) -> dict[str, object]:
        return {"SMTP_URL": refusing.url}

    async def test_refused_address_is_suppressed(self, rt: runtime.Runtime, owner: Any) -> None:
        await run("email.send", system_mail(owner.id, key="first"))
        [row] = await logs(rt)
        assert row.status == "bounced" and "550" in (row.error or "")
        async with rt.sessions() as session:
            assert await session.get(EmailSuppression, row.to_hash) is not None

        await run("email.send", system_mail(owner.id, key="second"))
        assert len(await logs(rt)) == 1  # not even attempted
        # Transactional mail is still attempted (the address may have been fixed).
        await run("email.send", {**VERIFY, "to": owner.user.email})
        assert [r.status for r in await logs(rt)] == ["bounced", "bounced"]


class TestPurge:
    async def test_old_rows_go(self, rt: runtime.Runtime) -> None:
        await run("email.send", VERIFY)
        await run("email.send", {**VERIFY, "to": "old@example.com"})
        async with session_scope(rt.sessions) as session:
            await session.execute(
                update(EmailLog)
                .where(EmailLog.to_hash == tokens.address_hash(rt.settings, "old@example.com"))
                .values(created_at=utcnow() - timedelta(days=91))
            )
        await run("email.purge_log", {})
        assert [r.to_hash for r in await logs(rt)] == [
            tokens.address_hash(rt.settings, "nova@example.com")
        ]
        assert any(s.name == "email.purge_log" for s in jobs.SCHEDULES)
