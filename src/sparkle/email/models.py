"""What the email service sent (the log support reads), suppressed addresses, and which
notifications already went out by mail."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"
    # Sent, then a soft bounce came back (the receiving side gave up for now, 4.x.x).
    DEFERRED = "deferred"


class EmailCategory(enum.StrEnum):
    """Transactional mail (sign-up, password) is always sent and never carries unsubscribe
    headers; every other category does and counts against the per-recipient daily limit."""

    TRANSACTIONAL = "transactional"
    NOTIFICATION = "notification"
    DIGEST = "digest"
    BULK = "bulk"


class EmailLog(UUIDPrimaryKey, Base):
    """One outgoing message.

    The address is kept only as `to_hash`, an HMAC-SHA256 of the lower-cased address under the
    secret key: support can still find the mails sent to an address they are given (hash it and
    look it up), the per-recipient limit can count, but the log, which outlives address changes
    and deleted accounts, holds no readable address. `context` is what the templates were
    rendered with (never the address), so a failed mail can be sent again as it was.
    """

    __tablename__ = "email_log"
    __table_args__ = (
        Index("ix_email_log_status_sent_at", "status", "sent_at"),
        Index("ix_email_log_to_hash_sent_at", "to_hash", "sent_at"),
        Index("ix_email_log_user_created", "user_id", "created_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_hash: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.QUEUED.value)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # While `queued`: the run handing the mail over owns it until then. A second run of the
    # same mail waits for the lease instead of sending it twice; a crashed run's lease expires.
    claimed_until: Mapped[datetime | None]
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The links of the HTML part, in order: a click redirect may only lead to one of them.
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tracking_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]


class EmailSuppression(Base):
    """An address (as its HMAC) that permanently refused mail: only transactional mail is
    still attempted, so a wrong address can be fixed through a password reset."""

    __tablename__ = "email_suppressions"

    to_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailedNotification(Base):
    """A notification that went out by mail (batched or alone): it is never mailed again."""

    __tablename__ = "email_notification_log"

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    email_log_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_log.id", ondelete="CASCADE"), index=True
    )
    emailed_at: Mapped[datetime] = mapped_column(default=utcnow)
