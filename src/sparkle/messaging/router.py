"""`/api/conversations`, `/api/messages`, `/api/messaging/settings`.

Changes to a conversation answer with the conversation as the caller now sees it; changes to a
message with the message."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import RedirectResponse

from sparkle.accounts.models import User
from sparkle.auth.deps import CurrentUser
from sparkle.core.deps import DbSession, RuntimeDep
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
from sparkle.messaging import (
    attachments,
    service,
)
from sparkle.messaging.models import Message
from sparkle.messaging.schemas import (
    ConversationCreate,
    ConversationPage,
    ConversationRead,
    ConversationUpdate,
    MessageCreate,
    MessagePage,
    MessageReactions,
    MessageRead,
    MessageUpdate,
    MessagingSettingsRead,
    MessagingSettingsUpdate,
    MuteUpdate,
    ParticipantsAdd,
    ParticipantUpdate,
    ReadMark,
    ReadState,
)
from sparkle.reactions.models import ReactionType

router = APIRouter(prefix="/api", tags=["messages"])
Cursor = Annotated[str | None, Query(description="`nextCursor` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


class UnreadTotal(Schema):
    unread_count: int


async def _reread(db: DbSession, user: User, conversation_id: uuid.UUID) -> ConversationRead:
    return await service.read_conversation(db, user, conversation_id)


async def _message(db: DbSession, user: User, message: Message) -> MessageRead:
    return await service.read_message(db, message, user)


@router.get(
    "/conversations",
    response_model=ConversationPage,
    summary="Your conversations, latest activity first",
    responses=errors(Unauthorized, ValidationFailed),
)
async def list_conversations(
    user: CurrentUser, db: DbSession, cursor: Cursor = None, limit: Limit = 20
) -> ConversationPage:
    """Each with its unread count, last message and participants."""
    return await service.list_conversations(db, user, cursor=cursor, limit=limit)


@router.post(
    "/conversations",
    status_code=201,
    response_model=ConversationRead,
    summary="Start a conversation (a direct one that exists is returned with 200)",
    responses=errors(Unauthorized, ValidationFailed, Forbidden),
)
async def create_conversation(
    data: ConversationCreate, user: CurrentUser, db: DbSession, response: Response
) -> ConversationRead:
    conv, created = await service.create_conversation(db, user, data)
    if not created:
        response.status_code = 200
    return await _reread(db, user, conv.id)


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationRead,
    summary="One conversation",
    responses=errors(Unauthorized, NotFound),
)
async def get_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> ConversationRead:
    return await service.read_conversation(db, user, conversation_id)


@router.patch(
    "/conversations/{conversation_id}",
    response_model=ConversationRead,
    summary="Rename a group or change its avatar (owner and admins)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def update_conversation(
    conversation_id: uuid.UUID, data: ConversationUpdate, user: CurrentUser, db: DbSession
) -> ConversationRead:
    await service.update_conversation(db, user, conversation_id, data)
    return await _reread(db, user, conversation_id)


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=MessagePage,
    summary="A conversation's messages, newest first",
    responses=errors(Unauthorized, NotFound, ValidationFailed),
)
async def list_messages(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> MessagePage:
    return await service.list_messages(db, user, conversation_id, cursor=cursor, limit=limit)


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    response_model=MessageRead,
    summary="Send a message",
    responses=errors(Unauthorized, NotFound, Forbidden, ValidationFailed, TooManyRequests),
)
async def send_message(
    conversation_id: uuid.UUID,
    data: MessageCreate,
    user: CurrentUser,
    db: DbSession,
    rt: RuntimeDep,
) -> MessageRead:
    """The same as the `sendMessage` socket event: participants get `messageReceived`."""
    return await service.send(db, user, conversation_id, data, limiter=rt.limiter)


@router.patch(
    "/messages/{message_id}",
    response_model=MessageRead,
    summary="Edit your message",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def edit_message(
    message_id: uuid.UUID, data: MessageUpdate, user: CurrentUser, db: DbSession
) -> MessageRead:
    return await _message(db, user, await service.edit(db, user, message_id, data))


@router.delete(
    "/messages/{message_id}",
    response_model=MessageRead,
    summary="Delete your message (it stays as “Message deleted”)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict),
)
async def delete_message(message_id: uuid.UUID, user: CurrentUser, db: DbSession) -> MessageRead:
    return await _message(db, user, await service.delete(db, user, message_id))


@router.post(
    "/messages/{message_id}/reactions/{type}",
    response_model=MessageReactions,
    summary="React to a message (participants)",
    responses=errors(Unauthorized, NotFound, Conflict, ValidationFailed, TooManyRequests),
)
async def add_reaction(
    message_id: uuid.UUID,
    reaction_type: Annotated[ReactionType, Path(alias="type")],
    user: CurrentUser,
    db: DbSession,
    rt: RuntimeDep,
) -> MessageReactions:
    """One of each type per person; the conversation hears `messageReactionUpdated`."""
    return await service.react(db, user, message_id, reaction_type, on=True, limiter=rt.limiter)


@router.delete(
    "/messages/{message_id}/reactions/{type}",
    response_model=MessageReactions,
    summary="Take your reaction back",
    responses=errors(Unauthorized, NotFound, Conflict, ValidationFailed, TooManyRequests),
)
async def remove_reaction(
    message_id: uuid.UUID,
    reaction_type: Annotated[ReactionType, Path(alias="type")],
    user: CurrentUser,
    db: DbSession,
    rt: RuntimeDep,
) -> MessageReactions:
    return await service.react(db, user, message_id, reaction_type, on=False, limiter=rt.limiter)


@router.get(
    "/messages/{message_id}/attachments/{file_id}",
    status_code=307,
    response_class=RedirectResponse,
    summary="A message's attachment (participants): redirects to the file",
    responses={
        307: {
            "description": "Redirect to the file (a freshly signed URL for private files)",
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        },
        **errors(Unauthorized, NotFound, ValidationFailed),
    },
)
async def get_attachment(
    message_id: uuid.UUID,
    file_id: uuid.UUID,
    user: CurrentUser,
    db: DbSession,
    variant: Annotated[Literal["thumbnail"] | None, Query()] = None,
) -> RedirectResponse:
    """Private files get a freshly signed link, so links in old messages keep working."""
    url = await attachments.locate(db, user, message_id, file_id, variant)
    # Cached no longer than a signed link lives.
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, max-age=60"})


@router.get(
    "/messages/unread-count",
    response_model=UnreadTotal,
    summary="Unread messages in all your conversations",
    responses=errors(Unauthorized),
)
async def unread_count(user: CurrentUser, db: DbSession) -> UnreadTotal:
    return UnreadTotal(unread_count=await service.unread_total(db, user))


@router.post(
    "/conversations/{conversation_id}/read",
    response_model=ReadState,
    summary="Mark everything up to a message read",
    responses=errors(Unauthorized, NotFound, ValidationFailed),
)
async def mark_read(
    conversation_id: uuid.UUID, data: ReadMark, user: CurrentUser, db: DbSession
) -> ReadState:
    """The sender hears `messageRead` when both of you share read receipts."""
    return await service.mark_read(db, user, data.message_id, conversation_id)


@router.post(
    "/conversations/{conversation_id}/participants",
    response_model=ConversationRead,
    summary="Add people to a group (owner and admins)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def add_participants(
    conversation_id: uuid.UUID, data: ParticipantsAdd, user: CurrentUser, db: DbSession
) -> ConversationRead:
    await service.add_participants(db, user, conversation_id, data.user_ids)
    return await _reread(db, user, conversation_id)


@router.delete(
    "/conversations/{conversation_id}/participants/{user_id}",
    status_code=204,
    summary="Leave a group (your own id) or remove someone (owner and admins)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict),
)
async def remove_participant(
    conversation_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    await service.remove_participant(db, user, conversation_id, user_id)


@router.patch(
    "/conversations/{conversation_id}/participants/{user_id}",
    response_model=ConversationRead,
    summary="Make a participant an admin or a member (owner)",
    responses=errors(Unauthorized, NotFound, Forbidden, Conflict, ValidationFailed),
)
async def update_participant(
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    data: ParticipantUpdate,
    user: CurrentUser,
    db: DbSession,
) -> ConversationRead:
    await service.set_role(db, user, conversation_id, user_id, data.role)
    return await _reread(db, user, conversation_id)


@router.put(
    "/conversations/{conversation_id}/mute",
    response_model=ConversationRead,
    summary="Mute a conversation's notifications until a time (null: unmute)",
    responses=errors(Unauthorized, NotFound, ValidationFailed),
)
async def mute(
    conversation_id: uuid.UUID, data: MuteUpdate, user: CurrentUser, db: DbSession
) -> ConversationRead:
    await service.mute(db, user, conversation_id, data.muted_until)
    return await _reread(db, user, conversation_id)


@router.get(
    "/messaging/settings",
    response_model=MessagingSettingsRead,
    summary="Who may message you, and read receipts",
    responses=errors(Unauthorized),
)
async def get_settings(user: CurrentUser, db: DbSession) -> MessagingSettingsRead:
    return await service.get_settings(db, user.id)


@router.patch(
    "/messaging/settings",
    response_model=MessagingSettingsRead,
    summary="Change who may message you (everyone, people you follow, nobody) and read receipts",
    responses=errors(Unauthorized, ValidationFailed),
)
async def update_settings(
    data: MessagingSettingsUpdate, user: CurrentUser, db: DbSession
) -> MessagingSettingsRead:
    return await service.update_settings(db, user, data)
