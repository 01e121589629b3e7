"""Watch parties: creation and visibility, joining and leaving (REST and sockets alike), the
host-owned playback state, host hand-over, chat and reactions stamped with the video position,
and the reminder and empty-party jobs.

Playback state is stored as (position, rate, status) at `state_updated_at`; every reader
extrapolates to now, so a late joiner starts where everybody else is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import Role, User
from sparkle.accounts.schemas import UserRef
from sparkle.core import events
from sparkle.core.db import Cursor, keyset_page, utcnow
from sparkle.core.errors import ParticipantNotFound, TooManyRequests, ValidationFailed
from sparkle.notifications import service as notifications_service
from sparkle.notifications.models import NotificationType
from sparkle.social import service as social_service
from sparkle.social.models import Follow
from sparkle.watchparties.errors import (
    MomentNotFound,
    NotJoined,
    PartyEnded,
    PartyForbidden,
    PartyFull,
    PartyNotFound,
)
from sparkle.watchparties.events import WatchPartyUpdated
from sparkle.watchparties.models import (
    MomentKind,
    PartyRole,
    PartyStatus,
    PlaybackStatus,
    Visibility,
    WatchParty,
    WatchPartyMoment,
    WatchPartyParticipant,
)
from sparkle.watchparties.schemas import (
    InviteIn,
    MomentCreate,
    MomentPage,
    MomentRead,
    PartyCreate,
    PartyPage,
    PartyParticipantRead,
    PartyRead,
    PartyUpdate,
    PlaybackState,
    StateUpdate,
    Timeline,
    TimelineVideo,
)

REMIND_BEFORE = timedelta(minutes=15)
EMPTY_GRACE = 600  # seconds with nobody present before a live party ends
REMIND_JOB = "watchparties.remind"
CLOSE_JOB = "watchparties.close_if_empty"
CONTROLLERS = (PartyRole.HOST.value, PartyRole.COHOST.value)


def _staff(user: User | None) -> bool:
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


# --- access --------------------------------------------------------------------------------


async def _participant(
    session: AsyncSession, party_id: uuid.UUID, user_id: uuid.UUID
) -> WatchPartyParticipant | None:
    stmt = select(WatchPartyParticipant).where(
        WatchPartyParticipant.party_id == party_id, WatchPartyParticipant.user_id == user_id
    )
    return (await session.scalars(stmt)).first()


async def _may_see(session: AsyncSession, viewer: User | None, party: WatchParty) -> bool:
    if party.visibility == Visibility.PUBLIC.value or _staff(viewer):
        return True
    if viewer is None:
        return False
    if viewer.id == party.host_id or await _participant(session, party.id, viewer.id) is not None:
        return True
    if party.visibility == Visibility.FOLLOWERS.value:
        return await social_service.is_following(session, viewer.id, party.host_id)
    return False


async def access(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID, *, lock: bool = False
) -> WatchParty:
    """The party if `viewer` may see it; 404 otherwise, like a missing one."""
    stmt = select(WatchParty).where(WatchParty.id == party_id)
    if lock:
        stmt = stmt.with_for_update()
    party = (await session.scalars(stmt)).first()
    if party is None or not await _may_see(session, viewer, party):
        raise PartyNotFound()
    return party


async def may_join_room(session: AsyncSession, user: User, party_id: uuid.UUID) -> bool:
    try:
        party = await access(session, user, party_id)
    except PartyNotFound:
        return False
    return party.status != PartyStatus.ENDED.value


async def _controller(
    session: AsyncSession, user: User, party: WatchParty
) -> WatchPartyParticipant | None:
    part = await _participant(session, party.id, user.id)
    if party.host_id == user.id or (part is not None and part.role in CONTROLLERS):
        return part
    raise PartyForbidden()


def _open(party: WatchParty) -> None:
    if party.status == PartyStatus.ENDED.value:
        raise PartyEnded()


# --- creating and changing -------------------------------------------------------------------


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
    _open(party)
    await _controller(session, actor, party)
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
    _open(party)
    await _controller(session, actor, party)
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
        part = await _participant(session, party.id, uid)
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
    _open(party)
    if party.host_id != actor.id:
        raise PartyForbidden("Only the host names co-hosts")
    part = await _participant(session, party.id, user_id)
    if part is None or user_id == actor.id:
        raise ParticipantNotFound()
    part.role = PartyRole.COHOST.value if on else PartyRole.GUEST.value
    await session.flush()
    _publish(
        session,
        party,
        {"type": "cohosts", "cohostIds": [str(u) for u in await _cohosts(session, party.id)]},
    )


async def _cohosts(session: AsyncSession, party_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(WatchPartyParticipant.user_id).where(
        WatchPartyParticipant.party_id == party_id,
        WatchPartyParticipant.role == PartyRole.COHOST.value,
    )
    return list((await session.scalars(stmt)).all())


async def end(session: AsyncSession, actor: User | None, party_id: uuid.UUID) -> WatchParty:
    """The host (or a site moderator) ends the party; with `actor` None, the system does."""
    stmt = select(WatchParty).where(WatchParty.id == party_id).with_for_update()
    party = (
        (await session.scalars(stmt)).first()
        if actor is None
        else await access(session, actor, party_id, lock=True)
    )
    if party is None:
        raise PartyNotFound()
    if actor is not None and party.host_id != actor.id and not _staff(actor):
        raise PartyForbidden("Only the host ends the party")
    if party.status == PartyStatus.ENDED.value:
        return party
    now = utcnow()
    party.position_seconds = position_at(party, now)
    party.playback_status, party.state_updated_at = PlaybackStatus.ENDED.value, now
    party.status, party.ended_at = PartyStatus.ENDED.value, now
    await session.execute(
        sql_update(WatchPartyParticipant)
        .where(WatchPartyParticipant.party_id == party.id)
        .values(is_active=False, connections=0)
        .execution_options(synchronize_session=False)
    )
    party.present_count = 0
    await session.flush()
    _publish(
        session,
        party,
        {"type": "ended", "state": state_of(party, now).model_dump(mode="json", by_alias=True)},
    )
    return party


# --- presence --------------------------------------------------------------------------------


async def _count_present(session: AsyncSession, party_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        WatchPartyParticipant.party_id == party_id, WatchPartyParticipant.is_active.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())


async def join(
    session: AsyncSession, user: User, party_id: uuid.UUID, *, socket: bool = False
) -> WatchParty:
    """Be present in the party (a socket counts each connection; REST joins once)."""
    party = await access(session, user, party_id, lock=True)
    _open(party)
    if (
        party.visibility == Visibility.INVITE.value
        and party.host_id != user.id
        and not _staff(user)
    ):
        invited = await _participant(session, party.id, user.id)
        if invited is None or invited.invited_at is None:
            raise PartyNotFound()
    if party.host_id != user.id and await social_service.blocked_between(
        session, user.id, party.host_id
    ):
        raise PartyNotFound()
    part = await _participant(session, party.id, user.id)
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
    party.present_count = await _count_present(session, party.id)
    party.empty_since = None
    await session.flush()
    if fresh:
        _publish(
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
    party = (
        await session.scalars(select(WatchParty).where(WatchParty.id == party_id).with_for_update())
    ).first()
    if party is None:
        raise PartyNotFound()
    part = await _participant(session, party.id, user.id)
    if part is None or not part.is_active:
        if party.visibility != Visibility.PUBLIC.value and not await _may_see(session, user, party):
            raise PartyNotFound()
        return party
    if socket and part.connections > 1:
        part.connections -= 1
        await session.flush()
        return party
    now = utcnow()
    part.is_active, part.connections, part.left_at = False, 0, now
    await session.flush()
    party.present_count = await _count_present(session, party.id)
    payload: dict[str, Any] = {
        "type": "userLeft",
        "userId": str(user.id),
        "participantCount": party.present_count,
    }
    if party.host_id == user.id and party.status != PartyStatus.ENDED.value:
        heir = await _heir(session, party.id)
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
    _publish(session, party, payload)
    if "hostId" in payload:
        _publish(session, party, {"type": "hostChanged", "hostId": payload["hostId"]})
    return party


async def _heir(session: AsyncSession, party_id: uuid.UUID) -> WatchPartyParticipant | None:
    """The longest-present co-host, else the longest-present participant."""
    stmt = (
        select(WatchPartyParticipant)
        .where(
            WatchPartyParticipant.party_id == party_id, WatchPartyParticipant.is_active.is_(True)
        )
        .order_by(
            (WatchPartyParticipant.role == PartyRole.COHOST.value).desc(),
            WatchPartyParticipant.joined_at,
            WatchPartyParticipant.id,
        )
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def close_if_empty(session: AsyncSession, party_id: uuid.UUID, empty_since: datetime) -> bool:
    """End a live party still empty since `empty_since` (the leave that queued this job);
    anyone joining in between clears it. Idempotent."""
    party = await session.get(WatchParty, party_id)
    if party is None or party.status != PartyStatus.LIVE.value or party.empty_since is None:
        return False
    if party.present_count > 0 or abs((party.empty_since - empty_since).total_seconds()) > 0.001:
        return False
    await end(session, None, party.id)
    return True


# --- playback ------------------------------------------------------------------------------


async def set_state(
    session: AsyncSession, actor: User, party_id: uuid.UUID, data: StateUpdate
) -> PlaybackState:
    """Host and co-hosts play, pause, seek, change rate, switch or queue videos."""
    party = await access(session, actor, party_id, lock=True)
    _open(party)
    await _controller(session, actor, party)
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
    _publish(
        session, party, {"type": "state", "state": state.model_dump(mode="json", by_alias=True)}
    )
    return state


# --- chat and reactions --------------------------------------------------------------------


async def add_moment(
    session: AsyncSession, user: User, party_id: uuid.UUID, data: MomentCreate
) -> WatchPartyMoment:
    """Chat or react; the moment carries the video and the position the party is at."""
    party = await access(session, user, party_id)
    _open(party)
    part = await _participant(session, party.id, user.id)
    if part is None or not part.is_active:
        raise NotJoined()
    now = utcnow()
    if (
        data.kind == MomentKind.CHAT.value
        and party.slow_mode_seconds
        and part.role not in CONTROLLERS
    ):
        if part.last_chat_at is not None:
            wait = party.slow_mode_seconds - (now - part.last_chat_at).total_seconds()
            if wait > 0:
                raise TooManyRequests(int(wait) + 1, "Slow mode is on")
        part.last_chat_at = now
    moment = WatchPartyMoment(
        party_id=party.id,
        user_id=user.id,
        kind=data.kind,
        content=data.content,
        video_id=party.video_id,
        video_position=round(position_at(party, now), 3),
        created_at=now,
    )
    session.add(moment)
    await session.flush()
    read = await read_moment(session, moment)
    _publish(
        session, party, {"type": data.kind, "moment": read.model_dump(mode="json", by_alias=True)}
    )
    return moment


async def delete_moment(
    session: AsyncSession, actor: User, party_id: uuid.UUID, moment_id: uuid.UUID
) -> None:
    """Its author, the host, co-hosts and site moderators remove a chat line or reaction."""
    party = await access(session, actor, party_id)
    moment = await session.get(WatchPartyMoment, moment_id)
    if moment is None or moment.party_id != party.id or moment.deleted_at is not None:
        raise MomentNotFound()
    if moment.user_id != actor.id and not _staff(actor):
        await _controller(session, actor, party)
    moment.deleted_at = utcnow()
    await session.flush()
    _publish(session, party, {"type": "momentDeleted", "momentId": str(moment.id)})


async def read_moment(session: AsyncSession, moment: WatchPartyMoment) -> MomentRead:
    people = await accounts_service.user_refs(
        session, {moment.user_id} if moment.user_id else set()
    )
    return _to_moment(moment, people)


def _to_moment(m: WatchPartyMoment, people: dict[uuid.UUID, UserRef]) -> MomentRead:
    who = people.get(m.user_id) if m.user_id else None
    return MomentRead(
        id=m.id,
        party_id=m.party_id,
        user=who,
        kind=m.kind,
        content=m.content,
        video_id=m.video_id,
        video_position=m.video_position,
        created_at=m.created_at,
    )


async def list_moments(
    session: AsyncSession,
    viewer: User | None,
    party_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> MomentPage:
    """Chat and reactions in the order they happened, oldest first."""
    party = await access(session, viewer, party_id)
    stmt = select(WatchPartyMoment).where(
        WatchPartyMoment.party_id == party.id, WatchPartyMoment.deleted_at.is_(None)
    )
    rows, next_cursor = await keyset_page(
        session,
        stmt,
        sort_col=WatchPartyMoment.created_at,
        id_col=WatchPartyMoment.id,
        cursor=cursor,
        limit=limit,
        descending=False,
    )
    people = await accounts_service.user_refs(session, {m.user_id for m in rows if m.user_id})
    return MomentPage(items=[_to_moment(m, people) for m in rows], next_cursor=next_cursor)


async def timeline(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID, *, limit: int = 2000
) -> Timeline:
    """The discussion laid on each video's timeline: moments by position, reactions per minute."""
    party = await access(session, viewer, party_id)
    stmt = (
        select(WatchPartyMoment)
        .where(WatchPartyMoment.party_id == party.id, WatchPartyMoment.deleted_at.is_(None))
        .order_by(WatchPartyMoment.video_id, WatchPartyMoment.video_position, WatchPartyMoment.id)
        .limit(limit)
    )
    rows = list((await session.scalars(stmt)).all())
    people = await accounts_service.user_refs(session, {m.user_id for m in rows if m.user_id})
    videos: dict[str, list[MomentRead]] = defaultdict(list)
    minutes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for m in rows:
        videos[m.video_id].append(_to_moment(m, people))
        if m.kind == MomentKind.REACTION.value:
            minutes[m.video_id][int(m.video_position // 60)] += 1
    return Timeline(
        party_id=party.id,
        videos=[
            TimelineVideo(video_id=v, moments=ms, reactions_per_minute=dict(minutes[v]))
            for v, ms in videos.items()
        ],
    )


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
    if ids:
        stmt = select(
            WatchPartyParticipant.party_id,
            WatchPartyParticipant.user_id,
            WatchPartyParticipant.role,
        ).where(
            WatchPartyParticipant.party_id.in_(ids),
            or_(
                WatchPartyParticipant.role == PartyRole.COHOST.value,
                WatchPartyParticipant.user_id == (viewer.id if viewer else None),
            ),
        )
        for pid, uid, role in (await session.execute(stmt)).all():
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
    stmt = select(WatchParty)
    if not _staff(viewer):
        seen = [WatchParty.visibility == Visibility.PUBLIC.value]
        if viewer is not None:
            mine = select(WatchPartyParticipant.party_id).where(
                WatchPartyParticipant.user_id == viewer.id
            )
            follows = select(Follow.following_id).where(Follow.follower_id == viewer.id)
            seen += [
                WatchParty.id.in_(mine),
                and_(
                    WatchParty.visibility == Visibility.FOLLOWERS.value,
                    WatchParty.host_id.in_(follows),
                ),
            ]
        stmt = stmt.where(or_(*seen))
    if status == "upcoming":
        rows, next_cursor = await _upcoming_page(
            session, stmt.where(WatchParty.status == PartyStatus.SCHEDULED.value), cursor, limit
        )
    else:
        live = status == "live"
        rows, next_cursor = await keyset_page(
            session,
            stmt.where(
                WatchParty.status == (PartyStatus.LIVE.value if live else PartyStatus.ENDED.value)
            ),
            sort_col=WatchParty.started_at if live else WatchParty.ended_at,
            id_col=WatchParty.id,
            cursor=cursor,
            limit=limit,
        )
    return PartyPage(items=await hydrate(session, viewer, rows), next_cursor=next_cursor)


async def _upcoming_page(
    session: AsyncSession, stmt: Select[WatchParty], cursor: str | None, limit: int
) -> tuple[list[WatchParty], str | None]:
    """Keyset over (scheduled_for, id) ascending with unscheduled parties after all others."""
    when, ident = WatchParty.scheduled_for, WatchParty.id
    if cursor:
        c = Cursor.decode(cursor)
        if c.value is None:
            stmt = stmt.where(when.is_(None), ident > c.id)
        else:
            stmt = stmt.where(
                or_(when > c.value, and_(when == c.value, ident > c.id), when.is_(None))
            )
    order = (when.is_(None), when, ident)
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, Cursor(rows[-1].scheduled_for, rows[-1].id).encode()


async def participants(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID
) -> list[PartyParticipantRead]:
    party = await access(session, viewer, party_id)
    stmt = (
        select(WatchPartyParticipant)
        .where(
            WatchPartyParticipant.party_id == party.id,
            or_(
                WatchPartyParticipant.is_active.is_(True),
                WatchPartyParticipant.role != PartyRole.GUEST.value,
            ),
        )
        .order_by(WatchPartyParticipant.joined_at, WatchPartyParticipant.id)
        .limit(200)
    )
    rows = list((await session.scalars(stmt)).all())
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
    party = await session.get(WatchParty, party_id)
    if (
        party is None
        or party.status != PartyStatus.SCHEDULED.value
        or party.scheduled_for != scheduled_for
    ):
        return 0
    stmt = select(WatchPartyParticipant.user_id).where(
        WatchPartyParticipant.party_id == party.id, WatchPartyParticipant.user_id != party.host_id
    )
    sent = 0
    for uid in (await session.scalars(stmt)).all():
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


def _publish(session: AsyncSession, party: WatchParty, update_payload: dict[str, Any]) -> None:
    events.publish(session, WatchPartyUpdated(party_id=party.id, update=update_payload))
