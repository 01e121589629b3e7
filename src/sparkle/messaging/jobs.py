"""Messaging jobs: the DIRECT_MESSAGE notifications of a burst of messages, created after the
sender's acknowledgement so a send costs only the message itself. Idempotent."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope
from sparkle.messaging import service


class NotifyPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message_id: uuid.UUID = Field(alias="messageId")


@jobs.job(service.NOTIFY_JOB, queue="notification", payload=NotifyPayload)
async def notify(payload: NotifyPayload) -> None:
    """Notify the other participants of the message and those sent after it."""
    async with session_scope(runtime.get().sessions, write=True) as session:
        await service.notify_recipients(session, payload.message_id)
