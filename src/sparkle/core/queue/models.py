"""The job outbox: a job enqueued in a transaction is a row of that transaction, handed to the
broker after commit (DESIGN §7a). A rollback leaves no row, so no job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class JobOutbox(UUIDPrimaryKey, Base):
    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_sent_at_created_at", "sent_at", "created_at"),)

    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    key: Mapped[str | None] = mapped_column(String(200))
    run_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
