"""The host-owned playback state: play, pause, seek, rate, and the video queue."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import utcnow
from sparkle.core.errors import ValidationFailed
from sparkle.watchparties.models import PartyStatus, PlaybackStatus
from sparkle.watchparties.schemas import PlaybackState, StateUpdate
from sparkle.watchparties.service.access import (
    access,
    controller,
    ensure_open,
    position_at,
    publish,
    state_of,
)


async def set_state(
    session: AsyncSession, actor: User, party_id: uuid.UUID, data: StateUpdate
) -> PlaybackState:
    """Host and co-hosts play, pause, seek, change rate, switch or queue videos."""
    party = await access(session, actor, party_id, lock=True)
    ensure_open(party)
    await controller(session, actor, party)
    now = utcnow()
    position = position_at(party, now)
    fields = data.model_fields_set
    if data.queue is not None:
        party.queue = list(data.queue)
    if data.video_id is not None and data.video_id != party.video_id:
        party.video_id, position = data.video_id, 0.0
    if data.advance:
        queue = list(party.queue or [])
        if not queue:
            raise ValidationFailed("The queue is empty", fields={"advance": "Nothing queued"})
        party.video_id, party.queue, position = queue[0], queue[1:], 0.0
        party.playback_status = PlaybackStatus.PLAYING.value
    if data.position_seconds is not None:
        position = data.position_seconds
    if data.playback_rate is not None:
        party.playback_rate = data.playback_rate
    if data.status is not None:
        party.playback_status = data.status
    if not fields:
        raise ValidationFailed("Nothing to change", fields={"state": "Send at least one field"})
    party.position_seconds, party.state_updated_at = position, now
    if (
        party.status == PartyStatus.SCHEDULED.value
        and party.playback_status == PlaybackStatus.PLAYING.value
    ):
        party.status, party.started_at = PartyStatus.LIVE.value, now
    await session.flush()
    state = state_of(party, now)
    publish(
        session, party, {"type": "state", "state": state.model_dump(mode="json", by_alias=True)}
    )
    return state
