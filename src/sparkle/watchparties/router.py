"""`/api/watch-parties`: create, list, join, leave, invite, playback state, chat, end."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sparkle.accounts.models import User
from sparkle.auth.deps import CurrentUser, OptionalUser
from sparkle.core.deps import DbSession
from sparkle.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from sparkle.core.errors import problem_responses as errors
from sparkle.core.schemas import Schema
from sparkle.watchparties import service
from sparkle.watchparties.models import WatchParty
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
)

router = APIRouter(prefix="/api/watch-parties", tags=["watch-parties"])
Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page")]


class InviteResult(Schema):
    invited: int


async def _read(db: DbSession, user: User, party: WatchParty) -> PartyRead:
    return (await service.hydrate(db, user, [party]))[0]


@router.post(
    "",
    status_code=201,
    response_model=PartyRead,
    summary="Create a watch party",
    responses=errors(Unauthorized, ValidationFailed),
)
async def create_party(data: PartyCreate, user: CurrentUser, db: DbSession) -> PartyRead:
    """An `EVENT_REMINDER` goes to invitees 15 minutes before `scheduledFor`."""
    return await _read(db, user, await service.create(db, user, data))


@router.get(
    "",
    response_model=PartyPage,
    summary="Upcoming, live or ended watch parties you may see",
    responses=errors(Unauthorized, ValidationFailed),
)
async def list_parties(
    db: DbSession,
    viewer: OptionalUser,
    status: Literal["upcoming", "live", "ended"] = "live",
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PartyPage:
    return await service.list_parties(db, viewer, status=status, cursor=cursor, limit=limit)


@router.get(
    "/{party_id}",
    response_model=PartyRead,
    summary="One watch party with its current playback state",
    responses=errors(Unauthorized, NotFound),
)
async def get_party(party_id: uuid.UUID, db: DbSession, viewer: OptionalUser) -> PartyRead:
    return await service.read(db, viewer, party_id)


@router.patch(
    "/{party_id}",
    response_model=PartyRead,
    summary="Change a party's details (host and co-hosts)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def update_party(
    party_id: uuid.UUID, data: PartyUpdate, user: CurrentUser, db: DbSession
) -> PartyRead:
    return await _read(db, user, await service.update(db, user, party_id, data))


@router.post(
    "/{party_id}/join",
    response_model=PartyRead,
    summary="Join a watch party",
    responses=errors(Unauthorized, NotFound, Conflict),
)
async def join_party(party_id: uuid.UUID, user: CurrentUser, db: DbSession) -> PartyRead:
    """The state in the answer is extrapolated to now: start the player there."""
    return await _read(db, user, await service.join(db, user, party_id))


@router.post(
    "/{party_id}/leave",
    status_code=204,
    summary="Leave a watch party",
    responses=errors(Unauthorized, NotFound),
)
async def leave_party(party_id: uuid.UUID, user: CurrentUser, db: DbSession) -> None:
    await service.leave(db, user, party_id)


@router.post(
    "/{party_id}/invite",
    response_model=InviteResult,
    summary="Invite people (host and co-hosts)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def invite(
    party_id: uuid.UUID, data: InviteIn, user: CurrentUser, db: DbSession
) -> InviteResult:
    return InviteResult(invited=await service.invite(db, user, party_id, data))


@router.put(
    "/{party_id}/state",
    response_model=PlaybackState,
    summary="Play, pause, seek, change rate or video, manage the queue (host and co-hosts)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def set_state(
    party_id: uuid.UUID, data: StateUpdate, user: CurrentUser, db: DbSession
) -> PlaybackState:
    """Everyone in the party gets `watchPartyUpdate {type: 'state', state}`."""
    return await service.set_state(db, user, party_id, data)


@router.put(
    "/{party_id}/cohosts/{user_id}",
    status_code=204,
    summary="Make a participant a co-host (host)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict),
)
async def add_cohost(
    party_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    await service.set_cohost(db, user, party_id, user_id, True)


@router.delete(
    "/{party_id}/cohosts/{user_id}",
    status_code=204,
    summary="Take a co-host's controls away (host)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict),
)
async def remove_cohost(
    party_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    await service.set_cohost(db, user, party_id, user_id, False)


@router.post(
    "/{party_id}/end",
    response_model=PartyRead,
    summary="End the party (host, site moderators)",
    responses=errors(Unauthorized, NotFound, Forbidden),
)
async def end_party(party_id: uuid.UUID, user: CurrentUser, db: DbSession) -> PartyRead:
    return await _read(db, user, await service.end(db, user, party_id))


@router.get(
    "/{party_id}/participants",
    response_model=list[PartyParticipantRead],
    summary="Who is here (and the hosts)",
    responses=errors(Unauthorized, NotFound),
)
async def list_participants(
    party_id: uuid.UUID, db: DbSession, viewer: OptionalUser
) -> list[PartyParticipantRead]:
    return await service.participants(db, viewer, party_id)


@router.get(
    "/{party_id}/moments",
    response_model=MomentPage,
    summary="Chat and reactions, oldest first",
    responses=errors(Unauthorized, NotFound, ValidationFailed),
)
async def list_moments(
    party_id: uuid.UUID,
    db: DbSession,
    viewer: OptionalUser,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> MomentPage:
    return await service.list_moments(db, viewer, party_id, cursor=cursor, limit=limit)


@router.post(
    "/{party_id}/moments",
    status_code=201,
    response_model=MomentRead,
    summary="Chat or react at the current video position",
    responses=errors(
        Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed, TooManyRequests
    ),
)
async def add_moment(
    party_id: uuid.UUID, data: MomentCreate, user: CurrentUser, db: DbSession
) -> MomentRead:
    return await service.read_moment(db, await service.add_moment(db, user, party_id, data))


@router.delete(
    "/{party_id}/moments/{moment_id}",
    status_code=204,
    summary="Remove a chat line or reaction (its author, hosts, site moderators)",
    responses=errors(Unauthorized, NotFound, Forbidden),
)
async def delete_moment(
    party_id: uuid.UUID, moment_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    await service.delete_moment(db, user, party_id, moment_id)


@router.get(
    "/{party_id}/timeline",
    response_model=Timeline,
    summary="The discussion on each video's timeline (moments by position)",
    responses=errors(Unauthorized, NotFound),
)
async def timeline(party_id: uuid.UUID, db: DbSession, viewer: OptionalUser) -> Timeline:
    return await service.timeline(db, viewer, party_id)
