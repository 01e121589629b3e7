"""Mail that comes back: bounces (RFC 3464 delivery status notifications), complaint reports
(RFC 5965 ARF) and unsubscribe requests sent to the List-Unsubscribe mailto address.

Outgoing mail leaves with the envelope sender `bounces+<token>@<domain>`, where the token
names its `email_log` row (signed, opaque, never the address), and offers
`unsubscribe+<token>@<domain>`, whose token names the member and what to switch off.
`sparkle mail-inbound` runs an SMTP (or LMTP) server that the domain's MX or an MTA's
forwarding alias hands these mails to. It takes mail only for those addresses: anything else,
and any forged or expired token, is refused with 550 at RCPT, before the message is sent.

- A hard bounce (Action failed, Status 5.x.x) marks the row `bounced` and suppresses the
  address for all but transactional mail. A soft one (failed with 4.x.x) marks it `deferred`;
  EMAIL_SOFT_BOUNCE_LIMIT deferred mails sent within EMAIL_SOFT_BOUNCE_DAYS suppress the
  address. `delayed` notices change nothing: the mail is still on its way.
- A complaint (Feedback-Type abuse or fraud) suppresses the address.
- A mail to an unsubscribe address has the effect of the one-click POST of the https link.
- The bare `bounces@` address (a feedback loop's fixed address) takes a report only when the
  reported mail's own headers carry a valid bounce address; the bare `unsubscribe@` address
  (in mails sent before the signed addresses) needs the link's token in the subject.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import parseaddr
from typing import Any, Literal

import structlog
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import events
from sparkle.core.config import Settings
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.email import repository, service, tokens
from sparkle.email.events import EmailBounced, EmailComplained
from sparkle.email.models import EmailLog, EmailStatus

log = structlog.get_logger(__name__)

MAX_RECIPIENTS = 10
_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_COMPLAINTS = frozenset({"abuse", "fraud"})
# Reading the message takes a thread only past this size (the parser is CPU work).
_THREAD_PARSE_BYTES = 256 * 1024

Kind = Literal["bounce", "unsubscribe"]


class Refused(Exception):
    """The message cannot be taken for this recipient (answered with 550)."""


# --- addresses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One of our return addresses: which kind, and what its token names (None: bare)."""

    kind: Kind
    log_id: uuid.UUID | None = None
    unsubscribe: tokens.Unsubscribe | None = None


def parse_recipient(settings: Settings, address: str) -> Recipient | None:
    """Which of our addresses `address` is; None when it is none of them. Raises
    `tokens.InvalidToken` for one of ours whose token is forged, malformed or expired."""
    local, _, domain = parseaddr(address)[1].rpartition("@")
    if not local or domain.lower() != tokens.inbound_domain(settings):
        return None
    base, plus, token = local.lower().partition("+")
    if base == settings.email_bounce_local:
        if not plus:
            return Recipient("bounce")
        return Recipient("bounce", log_id=tokens.read_bounce_token(settings, token))
    if base == settings.email_unsubscribe_local:
        if not plus:
            return Recipient("unsubscribe")
        claims = tokens.read_unsubscribe_address_token(settings, token)
        return Recipient("unsubscribe", unsubscribe=claims)
    return None


# --- reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What a returned mail says: `hard`, `soft` or `delayed` (DSN), `complaint` (ARF), or
    `none` (an auto-reply, a report that changes nothing, or no report at all)."""

    kind: Literal["hard", "soft", "delayed", "complaint", "none"]
    detail: str | None = None
    # The bounce token found in the reported mail's own headers (for the bare address).
    enclosed_log_id: uuid.UUID | None = None


_SEVERITY = {"none": 0, "delayed": 1, "soft": 2, "hard": 3}


def _blocks_from_text(text: str) -> list[Message]:
    parser = HeaderParser()
    return [
        parser.parsestr(block.strip() + "\n")
        for block in re.split(r"\n\s*\n", text)
        if block.strip()
    ]


def _field_blocks(part: Message) -> list[Message]:
    """The header-style blocks of a `message/*-status` or `message/feedback-report` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks: list[Message] = []
        for sub in payload:
            if not isinstance(sub, Message):  # a list payload holds parts, never text
                continue
            blocks.append(sub)
            # Subtypes the parser does not know give one block, the rest left as its body.
            body = sub.get_payload()
            if isinstance(body, str) and body.strip():
                blocks.extend(_blocks_from_text(body))
        return blocks
    if isinstance(payload, str):
        return _blocks_from_text(payload)
    return []


