"""The email service: one pipeline for every outgoing mail.

`deliver()` takes an `Outgoing` mail through the checks (suppressed address, sending limits),
records it in `email_log` before anything leaves (so a failure is never silent and a retry
sends the same mail), renders it with the recipient's name and accent colour, adds the
unsubscribe headers and, when enabled, open and click tracking, and hands it to the mailer.
Each step that changes the log commits on its own: a crash or an SMTP outage leaves the row
`queued` or `failed`, and the job that raised is retried with backoff by the job system.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import events
from sparkle.core.db import session_scope, utcnow
from sparkle.core.db.base import new_id
from sparkle.core.mail import MailMessage, MailRejected
from sparkle.core.runtime import Runtime
from sparkle.email import catalog, repository, tokens
from sparkle.email.events import EmailClicked, EmailOpened, EmailSent
from sparkle.email.models import (
    EmailCategory,
    EmailLog,
    EmailStatus,
    EmailSuppression,
)
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType

log = structlog.get_logger(__name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# A failed mail is sent again by the retried job only this long after it was queued.
RESEND_WINDOW = timedelta(days=2)
_UNSENT = (EmailStatus.QUEUED.value, EmailStatus.FAILED.value)
# Mails that left (a bounce may come back after sending); a mail refused while being handed
# over is `bounced` without `sent_at`, one that failed is `failed`: neither counts.
_WENT_OUT = (EmailStatus.SENT.value, EmailStatus.DEFERRED.value, EmailStatus.BOUNCED.value)
# How long a run owns the mail it claimed: longer than the email jobs' 120 s timeout, so a
# claim still held is a run still sending, and a crashed run's claim frees itself.
CLAIM_LEASE = timedelta(seconds=150)
# pg_advisory_xact_lock key serializing the sending-limit check and claim ("SPEM").
LIMITS_LOCK_KEY = 0x5350454D
_HREF = re.compile(r'href="(https?://[^"]+)"')


@dataclass
class Outgoing:
    """A mail to send: who to, which template with what, and how to recognise a repeat."""

    to: str
    template: str
    context: dict[str, Any]
    key: str
    user_id: uuid.UUID | None = None
    category: EmailCategory | None = None
    # What its unsubscribe link switches off (None: transactional, no link).
    scope: str | None = None
    # Rows to write in the same transaction as the log row (notifications marked as mailed).
    attach: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.category is None:
            spec = catalog.get(self.template)
            self.category = spec.category if spec else EmailCategory.NOTIFICATION


@dataclass(frozen=True)
class Outcome:
    """`sent`, `duplicate` (already sent), `skipped` (suppressed or unwanted) or `delayed`."""

    status: str
    delay: float = 0.0
    log_id: uuid.UUID | None = None


def payload_key(prefix: str, payload: dict[str, Any]) -> str:
    """A stable idempotency key for a payload (the same job run twice sends one mail)."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}:{digest[:48]}"


# --- recipients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    id: uuid.UUID
    email: str
    username: str
    name: str
    accent: str
    verified: bool


async def recipient(session: AsyncSession, user_id: uuid.UUID) -> Recipient | None:
    """The user as a mail needs them; None when the account is gone."""
    row = await repository.recipient(session, user_id)
    if row is None:
        return None
    user, profile = row
    return Recipient(
        user.id,
        user.email,
        user.username,
        profile.display_name or user.username,
        profile.accent_color,
        user.email_verified is not None,
    )


# --- limits and suppression -----------------------------------------------------------------


