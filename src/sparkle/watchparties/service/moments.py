"""Chat and reactions stamped with the video and the position the party is at, and the
discussion laid on each video's timeline."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.accounts.schemas import UserRef
from sparkle.core.db import utcnow
from sparkle.core.errors import TooManyRequests
from sparkle.watchparties import repository
from sparkle.watchparties.errors import MomentNotFound, NotJoined
from sparkle.watchparties.models import MomentKind, WatchPartyMoment
from sparkle.watchparties.schemas import (
    MomentCreate,
    MomentPage,
    MomentRead,
    Timeline,
    TimelineVideo,
)
from sparkle.watchparties.service.access import (
    CONTROLLERS,
    access,
    controller,
    ensure_open,
    is_staff,
    position_at,
    publish,
)


async def add_moment(
    session: AsyncSession, user: User, party_id: uuid.UUID, data: MomentCreate
) -> WatchPartyMoment:
    """Chat or react; the moment carries the video and the position the party is at."""
    party = await access(session, user, party_id)
    ensure_open(party)
    part = await repository.participant(session, party.id, user.id)
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
    publish(
        session, party, {"type": data.kind, "moment": read.model_dump(mode="json", by_alias=True)}
    )
    return moment


async def delete_moment(
    session: AsyncSession, actor: User, party_id: uuid.UUID, moment_id: uuid.UUID
) -> None:
    """Its author, the host, co-hosts and site moderators remove a chat line or reaction."""
    party = await access(session, actor, party_id)
    moment = await repository.get_moment(session, moment_id)
    if moment is None or moment.party_id != party.id or moment.deleted_at is not None:
        raise MomentNotFound()
    if moment.user_id != actor.id and not is_staff(actor):
        await controller(session, actor, party)
    moment.deleted_at = utcnow()
    await session.flush()
    publish(session, party, {"type": "momentDeleted", "momentId": str(moment.id)})


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
    rows, next_cursor = await repository.moments_page(session, party.id, cursor=cursor, limit=limit)
    people = await accounts_service.user_refs(session, {m.user_id for m in rows if m.user_id})
    return MomentPage(items=[_to_moment(m, people) for m in rows], next_cursor=next_cursor)


async def timeline(
    session: AsyncSession, viewer: User | None, party_id: uuid.UUID, *, limit: int = 2000
) -> Timeline:
    """The discussion laid on each video's timeline: moments by position, reactions per minute."""
    party = await access(session, viewer, party_id)
    rows = await repository.timeline_moments(session, party.id, limit=limit)
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
