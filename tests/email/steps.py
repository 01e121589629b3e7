"""Shared steps of the email tests: run a job, read the log and the outbox, add notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.core.mail import OutboxMail, list_outbox
from sparkle.email.models import EmailLog
from sparkle.notifications.models import Notification, NotificationType


async def run(name: str, payload: dict[str, Any]) -> None:
    """Run job `name` now, the way the runner does (validated payload; inline: raises)."""
    await jobs.dispatch(name, payload)


def outbox(rt: runtime.Runtime) -> list[OutboxMail]:
    """The outbox, oldest first."""
    return list(reversed(list_outbox(rt.settings.mail_dir)))


async def logs(rt: runtime.Runtime) -> list[EmailLog]:
    async with rt.sessions() as session:
        return list((await session.scalars(select(EmailLog).order_by(EmailLog.created_at))).all())


async def add_notification(
    rt: runtime.Runtime,
    user_id: uuid.UUID,
    type: NotificationType = NotificationType.POST_LIKED,
    *,
    actor_id: uuid.UUID | None = None,
    title: str = "Ana liked your post",
    content: str | None = "My first post",
    data: dict[str, Any] | None = None,
    read: bool = False,
    created_at: datetime | None = None,
    actor_count: int = 1,
) -> Notification:
    async with session_scope(rt.sessions) as session:
        row = Notification(
            user_id=user_id,
            type=type.value,
            actor_ids=[str(actor_id)] if actor_id else [],
            actor_count=actor_count,
            recent_actors={},
            title=title,
            content=content,
            data=data or {},
            read=read,
            read_at=utcnow() if read else None,
            created_at=created_at or utcnow(),
        )
        session.add(row)
    return row


def payload_of(name: str) -> list[dict[str, Any]]:
    """The payloads of job `name` waiting in the runner's delayed list."""
    return [d.payload for d in jobs.runner.delayed if d.name == name]


def delay_of(name: str) -> float:
    [item] = [d for d in jobs.runner.delayed if d.name == name]
    return item.due - jobs.runner.now()
