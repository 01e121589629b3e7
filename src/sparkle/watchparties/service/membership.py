"""Being present in a party (REST and sockets alike), host hand-over when the host leaves, and
ending a party left empty."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.social import service as social_service
from sparkle.watchparties import repository
from sparkle.watchparties.errors import PartyFull, PartyNotFound
from sparkle.watchparties.models import (
    PartyRole,
    PartyStatus,
    Visibility,
    WatchParty,
    WatchPartyParticipant,
)
from sparkle.watchparties.service.access import (
    CLOSE_JOB,
    EMPTY_GRACE,
    access,
    ensure_open,
    is_staff,
    may_see,
    publish,
)
from sparkle.watchparties.service.parties import end


async def join(
    session: AsyncSession, user: User, party_id: uuid.UUID, *, socket: bool = False
) -> WatchParty:
    """Be present in the party (a socket counts each connection; REST joins once)."""
    party = await access(session, user, party_id, lock=True)
    ensure_open(party)
    if (
        party.visibility == Visibility.INVITE.value
        and party.host_id != user.id
        and not is_staff(user)
    ):
        invited = await repository.participant(session, party.id, user.id)
        if invited is None or invited.invited_at is None:
            raise PartyNotFound()
    if party.host_id != user.id and await social_service.blocked_between(
        session, user.id, party.host_id
    ):
        raise PartyNotFound()
    part = await repository.participant(session, party.id, user.id)
    now = utcnow()
    fresh = part is None or not part.is_active
    if fresh and party.host_id != user.id and party.present_count >= party.max_participants:
        raise PartyFull()
    if part is None:
        part = WatchPartyParticipant(
            party_id=party.id, user_id=user.id, role=PartyRole.GUEST.value, connections=0
        )
        session.add(part)
    if fresh:
        part.is_active, part.joined_at, part.left_at = True, now, None
    if socket:
        part.connections = (part.connections or 0) + 1
    if party.host_id == user.id and party.status == PartyStatus.SCHEDULED.value:
        party.status, party.started_at = PartyStatus.LIVE.value, now
    await session.flush()
    party.present_count = await repository.count_present(session, party.id)
    party.empty_since = None
    await session.flush()
    if fresh:
        publish(
            session,
            party,
            {
                "type": "userJoined",
                "userId": str(user.id),
                "username": user.username,
                "participantCount": party.present_count,
            },
        )
    return party


async def leave(
    session: AsyncSession, user: User, party_id: uuid.UUID, *, socket: bool = False
) -> WatchParty | None:
    """No longer present (the last socket going counts as leaving). Hands the host role over
    when the host leaves; the party ends after EMPTY_GRACE seconds with nobody present."""
    party = await repository.get(session, party_id, lock=True)
    if party is None:
        raise PartyNotFound()
    part = await repository.participant(session, party.id, user.id)
    if part is None or not part.is_active:
        if party.visibility != Visibility.PUBLIC.value and not await may_see(session, user, party):
            raise PartyNotFound()
        return party
    if socket and part.connections > 1:
        part.connections -= 1
        await session.flush()
        return party
    now = utcnow()
    part.is_active, part.connections, part.left_at = False, 0, now
    await session.flush()
    party.present_count = await repository.count_present(session, party.id)
    payload: dict[str, Any] = {
        "type": "userLeft",
        "userId": str(user.id),
        "participantCount": party.present_count,
    }
    if party.host_id == user.id and party.status != PartyStatus.ENDED.value:
        heir = await repository.heir(session, party.id)
        if heir is not None:
            part.role = PartyRole.COHOST.value
            heir.role, party.host_id = PartyRole.HOST.value, heir.user_id
            payload["hostId"] = str(heir.user_id)
    if party.present_count == 0 and party.status == PartyStatus.LIVE.value:
        party.empty_since = now
        events.enqueue(
            session,
            CLOSE_JOB,
            {"partyId": str(party.id), "emptySince": now.isoformat()},
            delay=EMPTY_GRACE,
            key=f"party-close:{party.id}:{now.isoformat()}",
        )
    await session.flush()
    publish(session, party, payload)
    if "hostId" in payload:
        publish(session, party, {"type": "hostChanged", "hostId": payload["hostId"]})
    return party


async def close_if_empty(session: AsyncSession, party_id: uuid.UUID, empty_since: datetime) -> bool:
    """End a live party still empty since `empty_since` (the leave that queued this job);
    anyone joining in between clears it. Idempotent."""
    party = await repository.load(session, party_id)
    if party is None or party.status != PartyStatus.LIVE.value or party.empty_since is None:
        return False
    if party.present_count > 0 or abs((party.empty_since - empty_since).total_seconds()) > 0.001:
        return False
    await end(session, None, party.id)
    return True
