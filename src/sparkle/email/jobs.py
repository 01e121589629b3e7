"""Email jobs: `email.send` (one mail), `email.notification` (the batched notification mail),
`email.digest` / `email.digest_all` (the digest, fanned out in paced batches of 50) and
`email.bulk` (one template to many members, in paced batches of 50).

Every handler is idempotent: the mail's idempotency key in `email_log` makes a repeated run
a no-op. A mail over the sending limits, or due in the member's quiet hours, is enqueued
again with a delay instead of being dropped. A transport failure raises, so the job system
retries it with backoff; the log row keeps the mail until it goes out.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from sparkle.core import events, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.core.jobs import cron, job
from sparkle.email import catalog, digest, notify, service

Template = Literal[
    "welcome",
    "verification",
    "password_reset",
    "post_liked",
    "comment_notification",
    "comment_liked",
    "new_follower",
    "achievement",
    "level_up",
    "weekly_digest",
    "system_notification",
    "mention",
    "group_invite",
    "group_post",
    "event_reminder",
    "watch_party_invite",
    "direct_message",
    "youtube_premiere",
    "quest_complete",
    "trade_request",
    "content_featured",
    "milestone",
    "notification_summary",
]
TEMPLATES: tuple[str, ...] = get_args(Template)
BulkTemplate = Literal[
    "system_notification",
    "group_invite",
    "event_reminder",
    "youtube_premiere",
    "content_featured",
    "watch_party_invite",
]

# Context keys each template cannot do without; checked when the job is enqueued, so a
# caller's mistake fails its request instead of a background job. `user` (name, accent) is
# filled in by the service for mail addressed to a member.
REQUIRED_CONTEXT: dict[str, frozenset[str]] = {
    spec.name: spec.required - {"user"} for spec in catalog.SPECS
}

# One bare address (no display name, no list): enough to keep header injection and typos out.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def _check_address(value: str) -> str:
    value = value.strip()
    if len(value) > 320 or not _ADDRESS.match(value):
        raise ValueError("not an email address")
    return value


Address = Annotated[str, AfterValidator(_check_address)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class SendEmail(_Payload):
    to: Address | None = None
    template: Template
    context: dict[str, Any] = Field(default_factory=dict)
    # A member: their current address, name and accent are used, and their preferences apply.
    user_id: uuid.UUID | None = None
    # Idempotency key; by default a hash of the payload.
    key: str | None = Field(None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _required_context(self) -> SendEmail:
        if self.to is None and self.user_id is None:
            raise ValueError("to or userId is required")
        if self.template not in catalog.TRANSACTIONAL and self.user_id is None:
            raise ValueError(f"{self.template!r} mail is sent to a member: userId is required")
        missing = sorted(REQUIRED_CONTEXT[self.template] - self.context.keys())
        if missing:
            raise ValueError(f"context for {self.template!r} lacks {', '.join(missing)}")
        url = self.context.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://", url)):
            raise ValueError("context url must be an http(s) URL")
        return self


class NotificationEmail(_Payload):
    notification_id: uuid.UUID
    user_id: uuid.UUID


class DigestEmail(_Payload):
    user_id: uuid.UUID
    frequency: Literal["daily", "weekly"] = "weekly"
    period: date


class DigestAll(_Payload):
    frequency: Literal["daily", "weekly"] = "weekly"
    after: uuid.UUID | None = None
    period: date | None = None


class BulkEmail(_Payload):
    template: BulkTemplate
    context: dict[str, Any] = Field(default_factory=dict)
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    bulk_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    offset: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _context(self) -> BulkEmail:
        missing = sorted(REQUIRED_CONTEXT[self.template] - self.context.keys())
        if missing:
            raise ValueError(f"context for {self.template!r} lacks {', '.join(missing)}")
        return self


BATCH_SIZE = 50


async def _enqueue(
    name: str, payload: BaseModel, *, delay: float = 0, key: str | None = None
) -> None:
    async with session_scope(runtime.get().sessions) as session:
        events.enqueue(
            session, name, payload.model_dump(mode="json", by_alias=True), delay=delay, key=key
        )


@job("email.send", queue="email", payload=SendEmail, timeout=120)
async def send(payload: SendEmail) -> None:
    rt = runtime.get()
    if payload.key is None:
        key = service.payload_key("send", payload.model_dump(mode="json", by_alias=True))
        payload = payload.model_copy(update={"key": key})
    assert payload.key is not None
    if payload.user_id is not None and payload.template not in catalog.TRANSACTIONAL:
        outcome = await service.send_to_user(
            rt, payload.user_id, payload.template, payload.context, payload.key
        )
    else:
        assert payload.to is not None
        outcome = await service.deliver(
            rt,
            service.Outgoing(
                payload.to, payload.template, payload.context, payload.key, user_id=payload.user_id
            ),
        )
    if outcome.status == "delayed":
        await _enqueue("email.send", payload, delay=outcome.delay)


@job("email.notification", queue="email", payload=NotificationEmail, timeout=120)
async def notification(payload: NotificationEmail) -> None:
    batch = await notify.send_batch(runtime.get(), payload.user_id)
    if batch.status == "delayed":
        await _enqueue(
            "email.notification", payload, delay=batch.delay, key=f"email-batch:{payload.user_id}"
        )


@job("email.digest", queue="email", payload=DigestEmail, timeout=120)
async def send_digest(payload: DigestEmail) -> None:
    result = await digest.send_digest(
        runtime.get(), payload.user_id, payload.frequency, payload.period.isoformat()
    )
    if result.status == "delayed":
        await _enqueue("email.digest", payload, delay=result.delay)


@job("email.digest_all", queue="email", payload=DigestAll, timeout=300)
async def digest_all(payload: DigestAll) -> None:
    """Enqueue the digests of the next 50 members, then itself for the following 50."""
    rt = runtime.get()
    period = payload.period or utcnow().date()
    async with session_scope(rt.sessions) as session:
        page = await digest.recipients_page(session, payload.frequency, payload.after)
        for user_id in page:
            events.enqueue(
                session,
                "email.digest",
                {
                    "userId": str(user_id),
                    "frequency": payload.frequency,
                    "period": period.isoformat(),
                },
                key=f"email-digest:{user_id}:{period.isoformat()}",
            )
        if len(page) == digest.BATCH_SIZE:
            following = payload.model_copy(update={"after": page[-1], "period": period})
            events.enqueue(
                session,
                "email.digest_all",
                following.model_dump(mode="json", by_alias=True),
                delay=max(rt.settings.email_batch_pace_seconds, 0.001),
            )


@job("email.bulk", queue="email", payload=BulkEmail, timeout=300)
async def bulk(payload: BulkEmail) -> None:
    """Enqueue one `email.send` per member of the next batch of 50, then the next batch."""
    rt = runtime.get()
    batch = payload.user_ids[payload.offset : payload.offset + BATCH_SIZE]
    async with session_scope(rt.sessions) as session:
        for user_id in batch:
            events.enqueue(
                session,
                "email.send",
                {
                    "userId": str(user_id),
                    "template": payload.template,
                    "context": payload.context,
                    "key": f"bulk:{payload.bulk_id}:{user_id}",
                },
            )
        following = payload.offset + BATCH_SIZE
        if following < len(payload.user_ids):
            events.enqueue(
                session,
                "email.bulk",
                payload.model_copy(update={"offset": following}).model_dump(
                    mode="json", by_alias=True
                ),
                delay=max(rt.settings.email_batch_pace_seconds, 0.001),
            )


LOG_RETENTION_DAYS = 90


class PurgeLog(_Payload):
    days: int = Field(LOG_RETENTION_DAYS, ge=1)


@job("email.purge_log", queue="cleanup", payload=PurgeLog, timeout=600)
async def purge_log(payload: PurgeLog) -> None:
    async with session_scope(runtime.get().sessions) as session:
        await service.purge_log(session, days=payload.days)


cron(
    "email.purge_log",
    "30 3 * * 0",
    description=f"Delete email log rows older than {LOG_RETENTION_DAYS} days (Sundays 03:30 UTC)",
)
cron(
    "email.digest_all",
    "0 9 * * 1",
    {"frequency": "weekly"},
    description="Weekly digest mail (Mondays 09:00 UTC), fanned out in paced batches of 50",
)
cron(
    "email.digest_all",
    "0 9 * * *",
    {"frequency": "daily"},
    description="Daily digest mail for members who chose it (09:00 UTC)",
)


def new_bulk_id() -> str:
    return uuid.uuid4().hex
