"""Mail coming back, through the inbound server on loopback (the one `sparkle mail-inbound`
runs): delivery status notifications, complaint reports and mailed unsubscribe requests sent
over real SMTP and LMTP connections; the effects read back through the services and the API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import update

from sparkle.core import runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.core.mail import Mailer
from sparkle.email import inbound, tokens
from sparkle.email.models import EmailLog, EmailSuppression
from sparkle.notifications import preferences
from sparkle.notifications.models import Channel, NotificationType
from tests.email.steps import logs, outbox, run
from tests.fixtures.smtp import SmtpServer, free_port

DOMAIN = "sparkle.local"  # of the default MAIL_FROM
NOTE = {"title": "Maintenance tonight", "message": "Back soon.", "url": "http://testserver/"}


def system_mail(user_id: Any, key: str) -> dict[str, Any]:
    return {
        "userId": str(user_id),
        "template": "system_notification",
        "context": {"notification": NOTE},
        "key": key,
    }


@dataclass
class Inbound:
    port: int

    async def send(self, message: EmailMessage | bytes, to: list[str], sender: str = "") -> str:
        """Deliver `message` over SMTP (a null envelope sender by default, as a bounce has);
        the server's final reply."""
        raw = message.as_bytes() if isinstance(message, EmailMessage) else message
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self.port, timeout=10) as smtp:
            _, reply = await smtp.sendmail(sender, to, raw)
        return reply


@pytest.fixture
async def server(rt: runtime.Runtime) -> AsyncIterator[Inbound]:
    port = free_port()
    listening = await inbound.start_server(rt, "127.0.0.1", port)
    try:
        yield Inbound(port)
    finally:
        listening.close()
        await listening.wait_closed()


async def sent_mail(rt: runtime.Runtime, owner: Any, key: str = "m1") -> tuple[EmailLog, Any]:
    """Send one system mail to `owner` (outbox); its log row and the outbox copy."""
    before = {r.id for r in await logs(rt)}
    await run("email.send", system_mail(owner.id, key))
    [row] = [r for r in await logs(rt) if r.id not in before]
    mail = next(m for m in outbox(rt) if m.message_id == row.message_id)
    return row, mail


def header(mail: Any, name: str) -> str:
    return next(v for k, v in mail.headers if k.lower() == name.lower())


def return_path(mail: Any) -> str:
    return header(mail, "Return-Path").strip(" <>")


def mailto_of(list_unsubscribe: str) -> str:
    mailto = [p.strip(" <>") for p in list_unsubscribe.split(",")][1]
    return mailto.removeprefix("mailto:").split("?")[0]


def mailto_address(mail: Any) -> str:
    return mailto_of(header(mail, "List-Unsubscribe"))


def dsn(to: str, action: str, status: str, *, filler: int = 0) -> bytes:
    """A delivery status notification the way Postfix writes one."""
    code = status.replace(".", "")[:1] + "50"
    padding = "filler text to make the message bigger\n" * filler
    return f"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN-1"

--DSN-1
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.
{padding}
--DSN-1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 16 Nov 2026 10:00:00 +0000

Final-Recipient: rfc822; owner_user@example.com
Original-Recipient: rfc822;owner_user@example.com
Action: {action}
Status: {status}
Remote-MTA: dns; mailbox.example.net
Diagnostic-Code: smtp; {code} {status} mailbox says no

--DSN-1
Content-Type: text/rfc822-headers

From: Sparkle Universe <no-reply@sparkle.local>
To: owner_user@example.com
Subject: Maintenance tonight

--DSN-1--
""".encode()


def arf(to: str, feedback_type: str, enclosed_return_path: str | None) -> bytes:
    """An RFC 5965 feedback report enclosing the reported mail."""
    return_path = f"Return-Path: <{enclosed_return_path}>\n" if enclosed_return_path else ""
    return f"""From: fbl@isp.example
To: {to}
Subject: FW: Maintenance tonight
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF-1"

--ARF-1
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message received from you.

