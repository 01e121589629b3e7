"""Outgoing mail: Jinja2 templates rendered to text + HTML and handed to one transport.

Two transports, chosen by `SMTP_URL`: an outbox directory (embedded mode; one `.eml` per
message, browsed at `/dev/mail`) and SMTP through aiosmtplib with an optional backup server
(distributed mode). `SMTP_URL` holds the primary URL and `SMTP_BACKUP_URL` the backup; the
older form, the primary followed by a comma and the backup in `SMTP_URL`
(`smtp+starttls://user:pass@mail.example.com:587,smtps://relay.example.net`), still works.
Credentials are percent-decoded, so a comma or `@` in a password is written `%2C` / `%40`.
The backup takes over when the primary cannot be reached or answers with an error; a
permanent refusal of the recipient (5xx to RCPT) is final and raises `MailRejected`, since
the backup would refuse the same address.

Each template `email/<name>` is a pair: `<name>.txt` (plain text; it also defines the subject
in `{% block subject %}`, so the subject is plain text and never HTML-escaped) and
`<name>.html` (extends `email/base.html`, autoescaped). Both get the caller's context plus
`base_url`, `year` and `subject`.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import jinja2
import structlog

if TYPE_CHECKING:
    from sparkle.core.config import Settings

log = structlog.get_logger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
SMTP_TIMEOUT = 10.0

_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ACCENT = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_ACCENT = "#8B5CF6"
_OUTBOX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.eml$")


class MailError(RuntimeError):
    """A message could not be rendered or delivered."""


class MailDeliveryError(MailError):
    """Every configured transport endpoint refused or failed to take the message."""


class MailRejected(MailError):
    """The server refused the recipient for good (5xx): retrying or failing over cannot help."""


@dataclass
class MailMessage:
    to: str
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None


class RenderedMail(NamedTuple):
    subject: str
    html: str
    text: str


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    """The RFC 5322 form of `message`: multipart/alternative, text first, then HTML."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message.message_id or make_msgid(domain=_domain_of(sender))
    for name, value in message.headers.items():
        msg[name] = value
    msg.set_content(message.text)
    msg.add_alternative(message.html, subtype="html")
    return msg


def _domain_of(address: str) -> str:
    _, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "sparkle.local"


# --- transports -------------------------------------------------------------------------


class Transport(Protocol):
    """Where rendered messages go. `deliver` raises when the message was not taken."""

    name: str

    async def deliver(self, message: EmailMessage) -> None: ...


