"""Watch parties: creation and visibility, invitations and co-hosts, ending, the listings
and the reminder job. Playback state is stored as (position, rate, status) at
`state_updated_at`; every reader extrapolates to now, so a late joiner starts where everybody
else is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.accounts.schemas import UserRef
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.core.errors import ParticipantNotFound, ValidationFailed
from sparkle.notifications import service as notifications_service
from sparkle.notifications.models import NotificationType
from sparkle.social import service as social_service
from sparkle.watchparties import repository
from sparkle.watchparties.errors import PartyForbidden, PartyNotFound
from sparkle.watchparties.models import (
    PartyRole,
    PartyStatus,
    PlaybackStatus,
    WatchParty,
    WatchPartyParticipant,
)
from sparkle.watchparties.schemas import (
    InviteIn,
    PartyCreate,
    PartyPage,
    PartyParticipantRead,
    PartyRead,
    PartyUpdate,
)
from sparkle.watchparties.service.access import (
    REMIND_BEFORE,
    REMIND_JOB,
    access,
    controller,
    ensure_open,
    is_staff,
    position_at,
    publish,
    state_of,
)


async def create(session: AsyncSession, host: User, data: PartyCreate) -> WatchParty:
    """Schedule (or open) a party; invitees and a reminder come later."""
    now = utcnow()
    if data.scheduled_for is not None and data.scheduled_for < now - timedelta(minutes=1):
        raise ValidationFailed(
            "Schedule it in the future", fields={"scheduledFor": "Must be in the future"}
        )
    party = WatchParty(
        host_id=host.id,
        title=data.title,
        description=data.description,
        youtube_video_id=data.youtube_video_id,
        video_id=data.youtube_video_id,
        visibility=data.visibility,
        max_participants=data.max_participants,
        slow_mode_seconds=data.slow_mode_seconds,
        scheduled_for=data.scheduled_for,
        status=PartyStatus.SCHEDULED.value,
        playback_status=PlaybackStatus.PAUSED.value,
        position_seconds=0.0,
        playback_rate=1.0,
        state_updated_at=now,
        queue=[],
        present_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(party)
    await session.flush()
    session.add(
        WatchPartyParticipant(
            party_id=party.id,
            user_id=host.id,
            role=PartyRole.HOST.value,
            is_active=False,
            connections=0,
        )
    )
    await session.flush()
    _schedule_reminder(session, party, now)
    return party


def _schedule_reminder(session: AsyncSession, party: WatchParty, now: datetime) -> None:
    if party.scheduled_for is None or party.scheduled_for <= now:
        return
    delay = max(0.0, (party.scheduled_for - REMIND_BEFORE - now).total_seconds())
    events.enqueue(
        session,
        REMIND_JOB,
        {"partyId": str(party.id), "scheduledFor": party.scheduled_for.isoformat()},
        delay=delay,
        key=f"party-remind:{party.id}:{party.scheduled_for.isoformat()}",
    )


async def update(
    session: AsyncSession, actor: User, party_id: uuid.UUID, data: PartyUpdate
) -> WatchParty:
    party = await access(session, actor, party_id, lock=True)
    ensure_open(party)
    await controller(session, actor, party)
    fields = data.model_fields_set
    for name in ("title", "description", "max_participants", "slow_mode_seconds"):
        if name in fields and getattr(data, name) is not None:
            setattr(party, name, getattr(data, name))
    if "scheduled_for" in fields and data.scheduled_for != party.scheduled_for:
        party.scheduled_for = data.scheduled_for
        _schedule_reminder(session, party, utcnow())
    await session.flush()
    return party


async def invite(session: AsyncSession, actor: User, party_id: uuid.UUID, data: InviteIn) -> int:
    """The host or a co-host invites people; each gets a WATCH_PARTY_INVITE notification."""
    party = await access(session, actor, party_id)
    ensure_open(party)
    await controller(session, actor, party)
    ids = [u for u in dict.fromkeys(data.user_ids) if u != actor.id]
    people = await accounts_service.user_refs(session, set(ids))
    missing = [str(u) for u in ids if u not in people]
    if missing:
        raise ValidationFailed(
            "Unknown users", fields={"userIds": f"No such users: {', '.join(missing)}"}
        )
    blocked = await social_service.blocked_any(session, actor.id, ids)
    now, sent = utcnow(), 0
    for uid in ids:
        if uid in blocked:
            continue
        part = await repository.participant(session, party.id, uid)
        if part is None:
            part = WatchPartyParticipant(
                party_id=party.id,
                user_id=uid,
                role=PartyRole.GUEST.value,
                is_active=False,
                connections=0,
            )
            session.add(part)
        if part.invited_at is None:
            part.invited_at, part.invited_by = now, actor.id
            sent += 1
            await notifications_service.notify(
                session,
                recipient_id=uid,
                type=NotificationType.WATCH_PARTY_INVITE,
                actor_id=actor.id,
                target=notifications_service.Target("watch_party", party.id),
                phrase="invited you to a watch party",
                content=party.title,
                data={"partyId": str(party.id), "url": f"/watch-parties/{party.id}"},
            )
    await session.flush()
    return sent


async def set_cohost(
    session: AsyncSession, actor: User, party_id: uuid.UUID, user_id: uuid.UUID, on: bool
) -> None:
    """The host names (or un-names) co-hosts, who may control playback too."""
    party = await access(session, actor, party_id)
    ensure_open(party)
    if party.host_id != actor.id:
        raise PartyForbidden("Only the host names co-hosts")
    part = await repository.participant(session, party.id, user_id)
    if part is None or user_id == actor.id:
        raise ParticipantNotFound()
    part.role = PartyRole.COHOST.value if on else PartyRole.GUEST.value
    await session.flush()
    publish(
        session,
        party,
        {
            "type": "cohosts",
            "cohostIds": [str(u) for u in await repository.cohost_ids(session, party.id)],
        },
    )


async def end(session: AsyncSession, actor: User | None, party_id: uuid.UUID) -> WatchParty:
    """The host (or a site moderator) ends the party; with `actor` None, the system does."""
    party = (
        await repository.get(session, party_id, lock=True)
        if actor is None
        else await access(session, actor, party_id, lock=True)
    )
    if party is None:
        raise PartyNotFound()
    if actor is not None and party.host_id != actor.id and not is_staff(actor):
        raise PartyForbidden("Only the host ends the party")
    if party.status == PartyStatus.ENDED.value:
        return party
    now = utcnow()
    party.position_seconds = position_at(party, now)
    party.playback_status, party.state_updated_at = PlaybackStatus.ENDED.value, now
    party.status, party.ended_at = PartyStatus.ENDED.value, now
    await repository.mark_all_absent(session, party.id)
    party.present_count = 0
    await session.flush()
    publish(
        session,
        party,
        {"type": "ended", "state": state_of(party, now).model_dump(mode="json", by_alias=True)},
    )
    return party


# --- reading -------------------------------------------------------------------------------


async def read(session: AsyncSession, viewer: User | None, party_id: uuid.UUID) -> PartyRead:
    party = await access(session, viewer, party_id)
    return (await hydrate(session, viewer, [party]))[0]


async def hydrate(
    session: AsyncSession, viewer: User | None, parties: list[WatchParty]
) -> list[PartyRead]:
    ids = [p.id for p in parties]
    hosts = await accounts_service.user_refs(session, {p.host_id for p in parties})
    roles: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    for pid, uid, role in await repository.roles(session, ids, viewer.id if viewer else None):
        roles[pid].append((uid, role))
    now = utcnow()
    out = []
    for p in parties:
        host = hosts.get(p.host_id)
        mine = next((r for u, r in roles[p.id] if viewer is not None and u == viewer.id), None)
        out.append(
            PartyRead(
                id=p.id,
                host=host or UserRef(id=p.host_id, username="deleted", display_name="Deleted user"),
                title=p.title,
                description=p.description,
                youtube_video_id=p.youtube_video_id,
                visibility=p.visibility,
                max_participants=p.max_participants,
                status=p.status,
                scheduled_for=p.scheduled_for,
                slow_mode_seconds=p.slow_mode_seconds,
                state=state_of(p, now),
                participant_count=p.present_count,
                cohost_ids=[u for u, r in roles[p.id] if r == PartyRole.COHOST.value],
                my_role=mine,
                started_at=p.started_at,
                ended_at=p.ended_at,
                created_at=p.created_at,
            )
        )
    return out


async def list_parties(
    session: AsyncSession, viewer: User | None, *, status: str, cursor: str | None, limit: int
) -> PartyPage:
    """Upcoming (soonest first, unscheduled last), live (latest started first) or ended (latest
    ended first) parties the viewer may see; keyset-paged."""
    rows, next_cursor = await repository.list_page(
        session,
        viewer.id if viewer is not None else None,
        see_all=is_staff(viewer),
        status=status,
        cursor=cursor,
        limit=limit,
    )
    return PartyPage(items=await hydrate(session, viewer, rows), next_cursor=next_cursor)


async def participants(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID
) -> list[PartyParticipantRead]:
    party = await access(session, viewer, party_id)
    rows = await repository.listed_participants(session, party.id)
    people = await accounts_service.user_refs(session, {r.user_id for r in rows})
    return [
        PartyParticipantRead(
            user=people[r.user_id], role=r.role, is_active=r.is_active, joined_at=r.joined_at
        )
        for r in rows
        if r.user_id in people
    ]


# --- jobs ------------------------------------------------------------------------------------


async def remind(session: AsyncSession, party_id: uuid.UUID, scheduled_for: datetime) -> int:
    """EVENT_REMINDER to everyone invited or signed up, if the party still starts then."""
    party = await repository.load(session, party_id)
    if (
        party is None
        or party.status != PartyStatus.SCHEDULED.value
        or party.scheduled_for != scheduled_for
    ):
        return 0
    sent = 0
    for uid in await repository.guest_ids(session, party):
        row = await notifications_service.notify(
            session,
            recipient_id=uid,
            type=NotificationType.EVENT_REMINDER,
            actor_id=party.host_id,
            target=notifications_service.Target("watch_party", party.id),
            phrase="'s watch party starts in 15 minutes",
            content=party.title,
            data={"partyId": str(party.id), "url": f"/watch-parties/{party.id}"},
        )
        sent += row is not None
    return sent
