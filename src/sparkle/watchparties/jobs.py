"""Watch party jobs: the EVENT_REMINDER 15 minutes before a party and the end of a party
nobody has been in for ten minutes. Both are idempotent."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope
from sparkle.watchparties import service


class RemindPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    party_id: uuid.UUID = Field(alias="partyId")
    scheduled_for: datetime = Field(alias="scheduledFor")


class ClosePayload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    party_id: uuid.UUID = Field(alias="partyId")
    empty_since: datetime = Field(alias="emptySince")


@jobs.job(service.REMIND_JOB, queue="notification", payload=RemindPayload)
async def remind(payload: RemindPayload) -> None:
    """Remind invitees (if the party was not moved or started meanwhile)."""
    async with session_scope(runtime.get().sessions) as session:
        await service.remind(session, payload.party_id, payload.scheduled_for)


@jobs.job(service.CLOSE_JOB, queue="cleanup", payload=ClosePayload)
async def close_if_empty(payload: ClosePayload) -> None:
    """End the party if it is still empty."""
    async with session_scope(runtime.get().sessions) as session:
        await service.close_if_empty(session, payload.party_id, payload.empty_since)