class OutboxTransport:
    """Writes each message as `<UTC timestamp>-<uuid>.eml` in a directory (embedded mode)."""

    name = "outbox"

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    async def deliver(self, message: EmailMessage) -> None:
        path = await asyncio.to_thread(self.write, message)
        log.info("mail_written", path=str(path), message_id=message["Message-ID"])

    def write(self, message: EmailMessage) -> Path:
        """Write `message` atomically; readers never see a partial file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{uuid.uuid4().hex}.eml"
        tmp = self.directory / f".{name}.tmp"
        final = self.directory / name
        try:
            tmp.write_bytes(message.as_bytes(policy=policy.SMTP))
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final


@dataclass(frozen=True)
class SmtpEndpoint:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool = False

    def __str__(self) -> str:
        scheme = "smtps" if self.use_tls else "smtp+starttls" if self.start_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.hostname}:{self.port}"


_SCHEMES = {
    # scheme: (default port, implicit TLS, STARTTLS required)
    "smtp": (25, False, False),
    "smtps": (465, True, False),
    "smtp+starttls": (587, False, True),
}


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """Parse `smtp://`, `smtps://` (implicit TLS) or `smtp+starttls://` into an endpoint.

    Plain `smtp://` never upgrades the connection: it is meant for a relay on a trusted
    network; use `smtp+starttls://` to require STARTTLS.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"unsupported SMTP URL scheme {parts.scheme!r} (smtp, smtps, smtp+starttls)"
        )
    if not parts.hostname:
        raise ValueError("SMTP URL has no host")
    default_port, use_tls, start_tls = _SCHEMES[scheme]
    return SmtpEndpoint(
        hostname=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class SmtpTransport:
    """Sends through an SMTP server, falling back to a backup server when the primary fails."""

    name = "smtp"

    def __init__(
        self,
        url: str,
        backup_url: str | None = None,
        *,
        timeout: float = SMTP_TIMEOUT,
        validate_certs: bool = True,
    ) -> None:
        self.endpoints = [parse_smtp_url(url)]
        if backup_url:
            self.endpoints.append(parse_smtp_url(backup_url))
        self.timeout = timeout
        self.validate_certs = validate_certs

    @classmethod
    def from_setting(cls, value: str, **kwargs: Any) -> SmtpTransport:
        """Build from `SMTP_URL`: `primary` or `primary,backup`."""
        urls = [part.strip() for part in value.split(",") if part.strip()]
        if not 1 <= len(urls) <= 2:
            raise ValueError("SMTP_URL takes a primary URL and at most one backup URL")
        return cls(urls[0], urls[1] if len(urls) == 2 else None, **kwargs)

    async def deliver(self, message: EmailMessage) -> None:
        last: Exception | None = None
        sender = _envelope_sender(message)
        for index, endpoint in enumerate(self.endpoints):
            try:
                await aiosmtplib.send(
                    message,
                    sender=sender,
                    hostname=endpoint.hostname,
                    port=endpoint.port,
                    username=endpoint.username,
                    password=endpoint.password,
                    use_tls=endpoint.use_tls,
                    start_tls=endpoint.start_tls,
                    timeout=self.timeout,
                    validate_certs=self.validate_certs,
                )
            except aiosmtplib.SMTPRecipientsRefused as exc:
                if exc.recipients and all(r.code >= 500 for r in exc.recipients):
                    log.warning("smtp_recipient_rejected", endpoint=str(endpoint))
                    raise MailRejected(
                        "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
                    ) from exc
                last = exc
                log.warning("smtp_send_failed", endpoint=str(endpoint), error=str(exc))
                continue
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                last = exc
                log.warning(
                    "smtp_send_failed",
                    endpoint=str(endpoint),
                    role="primary" if index == 0 else "backup",
                    error=f"{type(exc).__name__}: {exc}",
                )
                continue
            log.info("mail_sent", endpoint=str(endpoint), message_id=message["Message-ID"])
            return
        raise MailDeliveryError(f"no SMTP server took the message: {last}") from last


def _envelope_sender(message: EmailMessage) -> str | None:
    """The MAIL FROM a message asks for in its Return-Path header (None: from its From).

    The header is taken out: the final delivery writes Return-Path from the envelope.
    """
    value = message.get("Return-Path")
    if value is None:
        return None
    del message["Return-Path"]
    return parseaddr(str(value))[1] or None


# --- templates --------------------------------------------------------------------------


def _hours(value: float | str) -> str:
    """`24` -> "24 hours", `1` -> "1 hour", `0.5` -> "30 minutes"."""
    hours = float(value)
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    shown = int(hours) if hours.is_integer() else hours
    return f"{shown} hour{'' if shown == 1 else 's'}"


def _environment() -> jinja2.Environment:
    # StrictUndefined: a missing link must fail the job, not send a mail without one.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["hours"] = _hours
    return env


_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = _environment()
    return _env


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


# --- the service ------------------------------------------------------------------------


class Mailer:
    """Renders templates and sends messages through one transport."""

    def __init__(
        self,
        transport: Transport,
        *,
        sender: str = "Sparkle Universe <no-reply@sparkle.local>",
        base_url: str = "http://127.0.0.1:8000",
    ) -> None:
        self.transport = transport
        self.sender = sender
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        """SMTP when `SMTP_URL` is set, otherwise the outbox directory under the data dir."""
        transport: Transport
        if settings.smtp_url:
            transport = SmtpTransport.from_setting(settings.smtp_url)
            if settings.smtp_backup_url:
                if len(transport.endpoints) > 1:
                    raise ValueError("SMTP_URL already names a backup; unset SMTP_BACKUP_URL")
                transport.endpoints.append(parse_smtp_url(settings.smtp_backup_url))
        else:
            transport = OutboxTransport(settings.mail_dir)
        return cls(transport, sender=settings.mail_from, base_url=settings.base_url)

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedMail:
        """Render `email/<template>.txt` and `.html`; the subject comes from the text one."""
        if not _TEMPLATE_NAME.match(template):
            raise MailError(f"invalid mail template name {template!r}")
        env = environment()
        values: dict[str, Any] = {
            "base_url": self.base_url,
            "year": datetime.now(UTC).year,
            **context,
        }
        # The accent colour lands in style attributes: only a plain #rrggbb is let through.
        if not _ACCENT.match(str(values.get("accent") or "")):
            values["accent"] = DEFAULT_ACCENT
        try:
            text_template = env.get_template(f"email/{template}.txt")
            html_template = env.get_template(f"email/{template}.html")
        except jinja2.TemplateNotFound as exc:
            raise MailError(f"unknown mail template {template!r}") from exc
        if "subject" not in text_template.blocks:
            raise MailError(f"mail template {template!r} defines no subject block")
        try:
            block = text_template.blocks["subject"](text_template.new_context(values))
            subject = " ".join("".join(block).split())
            values["subject"] = subject
            return RenderedMail(
                subject=subject,
                html=html_template.render(values),
                text=_tidy_text(text_template.render(values)),
            )
        except jinja2.UndefinedError as exc:
            raise MailError(f"mail template {template!r}: {exc.message}") from exc

    async def send(self, message: MailMessage) -> str:
        """Deliver `message`; returns its Message-ID."""
        email = build_email(message, self.sender)
        await self.transport.deliver(email)
        return str(email["Message-ID"])

    async def send_template(self, to: str, template: str, context: Mapping[str, Any]) -> str:
        """Render `template` with `context` and send it to `to`; returns the Message-ID."""
        rendered = self.render(template, context)
        message = MailMessage(
            to=to,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            headers={"Auto-Submitted": "auto-generated", "X-Sparkle-Template": template},
        )
        message_id = await self.send(message)
        log.info(
            "mail_delivered",
            template=template,
            message_id=message_id,
            transport=self.transport.name,
        )
        return message_id


# --- outbox reading (dev viewer, tests) -------------------------------------------------


@dataclass
class OutboxMail:
    name: str
    message_id: str
    subject: str
    to: str
    sender: str
    date: datetime | None
    text: str
    html: str
    headers: list[tuple[str, str]]

    @property
    def links(self) -> list[str]:
        """The http(s) links standing on their own line in the text part."""
        return [
            line.strip()
            for line in self.text.splitlines()
            if re.match(r"^\s*https?://\S+\s*$", line)
        ]


def outbox_path(directory: Path | str, name: str) -> Path | None:
    """The file for outbox message `name`, or None when absent or not a plain outbox name."""
    if not _OUTBOX_NAME.match(name):
        return None
    root = Path(directory).resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        return None
    return path


def read_outbox(directory: Path | str, name: str) -> OutboxMail | None:
    """Parse one outbox message; None when it does not exist or `name` is not safe."""
    path = outbox_path(directory, name)
    if path is None:
        return None
    return _parse(path)


def list_outbox(directory: Path | str, limit: int | None = 200) -> list[OutboxMail]:
    """Parsed outbox messages, newest first."""
    root = Path(directory)
    if not root.is_dir():
        return []
    names = sorted((p.name for p in root.iterdir() if _OUTBOX_NAME.match(p.name)), reverse=True)
    if limit is not None:
        names = names[:limit]
    out = []
    for name in names:
        try:
            out.append(_parse(root / name))
        except OSError:  # removed while listing
            continue
    return out


def _parse(path: Path) -> OutboxMail:
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    date = msg["Date"]
    return OutboxMail(
        name=path.name,
        message_id=str(msg["Message-ID"] or ""),
        subject=str(msg["Subject"] or ""),
        to=str(msg["To"] or ""),
        sender=str(msg["From"] or ""),
        date=date.datetime if date is not None and hasattr(date, "datetime") else None,
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else "",
        headers=[(k, str(v)) for k, v in msg.items()],
    )


__all__ = [
    "MailDeliveryError",
    "MailError",
    "MailMessage",
    "MailRejected",
    "Mailer",
    "OutboxMail",
    "OutboxTransport",
    "RenderedMail",
    "SmtpEndpoint",
    "SmtpTransport",
    "Transport",
    "build_email",
    "list_outbox",
    "outbox_path",
    "parse_smtp_url",
    "read_outbox",
]
