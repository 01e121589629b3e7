"""Queries of watch parties: parties, their participants and their moments (chat and
reactions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core.db import Cursor, keyset_page
from sparkle.social.models import Follow
from sparkle.watchparties.models import (
    PartyRole,
    PartyStatus,
    Visibility,
    WatchParty,
    WatchPartyMoment,
    WatchPartyParticipant,
)


async def get(
    session: AsyncSession, party_id: uuid.UUID, *, lock: bool = False
) -> WatchParty | None:
    """The party, or None; with `lock`, its row is locked for the transaction."""
    stmt = select(WatchParty).where(WatchParty.id == party_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def load(session: AsyncSession, party_id: uuid.UUID) -> WatchParty | None:
    """The party, from the session when it holds it already."""
    return await session.get(WatchParty, party_id)


async def participant(
    session: AsyncSession, party_id: uuid.UUID, user_id: uuid.UUID
) -> WatchPartyParticipant | None:
    stmt = select(WatchPartyParticipant).where(
        WatchPartyParticipant.party_id == party_id, WatchPartyParticipant.user_id == user_id
    )
    return (await session.scalars(stmt)).first()


async def count_present(session: AsyncSession, party_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        WatchPartyParticipant.party_id == party_id, WatchPartyParticipant.is_active.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())


async def cohost_ids(session: AsyncSession, party_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(WatchPartyParticipant.user_id).where(
        WatchPartyParticipant.party_id == party_id,
        WatchPartyParticipant.role == PartyRole.COHOST.value,
    )
    return list((await session.scalars(stmt)).all())


async def guest_ids(session: AsyncSession, party: WatchParty) -> list[uuid.UUID]:
    """Everyone invited to or signed up for `party` but its host."""
    stmt = select(WatchPartyParticipant.user_id).where(
        WatchPartyParticipant.party_id == party.id, WatchPartyParticipant.user_id != party.host_id
    )
    return list((await session.scalars(stmt)).all())


async def mark_all_absent(session: AsyncSession, party_id: uuid.UUID) -> None:
    await session.execute(
        update(WatchPartyParticipant)
        .where(WatchPartyParticipant.party_id == party_id)
        .values(is_active=False, connections=0)
        .execution_options(synchronize_session=False)
    )


async def heir(session: AsyncSession, party_id: uuid.UUID) -> WatchPartyParticipant | None:
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


async def roles(
    session: AsyncSession, party_ids: Sequence[uuid.UUID], viewer_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """(party id, user id, role) of the co-hosts of `party_ids` and of the viewer in them."""
    if not party_ids:
        return []
    stmt = select(
        WatchPartyParticipant.party_id,
        WatchPartyParticipant.user_id,
        WatchPartyParticipant.role,
    ).where(
        WatchPartyParticipant.party_id.in_(party_ids),
        or_(
            WatchPartyParticipant.role == PartyRole.COHOST.value,
            WatchPartyParticipant.user_id == viewer_id,
        ),
    )
    return [(pid, uid, role) for pid, uid, role in (await session.execute(stmt)).all()]


async def listed_participants(
    session: AsyncSession, party_id: uuid.UUID, *, limit: int = 200
) -> list[WatchPartyParticipant]:
    """Those present and those with a role, in the order they joined."""
    stmt = (
        select(WatchPartyParticipant)
        .where(
            WatchPartyParticipant.party_id == party_id,
            or_(
                WatchPartyParticipant.is_active.is_(True),
                WatchPartyParticipant.role != PartyRole.GUEST.value,
            ),
        )
        .order_by(WatchPartyParticipant.joined_at, WatchPartyParticipant.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def list_page(
    session: AsyncSession,
    viewer_id: uuid.UUID | None,
    *,
    see_all: bool,
    status: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[WatchParty], str | None]:
    """Upcoming (soonest first, unscheduled last), live (latest started first) or ended (latest
    ended first) parties: all with `see_all`, else the public ones, the viewer's and those of
    hosts the viewer follows; keyset-paged."""
    stmt = select(WatchParty)
    if not see_all:
        seen = [WatchParty.visibility == Visibility.PUBLIC.value]
        if viewer_id is not None:
            mine = select(WatchPartyParticipant.party_id).where(
                WatchPartyParticipant.user_id == viewer_id
            )
            follows = select(Follow.following_id).where(Follow.follower_id == viewer_id)
            seen += [
                WatchParty.id.in_(mine),
                and_(
                    WatchParty.visibility == Visibility.FOLLOWERS.value,
                    WatchParty.host_id.in_(follows),
                ),
            ]
        stmt = stmt.where(or_(*seen))
    if status == "upcoming":
        return await _upcoming_page(
            session, stmt.where(WatchParty.status == PartyStatus.SCHEDULED.value), cursor, limit
        )
    live = status == "live"
    return await keyset_page(
        session,
        stmt.where(
            WatchParty.status == (PartyStatus.LIVE.value if live else PartyStatus.ENDED.value)
        ),
        sort_col=WatchParty.started_at if live else WatchParty.ended_at,
        id_col=WatchParty.id,
        cursor=cursor,
        limit=limit,
    )


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


async def get_moment(session: AsyncSession, moment_id: uuid.UUID) -> WatchPartyMoment | None:
    return await session.get(WatchPartyMoment, moment_id)


async def moments_page(
    session: AsyncSession, party_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[WatchPartyMoment], str | None]:
    """The party's live moments, oldest first, keyset-paged."""
    stmt = select(WatchPartyMoment).where(
        WatchPartyMoment.party_id == party_id, WatchPartyMoment.deleted_at.is_(None)
    )
    return await keyset_page(
        session,
        stmt,
        sort_col=WatchPartyMoment.created_at,
        id_col=WatchPartyMoment.id,
        cursor=cursor,
        limit=limit,
        descending=False,
    )


async def timeline_moments(
    session: AsyncSession, party_id: uuid.UUID, *, limit: int
) -> list[WatchPartyMoment]:
    """The party's live moments by video and position on it."""
    stmt = (
        select(WatchPartyMoment)
        .where(WatchPartyMoment.party_id == party_id, WatchPartyMoment.deleted_at.is_(None))
        .order_by(WatchPartyMoment.video_id, WatchPartyMoment.video_position, WatchPartyMoment.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