async def limit_delay(
    session: AsyncSession,
    rt: Runtime,
    to_hash: str,
    category: EmailCategory,
    now: datetime,
    *,
    key: str | None = None,
) -> float:
    """Seconds to wait before this mail fits the sending limits (0: send now).

    Global: EMAIL_RATE_PER_HOUR mails in any hour. Per recipient: EMAIL_RATE_PER_RECIPIENT_DAY
    non-transactional mails in any 24 hours (transactional mail is not held back for the
    recipient's own volume). Counted from the log, so every process and both modes see the
    same numbers: the mails that went out in the window, and the claims still being handed
    over (`queued`), which leave now. `key` names the mail asking, whose own claim is not
    counted. Exact only inside `claim_lock()`, taken before this in the claiming transaction.
    """
    settings = rt.settings
    queued_since = now - RESEND_WINDOW
    count, oldest = await repository.counted_mails(
        session,
        went_out=_WENT_OUT,
        sent_since=now - HOUR,
        queued_since=queued_since,
        except_key=key,
    )
    if count >= settings.email_rate_per_hour:
        return _wait((oldest or now) + HOUR - now)
    if category == EmailCategory.TRANSACTIONAL:
        return 0.0
    count, oldest = await repository.counted_mails(
        session,
        went_out=_WENT_OUT,
        sent_since=now - DAY,
        queued_since=queued_since,
        except_key=key,
        to_hash=to_hash,
    )
    if count >= settings.email_rate_per_recipient_day:
        return _wait((oldest or now) + DAY - now)
    return 0.0


async def claim_lock(session: AsyncSession) -> None:
    """Serialize the limit check and the claim across processes until the transaction ends.

    SQLite: the write unit of work already holds the database's write lock (BEGIN IMMEDIATE).
    PostgreSQL: one transaction-scoped advisory lock covers both windows; it is held only for
    the count and the insert, the transport is called after commit.
    """
    await repository.advisory_lock(session, LIMITS_LOCK_KEY)


def _wait(remaining: timedelta) -> float:
    # Spread the waiting jobs a little so they do not all wake at the same second.
    return max(1.0, remaining.total_seconds()) + random.uniform(0, 30)  # noqa: S311 - jitter


async def is_suppressed(session: AsyncSession, to_hash: str) -> bool:
    return await repository.suppression(session, to_hash) is not None


async def suppress(session: AsyncSession, to_hash: str, reason: str, detail: str | None) -> None:
    if await repository.suppression(session, to_hash) is None:
        session.add(EmailSuppression(to_hash=to_hash, reason=reason, detail=detail))
        await session.flush()


# --- the log --------------------------------------------------------------------------------


async def get_log(session: AsyncSession, key: str, *, fresh: bool = False) -> EmailLog | None:
    """The log row of mail `key`; `fresh` reloads it past the session's identity map (after a
    lock, to see what another transaction committed meanwhile)."""
    return await repository.log_by_key(session, key, fresh=fresh)


def _lease_left(row: EmailLog | None, now: datetime) -> float:
    """Seconds until another run's claim on `row` lapses (0: nobody is sending it)."""
    if row is None or row.status != EmailStatus.QUEUED.value or row.claimed_until is None:
        return 0.0
    return max(0.0, (row.claimed_until - now).total_seconds())


async def _claim(
    session: AsyncSession, rt: Runtime, out: Outgoing, to_hash: str, *, new: bool = False
) -> EmailLog | None:
    """The log row for `out`, created if new; None when it was already sent or settled, or,
    with `new` (there was no row before the lock), when a run of the same mail claimed it."""
    row = await get_log(session, out.key)
    if row is None:
        row = EmailLog(
            id=new_id(),
            idempotency_key=out.key,
            template=out.template,
            category=str(out.category),
            user_id=out.user_id,
            to_hash=to_hash,
            status=EmailStatus.QUEUED.value,
            context=_jsonable({**out.context, "_scope": out.scope}),
            tracking_id=tokens.new_tracking_id() if _tracked(rt, out) else None,
        )
        try:
            async with session.begin_nested():
                session.add(row)
                for extra in out.attach:
                    extra.email_log_id = row.id
                    session.add(extra)
        except IntegrityError:  # the same mail claimed concurrently
            return None
        return row
    return row if row.status in _UNSENT and not new else None


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=str))


