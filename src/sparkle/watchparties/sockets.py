"""Watch parties over Socket.IO: `joinWatchParty`, `leaveWatchParty`, `updateWatchPartyState`
(seed 003) and `watchPartyMoment` (chat and reactions), the `party:{id}` room's authorizer, and
`watchPartyUpdate` / `liveViewerCount` after each committed change.

A socket that disconnects leaves the parties it joined, so presence, host hand-over and the
empty-party timer follow real connections.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from typing import Any

import structlog
from pydantic import Field

from sparkle import realtime
from sparkle.accounts.models import User
from sparkle.core.db import session_scope
from sparkle.core.errors import SparkleError
from sparkle.realtime.hub import Refused, live_user, refusal
from sparkle.realtime.schemas import ErrorCode, Id, Inbound
from sparkle.watchparties import service
from sparkle.watchparties.events import WatchPartyUpdated
from sparkle.watchparties.schemas import MomentCreate, PartyChange, StateUpdate

log = structlog.get_logger(__name__)

# sid → parties that socket joined (this process's sockets only).
_joined: dict[str, set[uuid.UUID]] = defaultdict(set)


class StateIn(Inbound):
    """`updateWatchPartyState {partyId, state}`."""

    party_id: uuid.UUID
    state: StateUpdate


class MomentIn(Inbound):
    party_id: uuid.UUID
    kind: str = Field("chat", pattern="^(chat|reaction)$")
    content: str = Field(min_length=1, max_length=500)


def _refusal(exc: SparkleError, failure: ErrorCode) -> Refused:
    return refusal(
        exc, failure, not_found=ErrorCode.PARTY_NOT_FOUND, forbidden=ErrorCode.UNAUTHORIZED
    )


async def join_party(hub: Any, conn: Any, payload: Id) -> dict[str, Any]:
    party_id = payload.root
    try:
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            first = party_id not in _joined.get(conn.sid, set())
            party = await service.join(session, user, party_id, socket=first)
            read = (await service.hydrate(session, user, [party]))[0]
    except SparkleError as exc:
        raise _refusal(exc, ErrorCode.PARTY_JOIN_FAILED) from None
    await hub.sio.enter_room(conn.sid, f"party:{party_id}")
    _joined[conn.sid].add(party_id)
    await hub.emit("watchPartyUpdate", PartyChange(type="state", state=read.state).wire(), conn.sid)
    return {"ok": True, "party": read.model_dump(mode="json", by_alias=True)}


async def _leave(hub: Any, conn: Any, party_id: uuid.UUID) -> None:
    async with session_scope(hub.sessions, write=True) as session:
        user = await live_user(session, conn)
        await service.leave(session, user, party_id, socket=True)


async def leave_party(hub: Any, conn: Any, payload: Id) -> dict[str, Any]:
    party_id = payload.root
    if party_id in _joined.get(conn.sid, set()):
        _joined[conn.sid].discard(party_id)
        try:
            await _leave(hub, conn, party_id)
        except SparkleError as exc:
            raise _refusal(exc, ErrorCode.PARTY_UPDATE_FAILED) from None
    await hub.sio.leave_room(conn.sid, f"party:{party_id}")
    return {"ok": True}


async def update_state(hub: Any, conn: Any, payload: StateIn) -> dict[str, Any]:
    try:
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            state = await service.set_state(session, user, payload.party_id, payload.state)
    except SparkleError as exc:
        raise _refusal(exc, ErrorCode.PARTY_UPDATE_FAILED) from None
    return {"ok": True, "state": state.model_dump(mode="json", by_alias=True)}


async def add_moment(hub: Any, conn: Any, payload: MomentIn) -> dict[str, Any]:
    try:
        data = MomentCreate(kind=payload.kind, content=payload.content)
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            moment = await service.add_moment(session, user, payload.party_id, data)
            read = await service.read_moment(session, moment)
    except SparkleError as exc:
        raise _refusal(exc, ErrorCode.PARTY_UPDATE_FAILED) from None
    return {"ok": True, "moment": read.model_dump(mode="json", by_alias=True)}


async def _disconnected(hub: Any, conn: Any) -> None:
    for party_id in _joined.pop(conn.sid, set()):
        with contextlib.suppress(SparkleError):
            await _leave(hub, conn, party_id)


@realtime.route(WatchPartyUpdated, inline=True)
async def _update(ctx: Any, event: WatchPartyUpdated) -> None:
    room = f"party:{event.party_id}"
    update = event.update
    await ctx.emit("watchPartyUpdate", PartyChange.model_validate(update).wire(), room)
    if update.get("type") in ("userJoined", "userLeft"):
        await ctx.emit(
            "liveViewerCount",
            {"entityId": str(event.party_id), "count": update["participantCount"]},
            room,
        )


async def _may_join(session: Any, user: User, party_id: uuid.UUID) -> bool:
    return await service.may_join_room(session, user, party_id)


realtime.register_channel("party", _may_join)
realtime.register_outbound("watchPartyUpdate", PartyChange, "`party:{id}`", __name__)
realtime.register_disconnect(_disconnected)
realtime.register_event("joinWatchParty", Id, join_party, ErrorCode.PARTY_JOIN_FAILED.value)
realtime.register_event("leaveWatchParty", Id, leave_party, ErrorCode.PARTY_UPDATE_FAILED.value)
realtime.register_event(
    "updateWatchPartyState", StateIn, update_state, ErrorCode.PARTY_UPDATE_FAILED.value
)
realtime.register_event(
    "watchPartyMoment", MomentIn, add_moment, ErrorCode.PARTY_UPDATE_FAILED.value
)