--ARF-1
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: ExampleFBL/1.0
Version: 1
Arrival-Date: Mon, 16 Nov 2026 10:00:00 +0000

--ARF-1
Content-Type: message/rfc822
Content-Disposition: inline

{return_path}Received: from mail.sparkle.local by mx.isp.example
From: Sparkle Universe <no-reply@sparkle.local>
To: redacted@isp.example
Subject: Maintenance tonight

Back soon.

--ARF-1--
""".encode()


def plain(
    to: str, subject: str = "unsubscribe", sender: str = "owner_user@example.com"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Please take me off this list.")
    return msg


async def suppression(rt: runtime.Runtime, to_hash: str) -> EmailSuppression | None:
    async with rt.sessions() as session:
        return await session.get(EmailSuppression, to_hash)


async def status_of(rt: runtime.Runtime, row: EmailLog) -> str:
    async with rt.sessions() as session:
        fresh = await session.get(EmailLog, row.id, populate_existing=True)
        assert fresh is not None
        return fresh.status


async def email_switches(
    rt: runtime.Runtime, user_id: Any
) -> tuple[dict[NotificationType, bool], str]:
    async with rt.sessions() as session:
        prefs = await preferences.get_preferences(session, user_id)
    return {t: c[Channel.EMAIL] for t, c in prefs.channels.items()}, prefs.digest


class TestOutgoing:
    @pytest.fixture
    def settings_overrides(self, smtp_server: SmtpServer) -> dict[str, object]:
        return {"SMTP_URL": smtp_server.url}

    async def test_envelope_sender_is_a_signed_bounce_address(
        self, rt: runtime.Runtime, owner: Any, smtp_server: SmtpServer
    ) -> None:
        await run("email.send", system_mail(owner.id, "smtp"))
        [received] = smtp_server.received
        [row] = await logs(rt)
        local, _, domain = received.mail_from.partition("@")
        assert domain == DOMAIN and local.startswith("bounces+")
        assert tokens.read_bounce_token(rt.settings, local.removeprefix("bounces+")) == row.id
        assert "owner_user" not in received.mail_from  # opaque: never the address
        # The header only asked for the envelope; the final delivery writes Return-Path.
        assert received.message["Return-Path"] is None
        address = mailto_of(str(received.message["List-Unsubscribe"]))
        local, _, domain = address.partition("@")
        assert domain == DOMAIN and local.startswith("unsubscribe+")
        claims = tokens.read_unsubscribe_address_token(
            rt.settings, local.removeprefix("unsubscribe+")
        )
        assert (claims.user_id, claims.scope) == (owner.id, "SYSTEM")

    async def test_outbox_copy_keeps_return_path_and_the_domain_is_configurable(
        self, rt: runtime.Runtime, owner: Any
    ) -> None:
        rt.settings.smtp_url = None
        rt.mailer = Mailer.from_settings(rt.settings)  # the outbox
        rt.settings.email_inbound_domain = "Returns.Example.org"
        rt.settings.email_bounce_local = "rtn"
        rt.settings.email_unsubscribe_local = "leave"
        _, mail = await sent_mail(rt, owner)
        assert re.fullmatch(r"rtn\+[a-z2-7]{45}@returns\.example\.org", return_path(mail))
        assert re.fullmatch(r"leave\+[a-z2-7]{48}@returns\.example\.org", mailto_address(mail))


class TestUnsubscribe:
    async def test_mail_to_the_mailto_address_switches_the_type_off(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        _, mail = await sent_mail(rt, owner)
        reply = await server.send(
            plain(mailto_address(mail)), [mailto_address(mail)], "owner_user@example.com"
        )
        assert reply == "2.0.0 OK"
        switches, digest = await email_switches(rt, owner.id)
        assert switches[NotificationType.SYSTEM] is False
        assert switches[NotificationType.POST_LIKED] is True and digest == "weekly"
        # The next mail of that type is not sent (and a second request changes nothing).
        await run("email.send", system_mail(owner.id, "after"))
        assert len(outbox(rt)) == 1
        await server.send(plain(mailto_address(mail)), [mailto_address(mail)])
        assert (await email_switches(rt, owner.id))[0][NotificationType.SYSTEM] is False

    async def test_scope_all_matches_the_one_click_post(
        self, rt: runtime.Runtime, owner: Any, other: Any, server: Inbound, client: Any
    ) -> None:
        by_mail = tokens.unsubscribe_address(rt.settings, owner.id, "all")
        await server.send(plain(by_mail), [by_mail])
        link = tokens.unsubscribe_token(rt.settings, other.id, "all")
        r = await client.post(f"/unsubscribe?token={link}", data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
        mailed, posted = await email_switches(rt, owner.id), await email_switches(rt, other.id)
        assert mailed == posted
        assert not any(mailed[0].values()) and mailed[1] == "off"

    async def test_uppercase_address(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        address = tokens.unsubscribe_address(rt.settings, owner.id, "digest").upper()
        await server.send(plain(address), [address])
        assert (await email_switches(rt, owner.id))[1] == "off"

    async def test_bare_address_takes_the_link_token_from_the_subject(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        bare = f"unsubscribe@{DOMAIN}"
        link = tokens.unsubscribe_token(rt.settings, owner.id, "POST_LIKED")
        await server.send(plain(bare, f"unsubscribe {link}"), [bare])
        assert (await email_switches(rt, owner.id))[0][NotificationType.POST_LIKED] is False

        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await server.send(plain(bare, "unsubscribe please"), [bare])
        assert refused.value.code == 550
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await server.send(plain(bare, f"unsubscribe {link[:-2]}xx"), [bare])
        assert refused.value.code == 550

    async def test_deleted_member(self, rt: runtime.Runtime, server: Inbound) -> None:
        import uuid

        address = tokens.unsubscribe_address(rt.settings, uuid.uuid4(), "all")
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await server.send(plain(address), [address])
        assert refused.value.code == 550


class TestBounces:
    async def test_hard_bounce_suppresses_and_marks_the_mail(
        self, rt: runtime.Runtime, owner: Any, admin: Any, server: Inbound, client: Any
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        address = return_path(mail)
        reply = await server.send(dsn(address, "failed", "5.1.1"), [address])
        assert reply == "2.0.0 OK"
        assert await status_of(rt, row) == "bounced"
        suppressed = await suppression(rt, row.to_hash)
        assert suppressed is not None and suppressed.reason == "bounce"
        assert "5.1.1" in (suppressed.detail or "")
        r = await client.get("/api/admin/email/log?status=bounced", headers=admin.headers)
        assert [(i["id"], i["error"][:5]) for i in r.json()["items"]] == [(str(row.id), "5.1.1")]
        # Member mail is no longer attempted; a repeated notice changes nothing.
        await run("email.send", system_mail(owner.id, "after"))
        assert len(outbox(rt)) == 1
        await server.send(dsn(address, "failed", "5.1.1"), [address])
        assert await status_of(rt, row) == "bounced"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_SOFT_BOUNCE_LIMIT": 2, "EMAIL_SOFT_BOUNCE_DAYS": 7}

    async def test_soft_bounces_suppress_after_the_limit(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        first, first_mail = await sent_mail(rt, owner, "a")
        second, second_mail = await sent_mail(rt, owner, "b")
        await server.send(
            dsn(return_path(first_mail), "failed", "4.2.2"), [return_path(first_mail)]
        )
        assert await status_of(rt, first) == "deferred"
        assert await suppression(rt, first.to_hash) is None
        # The same mail bouncing again counts once; a "delayed" notice is no bounce.
        await server.send(
            dsn(return_path(first_mail), "failed", "4.2.2"), [return_path(first_mail)]
        )
        await server.send(
            dsn(return_path(second_mail), "delayed", "4.4.1"), [return_path(second_mail)]
        )
        assert await status_of(rt, second) == "sent"
        assert await suppression(rt, first.to_hash) is None

        await server.send(
            dsn(return_path(second_mail), "failed", "4.4.7"), [return_path(second_mail)]
        )
        assert await status_of(rt, second) == "deferred"
        suppressed = await suppression(rt, first.to_hash)
        assert suppressed is not None and suppressed.reason == "soft-bounce"

    async def test_soft_bounces_outside_the_window_do_not_count(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        old, old_mail = await sent_mail(rt, owner, "old")
        await server.send(dsn(return_path(old_mail), "failed", "4.2.2"), [return_path(old_mail)])
        async with session_scope(rt.sessions) as session:
            await session.execute(
                update(EmailLog)
                .where(EmailLog.id == old.id)
                .values(sent_at=utcnow() - timedelta(days=8))
            )
        new, new_mail = await sent_mail(rt, owner, "new")
        await server.send(dsn(return_path(new_mail), "failed", "4.2.2"), [return_path(new_mail)])
        assert await status_of(rt, new) == "deferred"
        assert await suppression(rt, new.to_hash) is None

    async def test_auto_reply_changes_nothing(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        reply = await server.send(plain(return_path(mail), "Out of office"), [return_path(mail)])
        assert reply == "2.0.0 OK"
        assert await status_of(rt, row) == "sent"
        assert await suppression(rt, row.to_hash) is None


class TestComplaints:
    async def test_abuse_report_suppresses(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        await server.send(arf(return_path(mail), "abuse", None), [return_path(mail)])
        suppressed = await suppression(rt, row.to_hash)
        assert suppressed is not None and suppressed.reason == "complaint"
        await run("email.send", system_mail(owner.id, "after"))
        assert len(outbox(rt)) == 1

    async def test_feedback_loop_address_reads_the_reported_mail(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        fbl = f"bounces@{DOMAIN}"
        await server.send(arf(fbl, "abuse", return_path(mail)), [fbl])
        assert (await suppression(rt, row.to_hash)) is not None

    async def test_feedback_loop_address_without_our_mail_is_refused(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        fbl = f"bounces@{DOMAIN}"
        forged = return_path(mail)[:-20] + "a" * 7 + return_path(mail)[-13:]
        for enclosed in (None, forged):
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await server.send(arf(fbl, "abuse", enclosed), [fbl])
            assert refused.value.code == 550
        assert await suppression(rt, row.to_hash) is None

    async def test_not_spam_report_changes_nothing(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        await server.send(arf(return_path(mail), "not-spam", None), [return_path(mail)])
        assert await suppression(rt, row.to_hash) is None


def tamper(address: str) -> str:
    local, _, domain = address.partition("@")
    base, _, token = local.partition("+")
    middle = len(token) // 2
    swapped = token[:middle] + ("b" if token[middle] != "b" else "c") + token[middle + 1 :]
    return f"{base}+{swapped}@{domain}"


class TestRefusals:
    async def refused_at_rcpt(self, server: Inbound, address: str) -> int:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await server.send(plain(address), [address])
        [response] = refused.value.recipients
        return response.code

    async def test_unknown_recipients(self, rt: runtime.Runtime, server: Inbound) -> None:
        for address in (
            f"postmaster@{DOMAIN}",
            f"no-reply@{DOMAIN}",
            f"owner_user+x@{DOMAIN}",
            "bounces@elsewhere.example",
        ):
            assert await self.refused_at_rcpt(server, address) == 550, address

    async def test_tampered_forged_and_expired_tokens(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        long_ago = datetime.now(UTC) - timedelta(days=tokens.BOUNCE_ADDRESS_DAYS + 2)
        stale = datetime.now(UTC) - timedelta(days=rt.settings.email_unsubscribe_days + 2)
        other_key = rt.settings.model_copy(
            update={
                "secret_key": type(rt.settings.secret_key)("another-secret-key-0123456789abcdef")
            }
        )
        for address in (
            tamper(return_path(mail)),
            tamper(mailto_address(mail)),
            return_path(mail)[: -len(DOMAIN) - 3] + f"@{DOMAIN}",  # cut short
            tokens.bounce_address(rt.settings, row.id, now=long_ago),
            tokens.unsubscribe_address(rt.settings, owner.id, "all", now=stale),
            tokens.bounce_address(other_key, row.id),
            tokens.unsubscribe_address(other_key, owner.id, "all"),
        ):
            assert await self.refused_at_rcpt(server, address) == 550, address
        assert await suppression(rt, row.to_hash) is None
        assert (await email_switches(rt, owner.id))[1] == "weekly"
        # The server is still there, and the genuine addresses still work.
        await server.send(dsn(return_path(mail), "failed", "5.1.1"), [return_path(mail)])
        assert await status_of(rt, row) == "bounced"

    async def test_a_bad_recipient_does_not_spoil_a_good_one(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        good = tokens.unsubscribe_address(rt.settings, owner.id, "digest")
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=server.port, timeout=10) as smtp:
            errors, reply = await smtp.sendmail(
                "owner_user@example.com", [tamper(good), good], plain(good).as_bytes()
            )
        assert [(address, r.code) for address, r in errors.items()] == [(tamper(good), 550)]
        assert reply == "2.0.0 OK"
        assert (await email_switches(rt, owner.id))[1] == "off"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_INBOUND_MAX_BYTES": 4096}

    async def test_large_messages_are_refused(
        self, rt: runtime.Runtime, owner: Any, server: Inbound
    ) -> None:
        row, mail = await sent_mail(rt, owner)
        big = dsn(return_path(mail), "failed", "5.1.1", filler=200)
        assert len(big) > 4096
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await server.send(big, [return_path(mail)])
        assert refused.value.code == 552
        assert await status_of(rt, row) == "sent"
        await server.send(dsn(return_path(mail), "failed", "5.1.1"), [return_path(mail)])
        assert await status_of(rt, row) == "bounced"

    async def test_purged_mail_is_taken_and_ignored(
        self, rt: runtime.Runtime, server: Inbound
    ) -> None:
        import uuid

        address = tokens.bounce_address(rt.settings, uuid.uuid4())
        reply = await server.send(dsn(address, "failed", "5.1.1"), [address])
        assert reply == "2.0.0 OK"


class TestLmtp:
    async def test_one_reply_per_recipient(self, rt: runtime.Runtime, owner: Any) -> None:
        port = free_port()
        listening = await inbound.start_server(rt, "127.0.0.1", port, lmtp=True)
        row, mail = await sent_mail(rt, owner)
        unsubscribe = tokens.unsubscribe_address(rt.settings, owner.id, "digest")
        bare = f"unsubscribe@{DOMAIN}"  # no token in the subject: refused after DATA
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:

            async def command(line: str | None) -> list[str]:
                if line is not None:
                    writer.write(line.encode() + b"\r\n")
                replies = []
                while True:
                    reply = (await asyncio.wait_for(reader.readline(), 5)).decode().rstrip()
                    replies.append(reply)
                    if reply[3:4] != "-":
                        return replies

            assert (await command(None))[0].startswith("220")
            assert (await command("LHLO test.example"))[-1].startswith("250")
            assert (await command("MAIL FROM:<>"))[0].startswith("250")
            for address in (return_path(mail), unsubscribe, bare):
                assert (await command(f"RCPT TO:<{address}>"))[0].startswith("250")
            assert (await command("DATA"))[0].startswith("354")
            body = dsn(return_path(mail), "failed", "5.1.1").replace(b"\n", b"\r\n")
            writer.write(body + b"\r\n.\r\n")
            replies = [(await command(None))[0] for _ in range(3)]
            assert [r[:3] for r in replies] == ["250", "250", "550"]
            await command("QUIT")
        finally:
            writer.close()
            listening.close()
            await listening.wait_closed()
        assert await status_of(rt, row) == "bounced"
        assert (await email_switches(rt, owner.id))[1] == "off"