def _tracked(rt: Runtime, out: Outgoing) -> bool:
    return rt.settings.email_tracking and out.category != EmailCategory.TRANSACTIONAL


async def _settle(rt: Runtime, log_id: uuid.UUID, status: EmailStatus, **values: Any) -> None:
    async with session_scope(rt.sessions) as session:
        row = await repository.log(session, log_id)
        if row is None:
            return
        row.status = status.value
        row.claimed_until = None
        for name, value in values.items():
            setattr(row, name, value)
        if status == EmailStatus.SENT:
            events.publish(session, EmailSent(**event_fields(row), message_id=row.message_id))


# --- rendering ------------------------------------------------------------------------------


def unsubscribe_links(rt: Runtime, user_id: uuid.UUID, scope: str) -> tuple[str, str]:
    """The https (one-click and landing page) and mailto unsubscribe links; the mailto
    address carries its own signed token (`sparkle mail-inbound` applies it)."""
    token = tokens.unsubscribe_token(rt.settings, user_id, scope)
    https = f"{rt.settings.base_url.rstrip('/')}/unsubscribe?token={token}"
    address = tokens.unsubscribe_address(rt.settings, user_id, scope)
    mailto = f"mailto:{address}?subject={quote('unsubscribe')}"
    return https, mailto


def _track(rt: Runtime, html: str, tracking_id: str, skip: set[str]) -> tuple[str, list[str]]:
    """Point every http(s) link but the unsubscribe ones at the click redirect and add the
    open pixel; returns the new HTML and the original links in order."""
    base = rt.settings.base_url.rstrip("/")
    signed = tokens.sign_tracking(rt.settings, tracking_id)
    links: list[str] = []

    def replace(match: re.Match[str]) -> str:
        url = html_lib.unescape(match.group(1))
        if url in skip:
            return match.group(0)
        if url not in links:
            links.append(url)
        return f'href="{base}/email/c/{signed}/{links.index(url)}"'

    html = _HREF.sub(replace, html)
    pixel = (
        f'<img src="{base}/email/o/{signed}.gif" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0;">'
    )
    html = html.replace("</body>", f"{pixel}\n</body>", 1)
    return html, links