def _delivery_status(part: Message) -> tuple[str, str | None]:
    """The worst outcome among the per-recipient blocks of a delivery-status part."""
    worst, detail = "none", None
    for block in _field_blocks(part):
        action = str(block.get("Action", "")).strip().lower()
        if not action:
            continue
        match = _STATUS.match(str(block.get("Status", "")))
        klass = match.group(1) if match else None
        if action == "failed":
            kind = "hard" if klass == "5" else "soft"
        elif action == "delayed":
            kind = "delayed"
        else:  # delivered, relayed, expanded
            kind = "none"
        if _SEVERITY[kind] > _SEVERITY[worst]:
            worst = kind
            status = str(block.get("Status", "")).strip()
            diagnostic = str(block.get("Diagnostic-Code", "")).strip()
            detail = "; ".join(v for v in (status, diagnostic) if v)[:2000] or None
    return worst, detail


def _enclosed_headers(part: Message) -> Message | None:
    if part.get_content_type() == "text/rfc822-headers":
        raw = part.get_payload(decode=True)
        text = raw if isinstance(raw, bytes) else b""
        return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _enclosed_log_id(settings: Settings, headers: Message | None) -> uuid.UUID | None:
    """The log row named by the reported mail's Return-Path, when it is a valid bounce address."""
    if headers is None:
        return None
    for value in headers.get_all("Return-Path") or []:
        try:
            found = parse_recipient(settings, str(value))
        except tokens.InvalidToken:
            continue
        if found is not None and found.kind == "bounce" and found.log_id is not None:
            return found.log_id
    return None


def read_report(settings: Settings, message: Message) -> Report:
    """Read a returned mail: a DSN's worst per-recipient outcome or an ARF complaint."""
    worst, detail, enclosed = "none", None, None
    complaint: str | None = None
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            kind, found = _delivery_status(part)
            if _SEVERITY[kind] > _SEVERITY[worst]:
                worst, detail = kind, found
        elif ctype == "message/feedback-report":
            blocks = _field_blocks(part)
            feedback = str(blocks[0].get("Feedback-Type", "")).strip().lower() if blocks else ""
            if feedback in _COMPLAINTS:
                complaint = f"feedback-type {feedback}"
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/global-headers"):
            enclosed = enclosed or _enclosed_log_id(settings, _enclosed_headers(part))
    if complaint is not None:
        return Report("complaint", complaint, enclosed)
    return Report(worst, detail, enclosed)  # type: ignore[arg-type]


# --- effects --------------------------------------------------------------------------------


async def record_report(
    session: AsyncSession, rt: Runtime, log_id: uuid.UUID, report: Report
) -> str:
    """Apply `report` about the mail logged as `log_id`; what was done."""
    row = await repository.log(session, log_id)
    if row is None:  # purged: nothing left to name the address by
        return "unknown-mail"
    if report.kind == "hard":
        row.status = EmailStatus.BOUNCED.value
        row.error = report.detail
        await service.suppress(session, row.to_hash, "bounce", report.detail)
        events.publish(session, EmailBounced(**service.event_fields(row), kind="hard"))
        return "suppressed"
    if report.kind == "complaint":
        await service.suppress(session, row.to_hash, "complaint", report.detail)
        events.publish(session, EmailComplained(**service.event_fields(row), kind="complaint"))
        return "suppressed"
    if report.kind == "soft":
        return await _soft_bounce(session, rt, row, report.detail)
    return "ignored"


async def _soft_bounce(
    session: AsyncSession, rt: Runtime, row: EmailLog, detail: str | None
) -> str:
    """Mark the mail deferred; enough deferred mails to the address in the window suppress it.
    Each mail counts once, however many notices come back for it."""
    if row.status == EmailStatus.BOUNCED.value:
        return "ignored"
    if row.status != EmailStatus.DEFERRED.value:
        row.status = EmailStatus.DEFERRED.value
        row.error = detail
        events.publish(session, EmailBounced(**service.event_fields(row), kind="soft"))
    await session.flush()
    settings = rt.settings
    since = utcnow() - timedelta(days=settings.email_soft_bounce_days)
    count = await repository.deferred_count(session, row.to_hash, since)
    if count < settings.email_soft_bounce_limit:
        return "counted"
    note = f"{count} soft bounces in {settings.email_soft_bounce_days} days; last: {detail}"
    await service.suppress(session, row.to_hash, "soft-bounce", note[:2000])
    return "suppressed"


