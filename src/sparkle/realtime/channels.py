"""Who may join which room, and who hears about whose presence: registries other domains fill.

A room is `{kind}:{id}`. Each kind has an authorizer `(session, user, id) -> bool`; a kind
nobody registered cannot be joined. Posts and user-update rooms are built in; the messaging
domain registers `conversation`, watch parties `party`, and so on. Presence audiences work the
same way: followers are built in, a domain adds (say) the people in a shared conversation.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core.errors import NotFound
from sparkle.posts import service as posts_service
from sparkle.social import service as social_service

Authorizer = Callable[[AsyncSession, User, uuid.UUID], Awaitable[bool]]
Audience = Callable[[AsyncSession, uuid.UUID], Awaitable[Iterable[uuid.UUID]]]

# Seed 003's room names for the subscribe events.
SUBSCRIPTION_KINDS = {"Post": "post", "User": "user-updates", "Conversation": "conversation"}

_authorizers: dict[str, Authorizer] = {}
_audiences: list[Audience] = []
# Inbound events other domains handle: name → (payload type, handler(hub, conn, payload), the
# error code of a failure); and callbacks run when a socket goes away.
_events: dict[str, tuple[Any, Callable[..., Awaitable[Any]], str]] = {}
_disconnects: list[Callable[..., Awaitable[None]]] = []
# Outbound events other domains send: name → (payload model, rooms, the sending module).
_outbound: dict[str, tuple[Any, str, str]] = {}
_hubs: weakref.WeakSet[Any] = weakref.WeakSet()


def register_event(
    name: str, model: Any, handler: Callable[..., Awaitable[Any]], failure: str
) -> None:
    """Handle inbound event `name`: the payload is validated as `model`, rate-limited, and
    `handler(hub, conn, payload)` runs; its return value is the ack. Raise
    `sparkle.realtime.hub.Refused` to answer with an `error` event."""
    _events[name] = (model, handler, failure)
    for hub in list(_hubs):
        hub.attach(name, model, handler, failure)


def register_outbound(name: str, model: Any, rooms: str, module: str) -> None:
    """Declare server → client event `name`: its payload is `model` (the first line of the
    model's docstring describes it) and it is sent to `rooms`. docs/realtime.md lists it."""
    _outbound[name] = (model, rooms, module)


def register_disconnect(callback: Callable[..., Awaitable[None]]) -> None:
    """Run `callback(hub, conn)` when a socket of this process disconnects."""
    if callback not in _disconnects:
        _disconnects.append(callback)


def register_channel(kind: str, authorizer: Authorizer) -> None:
    """Let sockets join `{kind}:{id}` rooms when `authorizer` says yes."""
    _authorizers[kind] = authorizer


def register_presence_audience(audience: Audience) -> None:
    """Add people who see a user's presence changes (beyond their followers)."""
    if audience not in _audiences:
        _audiences.append(audience)


def authorizer(kind: str) -> Authorizer | None:
    return _authorizers.get(kind)


def room(kind: str, ident: uuid.UUID | str) -> str:
    return f"{kind}:{ident}"


def parse_room(value: str) -> tuple[str, uuid.UUID]:
    kind, _, ident = value.partition(":")
    return kind, uuid.UUID(ident)


async def audience(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone who should hear about `user_id`'s presence."""
    found: set[uuid.UUID] = set()
    for provider in _audiences:
        found.update(await provider(session, user_id))
    found.discard(user_id)
    return found


async def _may_read_post(session: AsyncSession, user: User, post_id: uuid.UUID) -> bool:
    try:
        await posts_service.access_readable(session, user, post_id)
    except NotFound:
        return False
    return True


async def _user_exists(session: AsyncSession, _user: User, user_id: uuid.UUID) -> bool:
    target = await accounts_service.get(session, user_id)
    return target is not None and target.deleted_at is None


async def _followers(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return await social_service.follower_ids(session, user_id)


register_channel("post", _may_read_post)
register_channel("user-updates", _user_exists)
register_presence_audience(_followers)