def _message(rt: Runtime, out: Outgoing, row: EmailLog) -> tuple[MailMessage, list[str]]:
    context = dict(row.context)
    headers = {
        "Auto-Submitted": "auto-generated",
        "X-Sparkle-Template": out.template,
        "X-Sparkle-Category": str(out.category),
        # The envelope sender (VERP): bounces and complaints name this log row, signed.
        "Return-Path": f"<{tokens.bounce_address(rt.settings, row.id)}>",
    }
    skip: set[str] = set()
    if out.scope is not None and out.user_id is not None:
        https, mailto = unsubscribe_links(rt, out.user_id, out.scope)
        context.setdefault("unsubscribe_url", https)
        context.setdefault("preferences_url", https)
        skip = {https}
        headers["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if out.category in (EmailCategory.DIGEST, EmailCategory.BULK):
            headers["Precedence"] = "bulk"
    rendered = rt.mailer.render(out.template, context)
    body, links = rendered.html, list[str]()
    if row.tracking_id:
        body, links = _track(rt, body, row.tracking_id, skip)
    message = MailMessage(
        to=out.to, subject=rendered.subject, html=body, text=rendered.text, headers=headers
    )
    return message, links


# --- sending --------------------------------------------------------------------------------


async def deliver(rt: Runtime, out: Outgoing) -> Outcome:
    """Send `out` once: skip it if it was already sent, delay it if over a limit, otherwise
    log, render and hand it over. Raises when no transport took it (the caller's job retries).
    """
    to_hash = tokens.address_hash(rt.settings, out.to)
    async with session_scope(rt.sessions) as session:
        existing = await get_log(session, out.key)
        if existing is not None and existing.status not in _UNSENT:
            return Outcome("duplicate", log_id=existing.id)
        if out.category != EmailCategory.TRANSACTIONAL and await is_suppressed(session, to_hash):
            log.info("mail_suppressed", template=out.template)
            return Outcome("skipped")
        # Check and claim in one locked transaction: mails sent at once cannot all see room.
        await claim_lock(session)
        now = utcnow()
        if existing is not None:
            held = _lease_left(await get_log(session, out.key, fresh=True), now)
            if held:
                # Another run is handing this very mail over: come back once it is settled.
                log.info("mail_claimed_elsewhere", template=out.template, delay=round(held))
                return Outcome("delayed", delay=held + 1.0)
        delay = await limit_delay(
            session, rt, to_hash, out.category or EmailCategory.BULK, now, key=out.key
        )
        if delay:
            log.info("mail_rate_limited", template=out.template, delay=round(delay))
            return Outcome("delayed", delay=delay)
        row = await _claim(session, rt, out, to_hash, new=existing is None)
        if row is None:
            return Outcome("duplicate")
        row.status = EmailStatus.QUEUED.value
        row.attempts += 1
        row.claimed_until = now + CLAIM_LEASE
        log_id = row.id
        message, links = _message(rt, out, row)
        row.subject = message.subject[:300]
        row.links = links
    return await _hand_over(rt, message, log_id, to_hash)


async def _hand_over(rt: Runtime, message: MailMessage, log_id: uuid.UUID, to_hash: str) -> Outcome:
    try:
        message_id = await rt.mailer.send(message)
    except MailRejected as exc:
        await _settle(rt, log_id, EmailStatus.BOUNCED, error=str(exc)[:2000])
        async with session_scope(rt.sessions) as session:
            await suppress(session, to_hash, "bounce", str(exc)[:2000])
        return Outcome("skipped", log_id=log_id)
    except Exception as exc:
        await _settle(rt, log_id, EmailStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    await _settle(rt, log_id, EmailStatus.SENT, message_id=message_id, sent_at=utcnow(), error=None)
    log.info("mail_logged", log_id=str(log_id), message_id=message_id)
    return Outcome("sent", log_id=log_id)


def scope_of(template: str) -> str | None:
    """The unsubscribe scope of a template sent on its own (None: transactional)."""
    spec = catalog.get(template)
    if spec is None or spec.category == EmailCategory.TRANSACTIONAL:
        return None
    if spec.category == EmailCategory.DIGEST:
        return "digest"
    for type_, name in catalog.NOTIFICATION_TEMPLATES.items():
        if name == template:
            return type_.value
    return "notifications"


async def wants_mail(session: AsyncSession, user_id: uuid.UUID, scope: str | None) -> bool:
    """Whether the user still wants mail of `scope` (transactional mail is always wanted)."""
    if scope is None:
        return True
    prefs = await preferences.get_preferences(session, user_id)
    if scope == "digest":
        return prefs.digest != "off"
    if scope in NotificationType.__members__:
        return prefs.channels[NotificationType(scope)][preferences.Channel.EMAIL]
    return any(chans[preferences.Channel.EMAIL] for chans in prefs.channels.values())


async def send_to_user(
    rt: Runtime, user_id: uuid.UUID, template: str, context: dict[str, Any], key: str
) -> Outcome:
    """Send `template` to a member, with their name and accent, if they still want it."""
    scope = scope_of(template)
    async with rt.sessions() as session:
        who = await recipient(session, user_id)
        if who is None or (scope is not None and not who.verified):
            return Outcome("skipped")
        if not await wants_mail(session, user_id, scope):
            return Outcome("skipped")
    full = {"user": {"name": who.name, "username": who.username}, "accent": who.accent, **context}
    return await deliver(rt, Outgoing(who.email, template, full, key, user_id=user_id, scope=scope))


async def resend_unsent(rt: Runtime, user_id: uuid.UUID, category: EmailCategory) -> int:
    """Send again the user's mails of `category` still queued or failed (a retried job after
    an outage): they were rendered from stored context, so nothing is lost."""
    since = utcnow() - RESEND_WINDOW
    async with rt.sessions() as session:
        rows = await repository.unsent(session, user_id, category, _UNSENT, since)
        who = await recipient(session, user_id)
    if who is None:
        return 0
    sent = 0
    for row in rows:
        out = Outgoing(
            who.email,
            row.template,
            row.context,
            row.idempotency_key,
            user_id=user_id,
            category=EmailCategory(row.category),
            scope=row.context.get("_scope") or scope_of(row.template),
        )
        outcome = await deliver(rt, out)
        sent += outcome.status == "sent"
    return sent


# --- tracking -------------------------------------------------------------------------------


async def _tracked_log(session: AsyncSession, rt: Runtime, signed: str) -> EmailLog | None:
    try:
        tracking_id = tokens.read_tracking(rt.settings, signed)
    except tokens.InvalidToken:
        return None
    return await repository.log_by_tracking(session, tracking_id)


def event_fields(row: EmailLog) -> dict[str, Any]:
    """The fields every email event carries."""
    return {
        "log_id": row.id,
        "template": row.template,
        "category": row.category,
        "user_id": row.user_id,
    }


async def record_open(session: AsyncSession, rt: Runtime, signed: str) -> bool:
    """Note the first open of a tracked mail; False when the id is not a valid one."""
    row = await _tracked_log(session, rt, signed)
    if row is None:
        return False
    if row.opened_at is None:
        row.opened_at = utcnow()
        await session.flush()
        events.publish(session, EmailOpened(**event_fields(row)))
    return True


async def record_click(session: AsyncSession, rt: Runtime, signed: str, index: int) -> str | None:
    """The link `index` of a tracked mail, noting the click; None for anything else, so the
    redirect can only lead to a link that was in the mail."""
    row = await _tracked_log(session, rt, signed)
    if row is None or not 0 <= index < len(row.links or []):
        return None
    url = row.links[index]
    now = utcnow()
    if row.opened_at is None:
        row.opened_at = now
    if row.clicked_at is None:
        row.clicked_at = now
    await session.flush()
    events.publish(session, EmailClicked(**event_fields(row), url=url, link=index))
    return url


# --- unsubscribe ----------------------------------------------------------------------------


async def unsubscribe(session: AsyncSession, user_id: uuid.UUID, scope: str) -> None:
    """Switch off the mail `scope` names: one type, every notification, the digest, or all."""
    if scope in NotificationType.__members__:
        await preferences.set_channel(session, user_id, NotificationType(scope), "email", False)
        return
    if scope in ("notifications", "all"):
        await preferences.set_channel(session, user_id, None, "email", False)
    if scope in ("digest", "all"):
        await preferences.set_digest(session, user_id, "off")


async def update_email_preferences(
    session: AsyncSession, user_id: uuid.UUID, digest: str, enabled: set[NotificationType]
) -> None:
    """Set the digest frequency and, for every type, whether it comes by mail."""
    await preferences.set_digest(session, user_id, digest)  # type: ignore[arg-type]
    for type_ in NotificationType:
        await preferences.set_channel(session, user_id, type_, "email", type_ in enabled)


# --- the support view ---------------------------------------------------------------------


async def list_log(
    session: AsyncSession,
    rt: Runtime,
    *,
    user_id: uuid.UUID | None,
    address: str | None,
    status: str | None,
    template: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[EmailLog], str | None]:
    """One page of the log, newest first, filtered by member, address, status or template."""
    return await repository.log_page(
        session,
        user_id=user_id,
        to_hash=tokens.address_hash(rt.settings, address) if address else None,
        status=status,
        template=template,
        cursor=cursor,
        limit=limit,
    )


async def purge_log(session: AsyncSession, *, days: int, now: datetime | None = None) -> int:
    """Delete log rows older than `days` (their notification marks go with them)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return await repository.purge_before(session, cutoff)