async def apply_unsubscribe(session: AsyncSession, claims: tokens.Unsubscribe) -> str:
    """What the one-click POST does: switch off the mail the token names."""
    if await repository.live_user(session, claims.user_id) is None:
        raise Refused("unknown member")
    await service.unsubscribe(session, claims.user_id, claims.scope)
    return "unsubscribed"


def _subject_token(settings: Settings, message: Message) -> tokens.Unsubscribe:
    """The link token in the subject ("unsubscribe <token>") of a mail to the bare address."""
    words = str(message.get("Subject", "")).split()
    for word in reversed(words):
        if len(word) > 20:
            try:
                return tokens.read_unsubscribe(settings, word)
            except tokens.InvalidToken:
                continue
    raise Refused("no valid unsubscribe token")


async def process(rt: Runtime, recipient: Recipient, message: Message) -> str:
    """Apply one received mail for one of our addresses, in a transaction of its own; what
    was done. Raises Refused when the mail cannot be taken."""
    settings = rt.settings
    async with session_scope(rt.sessions) as session:
        if recipient.kind == "unsubscribe":
            claims = recipient.unsubscribe or _subject_token(settings, message)
            return await apply_unsubscribe(session, claims)
        report = read_report(settings, message)
        log_id = recipient.log_id or report.enclosed_log_id
        if log_id is None:
            raise Refused("the report names no mail of ours")
        return await record_report(session, rt, log_id, report)


# --- the server -----------------------------------------------------------------------------


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()[:255]


class InboundHandler:
    """aiosmtpd handler: recipients are checked at RCPT, the message applied at DATA.

    Over LMTP the answer to DATA is one status line per accepted recipient (RFC 2033), in
    the order they were given; over SMTP it is one line for the message.
    """

    def __init__(self, rt: Runtime, *, lmtp: bool = False) -> None:
        self.rt = rt
        self.lmtp = lmtp

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            recipient = parse_recipient(self.rt.settings, address)
        except tokens.InvalidToken as exc:
            log.warning("mail_inbound_refused", reason=str(exc), peer=_peer(session))
            return "550 5.7.1 Invalid or expired address"
        if recipient is None:
            log.info(
                "mail_inbound_refused",
                reason="unknown recipient",
                domain=_domain(address),
                peer=_peer(session),
            )
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            message = await _parse(raw)
        except Exception:
            log.exception("mail_inbound_unreadable", peer=_peer(session))
            message = None
        replies = [await self._deliver(address, message, session) for address in envelope.rcpt_tos]
        if not replies:
            return "503 5.5.1 No valid recipients"
        log.info("mail_inbound_received", replies=replies, bytes=len(raw), peer=_peer(session))
        if self.lmtp:
            return "\r\n".join(replies)
        if any(r.startswith("250") for r in replies):
            return "250 2.0.0 OK"
        return next((r for r in replies if r.startswith("4")), replies[0])

    async def _deliver(self, address: str, message: EmailMessage | None, session: Any) -> str:
        """The status line for one recipient; never raises."""
        try:
            recipient = parse_recipient(self.rt.settings, address)
            if recipient is None:
                raise Refused("no such recipient here")
            if message is None:
                raise Refused("unreadable message")
            outcome = await process(self.rt, recipient, message)
        except (Refused, tokens.InvalidToken) as exc:
            log.warning("mail_inbound_refused", reason=str(exc), peer=_peer(session))
            return f"550 5.7.1 {str(exc).capitalize()}"
        except Exception:
            log.exception("mail_inbound_failed", peer=_peer(session))
            return "451 4.3.0 Temporary failure, try again later"
        log.info("mail_inbound_applied", kind=recipient.kind, outcome=outcome)
        return f"250 2.0.0 OK {outcome}"


def _peer(session: Any) -> str | None:
    peer = getattr(session, "peer", None)
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


async def _parse(raw: bytes) -> EmailMessage:
    def parse() -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(raw)

    if len(raw) > _THREAD_PARSE_BYTES:
        return await asyncio.to_thread(parse)
    return parse()


async def start_server(rt: Runtime, host: str, port: int, *, lmtp: bool = False) -> asyncio.Server:
    """Listen for inbound mail on `host:port` (SMTP, or LMTP for a local MTA) on this loop."""
    handler = InboundHandler(rt, lmtp=lmtp)
    protocol = LMTP if lmtp else SMTP
    domain = tokens.inbound_domain(rt.settings)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: protocol(
            handler,
            data_size_limit=rt.settings.email_inbound_max_bytes,
            enable_SMTPUTF8=True,
            hostname=domain,
            ident="Sparkle inbound mail",
            timeout=60,
        ),
        host=host,
        port=port,
    )
