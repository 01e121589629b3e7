"""Messaging over Socket.IO: `sendMessage` and `markMessageRead` (seed 003),
`addMessageReaction` / `removeMessageReaction`, the `conversation:{id}` room's authorizer, and
the after-commit emits of messaging events (`messageReceived`, `messageUpdated`,
`messageDeleted`, `messageRead`, `conversationUpdated`, `messageReactionUpdated`).

Handlers run one unit of work each and answer only after it committed, so an `{ok: true}` ack
always names a message that exists.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import RootModel

from sparkle import realtime
from sparkle.accounts.models import User
from sparkle.core.db import session_scope
from sparkle.core.errors import SparkleError
from sparkle.messaging import service
from sparkle.messaging.events import (
    ConversationUpdated,
    MessageCreated,
    MessageMarkedRead,
    MessageReacted,
    MessageUpdated,
)
from sparkle.messaging.schemas import (
    ConversationRead,
    MessageCreate,
    MessageReactionChange,
    MessageRead,
    ReadMark,
    ReadReceipt,
)
from sparkle.reactions.models import ReactionType
from sparkle.realtime.hub import live_user, refusal
from sparkle.realtime.schemas import ErrorCode, Inbound


class SendMessageIn(MessageCreate):
    """`sendMessage {conversationId, content, type}` (plus optional attachmentIds, replyToId)."""

    conversation_id: uuid.UUID


class MessageReactionIn(Inbound):
    """`addMessageReaction` / `removeMessageReaction {messageId, type}`; the ack carries the
    message's fresh counts and your own types."""

    message_id: uuid.UUID
    type: ReactionType


class MarkReadIn(RootModel[uuid.UUID | ReadMark]):
    """`markMessageRead(messageId)`; `{messageId}` is accepted too."""

    @property
    def message_id(self) -> uuid.UUID:
        return self.root if isinstance(self.root, uuid.UUID) else self.root.message_id


async def send_message(hub: Any, conn: Any, payload: SendMessageIn) -> dict[str, Any]:
    data = MessageCreate.model_validate(payload.model_dump(exclude={"conversation_id"}))
    try:
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            read = await service.send(
                session, user, payload.conversation_id, data, limiter=hub.rt.limiter
            )
    except SparkleError as exc:
        raise refusal(exc, ErrorCode.MESSAGE_SEND_FAILED) from None
    return {"ok": True, "message": read.model_dump(mode="json", by_alias=True)}


async def mark_message_read(hub: Any, conn: Any, payload: MarkReadIn) -> dict[str, Any]:
    try:
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            state = await service.mark_read(session, user, payload.message_id)
    except SparkleError as exc:
        raise refusal(exc, ErrorCode.MESSAGE_READ_FAILED) from None
    return {"ok": True, **state.model_dump(mode="json", by_alias=True)}


async def _react(hub: Any, conn: Any, payload: MessageReactionIn, on: bool) -> dict[str, Any]:
    failure = ErrorCode.REACTION_ADD_FAILED if on else ErrorCode.REACTION_REMOVE_FAILED
    try:
        async with session_scope(hub.sessions, write=True) as session:
            user = await live_user(session, conn)
            result = await service.react(
                session, user, payload.message_id, payload.type, on=on, limiter=hub.rt.limiter
            )
    except SparkleError as exc:
        raise refusal(exc, failure) from None
    return {"ok": True, **result.model_dump(mode="json", by_alias=True)}


async def add_reaction(hub: Any, conn: Any, payload: MessageReactionIn) -> dict[str, Any]:
    return await _react(hub, conn, payload, True)


async def remove_reaction(hub: Any, conn: Any, payload: MessageReactionIn) -> dict[str, Any]:
    return await _react(hub, conn, payload, False)


# --- after-commit emits ----------------------------------------------------------------------


def _user_rooms(ids: list[uuid.UUID]) -> list[str]:
    return [f"user:{u}" for u in ids]


@realtime.route(MessageCreated, inline=True)
async def _created(ctx: Any, event: MessageCreated) -> None:
    users = _user_rooms(event.participant_ids)
    await ctx.emit(
        "messageReceived", event.message, [f"conversation:{event.conversation_id}", *users]
    )
    await ctx.emit("conversationUpdated", event.conversation, users)


@realtime.route(MessageUpdated, inline=True)
async def _updated(ctx: Any, event: MessageUpdated) -> None:
    name = "messageDeleted" if event.message.get("deleted") else "messageUpdated"
    users = _user_rooms(event.participant_ids)
    await ctx.emit(name, event.message, [f"conversation:{event.conversation_id}", *users])


@realtime.route(MessageMarkedRead, inline=True)
async def _read(ctx: Any, event: MessageMarkedRead) -> None:
    receipt = ReadReceipt.model_validate(event.wire())
    await ctx.emit("messageRead", _wire(receipt), f"user:{event.sender_id}")


@realtime.route(MessageReacted, inline=True)
async def _reacted(ctx: Any, event: MessageReacted) -> None:
    change = MessageReactionChange.model_validate(event.wire())
    await ctx.emit("messageReactionUpdated", _wire(change), f"conversation:{event.conversation_id}")


@realtime.route(ConversationUpdated, inline=True)
async def _conversation(ctx: Any, event: ConversationUpdated) -> None:
    await ctx.emit("conversationUpdated", event.conversation, _user_rooms(event.participant_ids))


def _wire(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


async def _may_join(session: Any, user: User, conversation_id: uuid.UUID) -> bool:
    return await service.may_join_room(session, user, conversation_id)


async def _partners(session: Any, user_id: uuid.UUID) -> list[uuid.UUID]:
    return await service.direct_partners(session, user_id)


realtime.register_channel("conversation", _may_join)
for _event, _model, _rooms in (
    ("messageReceived", MessageRead, "`conversation:{id}` and each participant's `user:{id}`"),
    ("messageUpdated", MessageRead, "`conversation:{id}` and each participant's `user:{id}`"),
    ("messageDeleted", MessageRead, "`conversation:{id}` and each participant's `user:{id}`"),
    ("conversationUpdated", ConversationRead, "each participant's `user:{id}`"),
    ("messageRead", ReadReceipt, "the sender's `user:{id}`"),
    ("messageReactionUpdated", MessageReactionChange, "`conversation:{id}`"),
):
    realtime.register_outbound(_event, _model, _rooms, __name__)
realtime.register_presence_audience(_partners)
realtime.register_event(
    "sendMessage", SendMessageIn, send_message, ErrorCode.MESSAGE_SEND_FAILED.value
)
realtime.register_event(
    "markMessageRead", MarkReadIn, mark_message_read, ErrorCode.MESSAGE_READ_FAILED.value
)
realtime.register_event(
    "addMessageReaction", MessageReactionIn, add_reaction, ErrorCode.REACTION_ADD_FAILED.value
)
realtime.register_event(
    "removeMessageReaction",
    MessageReactionIn,
    remove_reaction,
    ErrorCode.REACTION_REMOVE_FAILED.value,
)
