"""Sending limits hold exactly when many `email.send` jobs run at once, each in its own
transaction on its own connection: exactly the limit goes out, the rest are delayed.

Commits for real (outside the per-test rollback) and cleans up after itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core import jobs, runtime
from sparkle.core.config import Settings
from sparkle.core.db import utcnow
from sparkle.core.db.engine import sessionmaker
from sparkle.core.events import discard
from sparkle.core.mail import Mailer, MailRejected, OutboxTransport
from sparkle.core.ratelimit import Limiter
from sparkle.email import service
from sparkle.email.models import EmailLog, EmailSuppression
from tests.email.steps import outbox, payload_of, run

ATTEMPTS = 12
PER_HOUR = 5
PER_RECIPIENT_DAY = 3


class SlowOutbox(OutboxTransport):
    """An outbox that takes a moment per message, as an SMTP server does, refuses for good
    every address starting with `refused`, and cannot be reached while `down`."""

    pause = 0.05
    down = False

    async def deliver(self, message: EmailMessage) -> None:
        await asyncio.sleep(self.pause)
        if self.down:
            raise ConnectionRefusedError("smtp server unreachable")
        if str(message["To"]).startswith("refused"):
            raise MailRejected("550 5.1.1 no such user")
        await super().deliver(message)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"EMAIL_RATE_PER_HOUR": PER_HOUR, "EMAIL_RATE_PER_RECIPIENT_DAY": PER_RECIPIENT_DAY}


@pytest.fixture
async def live(engine: AsyncEngine, settings: Settings) -> AsyncIterator[runtime.Runtime]:
    """A runtime whose sessions each take their own connection and commit for real."""
    settings.ensure_dirs()
    sessions: async_sessionmaker[Any] = sessionmaker(engine)
    rt = runtime.Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        limiter=Limiter.from_url(None, enabled=False),
        mailer=Mailer(
            SlowOutbox(settings.mail_dir), sender=settings.mail_from, base_url=settings.base_url
        ),
    )
    runtime.install(rt)
    jobs.configure(inline=True)
    jobs.runner.reset()
    start = utcnow()
    try:
        yield rt
    finally:
        jobs.runner.reset()
        async with sessions() as session:
            await session.execute(delete(EmailLog).where(EmailLog.created_at >= start))
            await session.execute(
                delete(EmailSuppression).where(EmailSuppression.created_at >= start)
            )
            await session.commit()


async def sent_count(rt: runtime.Runtime, address: str | None = None) -> int:
    async with rt.sessions() as session:
        rows, _ = await service.list_log(
            session,
            rt,
            user_id=None,
            address=address,
            status="sent",
            template=None,
            cursor=None,
            limit=100,
        )
    return len(rows)


def verification(address: str) -> dict[str, Any]:
    return {
        "to": address,
        "template": "verification",
        "context": {"username": "nova", "url": f"http://testserver/verify?a={address}"},
    }


async def test_per_recipient_limit_holds_under_concurrency(live: runtime.Runtime) -> None:
    tag = uuid.uuid4().hex[:8]
    async with live.sessions() as session:
        user = await accounts_service.create(
            session,
            email=f"q{tag}@example.com",
            username=f"q{tag}",
            hashed_password=None,
            verified=True,
        )
        await session.commit()
        discard(session)
    mails = [
        {
            "userId": str(user.id),
            "template": "system_notification",
            "context": {
                "notification": {"title": f"Note {n}", "message": "Hi", "url": "http://testserver/"}
            },
            "key": f"{tag}:{n}",
        }
        for n in range(ATTEMPTS)
    ]
    try:
        await asyncio.gather(*(run("email.send", mail) for mail in mails))

        assert len(outbox(live)) == PER_RECIPIENT_DAY
        assert await sent_count(live, user.email) == PER_RECIPIENT_DAY
        delayed = payload_of("email.send")
        assert len(delayed) == ATTEMPTS - PER_RECIPIENT_DAY
        sent_keys = {mail["key"] for mail in mails} - {d["key"] for d in delayed}
        assert len(sent_keys) == PER_RECIPIENT_DAY
    finally:
        async with live.sessions() as session:
            await session.execute(delete(User).where(User.id == user.id))
            await session.commit()


async def test_hourly_limit_holds_under_concurrency(live: runtime.Runtime) -> None:
    tag = uuid.uuid4().hex[:8]
    addresses = [f"h{n}{tag}@example.com" for n in range(ATTEMPTS)]
    await asyncio.gather(*(run("email.send", verification(a)) for a in addresses))

    assert len(outbox(live)) == PER_HOUR
    assert await sent_count(live) == PER_HOUR
    delayed = payload_of("email.send")
    assert len(delayed) == ATTEMPTS - PER_HOUR
    assert {d["to"] for d in delayed} | {m.to for m in outbox(live)} == set(addresses)


async def test_refused_mails_stop_counting(live: runtime.Runtime) -> None:
    tag = uuid.uuid4().hex[:8]
    refused = [f"refused{n}{tag}@example.com" for n in range(2)]
    taken = [f"t{n}{tag}@example.com" for n in range(ATTEMPTS)]
    await asyncio.gather(*(run("email.send", verification(a)) for a in refused + taken[:3]))
    assert await sent_count(live) == 3 and not payload_of("email.send")

    # The two refused claims left the hour's budget: two more go out, then the rest wait.
    await asyncio.gather(*(run("email.send", verification(a)) for a in taken[3:]))
    assert len(outbox(live)) == await sent_count(live) == PER_HOUR
    assert len(payload_of("email.send")) == ATTEMPTS - PER_HOUR
    async with live.sessions() as session:
        rows, _ = await service.list_log(
            session,
            live,
            user_id=None,
            address=refused[0],
            status="bounced",
            template=None,
            cursor=None,
            limit=10,
        )
    assert len(rows) == 1


def verification_mail(address: str, key: str) -> service.Outgoing:
    return service.Outgoing(address, "verification", verification(address)["context"], key)


async def failed_once(live: runtime.Runtime, mail: service.Outgoing) -> None:
    """A first hand-over of `mail` that failed: it is left to be sent again."""
    transport = live.mailer.transport
    assert isinstance(transport, SlowOutbox)
    transport.down = True
    try:
        with pytest.raises(ConnectionRefusedError):
            await service.deliver(live, mail)
    finally:
        transport.down = False


async def test_a_mail_retried_twice_at_once_goes_out_once(live: runtime.Runtime) -> None:
    tag = uuid.uuid4().hex[:8]
    address = f"twice{tag}@example.com"
    mail = verification_mail(address, f"twice:{tag}")
    await failed_once(live, mail)
    assert outbox(live) == []

    # Two retries at the same instant: one hands it over, the other waits for its claim.
    transport = live.mailer.transport
    assert isinstance(transport, SlowOutbox)
    transport.pause = 0.5
    outcomes = await asyncio.gather(service.deliver(live, mail), service.deliver(live, mail))
    assert sorted(o.status for o in outcomes) == ["delayed", "sent"]
    assert [m.to for m in outbox(live)] == [address]
    waited = next(o for o in outcomes if o.status == "delayed")
    assert waited.delay > 60  # comes back after the claim's lease, when it finds the mail sent
    assert (await service.deliver(live, mail)).status == "duplicate"
    assert len(outbox(live)) == 1


async def test_a_crashed_runs_claim_lapses_and_the_mail_goes_out(live: runtime.Runtime) -> None:
    tag = uuid.uuid4().hex[:8]
    address = f"crash{tag}@example.com"
    mail = verification_mail(address, f"crash:{tag}")
    await failed_once(live, mail)

    async def claimed(until: timedelta) -> None:
        """As left by a run killed while handing the mail over."""
        async with live.sessions() as session:
            row = await service.get_log(session, mail.key)
            assert row is not None
            row.status = "queued"
            row.claimed_until = utcnow() + until
            await session.commit()

    await claimed(timedelta(seconds=30))
    outcome = await service.deliver(live, mail)
    assert outcome.status == "delayed" and 30 <= outcome.delay <= 32
    assert outbox(live) == []

    await claimed(timedelta(seconds=-1))
    assert (await service.deliver(live, mail)).status == "sent"
    assert [m.to for m in outbox(live)] == [address]
    async with live.sessions() as session:
        row = await service.get_log(session, mail.key)
        assert row is not None and row.status == "sent" and row.claimed_until is None
