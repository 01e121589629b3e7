"""Who may see and steer a party, and the playback state every reader extrapolates to now."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.social import service as social_service
from sparkle.watchparties import repository
from sparkle.watchparties.errors import PartyEnded, PartyForbidden, PartyNotFound
from sparkle.watchparties.events import WatchPartyUpdated
from sparkle.watchparties.models import (
    PartyRole,
    PartyStatus,
    PlaybackStatus,
    Visibility,
    WatchParty,
    WatchPartyParticipant,
)
from sparkle.watchparties.schemas import PlaybackState

REMIND_BEFORE = timedelta(minutes=15)
EMPTY_GRACE = 600  # seconds with nobody present before a live party ends
REMIND_JOB = "watchparties.remind"
CLOSE_JOB = "watchparties.close_if_empty"
CONTROLLERS = (PartyRole.HOST.value, PartyRole.COHOST.value)


def is_staff(user: User | None) -> bool:
    return user is not None and user.role in (Role.ADMIN, Role.MODERATOR)


def position_at(party: WatchParty, now: datetime) -> float:
    """Where the video is at `now`, from the last state the host set."""
    if party.playback_status != PlaybackStatus.PLAYING.value:
        return party.position_seconds
    elapsed = max(0.0, (now - party.state_updated_at).total_seconds())
    return party.position_seconds + elapsed * party.playback_rate


def state_of(party: WatchParty, now: datetime | None = None) -> PlaybackState:
    now = now or utcnow()
    return PlaybackState(
        video_id=party.video_id,
        status=party.playback_status,
        position_seconds=round(position_at(party, now), 3),
        playback_rate=party.playback_rate,
        updated_at=party.state_updated_at,
        server_time=now,
        queue=list(party.queue or []),
    )


async def may_see(session: AsyncSession, viewer: User | None, party: WatchParty) -> bool:
    if party.visibility == Visibility.PUBLIC.value or is_staff(viewer):
        return True
    if viewer is None:
        return False
    if (
        viewer.id == party.host_id
        or await repository.participant(session, party.id, viewer.id) is not None
    ):
        return True
    if party.visibility == Visibility.FOLLOWERS.value:
        return await social_service.is_following(session, viewer.id, party.host_id)
    return False


async def access(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID, *, lock: bool = False
) -> WatchParty:
    """The party if `viewer` may see it; 404 otherwise, like a missing one."""
    party = await repository.get(session, party_id, lock=lock)
    if party is None or not await may_see(session, viewer, party):
        raise PartyNotFound()
    return party


async def may_join_room(session: AsyncSession, user: User, party_id: uuid.UUID) -> bool:
    try:
        party = await access(session, user, party_id)
    except PartyNotFound:
        return False
    return party.status != PartyStatus.ENDED.value


async def controller(
    session: AsyncSession, user: User, party: WatchParty
) -> WatchPartyParticipant | None:
    """The host's or a co-host's participation; PartyForbidden for anyone else."""
    part = await repository.participant(session, party.id, user.id)
    if party.host_id == user.id or (part is not None and part.role in CONTROLLERS):
        return part
    raise PartyForbidden()


def ensure_open(party: WatchParty) -> None:
    if party.status == PartyStatus.ENDED.value:
        raise PartyEnded()


def publish(session: AsyncSession, party: WatchParty, update_payload: dict[str, Any]) -> None:
    events.publish(session, WatchPartyUpdated(party_id=party.id, update=update_payload))
