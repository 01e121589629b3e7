"""Events of the messaging domain: messages, receipts, reactions and conversations.

`message` and `conversation` are the read models' wire form, so the socket routes forward them
as they are."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sparkle.core.events import DomainEvent


class MessageCreated(DomainEvent):
    """A message was sent in a conversation."""

    name: ClassVar[str] = "message:created"
    conversation_id: uuid.UUID
    participant_ids: list[uuid.UUID]
    message: dict[str, Any]
    conversation: dict[str, Any]


class MessageUpdated(DomainEvent):
    """A message was edited or deleted (`message.deleted`)."""

    name: ClassVar[str] = "message:updated"
    conversation_id: uuid.UUID
    participant_ids: list[uuid.UUID]
    message: dict[str, Any]


class MessageMarkedRead(DomainEvent):
    """`readBy` read up to `messageId` (sent only when both sides share read receipts)."""

    name: ClassVar[str] = "message:read"
    message_id: uuid.UUID
    read_by: uuid.UUID
    sender_id: uuid.UUID
    conversation_id: uuid.UUID


class MessageReacted(DomainEvent):
    """A participant added or removed (`added`) a reaction on a message."""

    name: ClassVar[str] = "message:reacted"
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    type: str
    added: bool
    reactions: dict[str, int]


class ConversationUpdated(DomainEvent):
    """A conversation's title, avatar, members or last message changed."""

    name: ClassVar[str] = "conversation:updated"
    participant_ids: list[uuid.UUID]
    conversation: dict[str, Any]
