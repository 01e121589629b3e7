"""Conversation, message and settings schemas (camelCase on the wire)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from sparkle.accounts.schemas import UserRef
from sparkle.core.schemas import InputSchema, Schema

MAX_CONTENT = 5000
MAX_GROUP = 50
MAX_ATTACHMENTS = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Must not contain control characters")
    if len(value) > MAX_CONTENT:
        raise ValueError(f"At most {MAX_CONTENT} characters")
    return value


def _title(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value) or "\n" in value:
        raise ValueError("Must be one line of text")
    if len(value) > 100:
        raise ValueError("At most 100 characters")
    return value or None


Content = Annotated[str, AfterValidator(_text)]
Title = Annotated[str | None, AfterValidator(_title)]


class AttachmentRead(Schema):
    id: uuid.UUID
    file_type: str
    mime_type: str
    original_name: str
    file_size: int
    url: str
    thumbnail_url: str | None = None
    blurhash: str | None = None
    dimensions: dict[str, Any] | None = None


class MessageRead(Schema):
    """A message as its conversation's participants see it."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    sender_id: uuid.UUID | None = None
    sender: UserRef | None = None
    type: str
    content: str
    attachments: list[AttachmentRead] = Field(default_factory=list)
    reply_to_id: uuid.UUID | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    created_at: datetime
    reactions: dict[str, int] = Field(
        default_factory=dict, description="Count per reaction type (types nobody used left out)"
    )
    my_reactions: list[str] = Field(default_factory=list, description="The types you reacted with")


class MessageReactions(Schema):
    """A message's reactions after a change."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    reactions: dict[str, int]
    my_reactions: list[str]


class MessageReactionChange(Schema):
    """Somebody added or took back a reaction; `reactions` are the message's new counts."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    type: str
    added: bool
    reactions: dict[str, int]


class ReadReceipt(Schema):
    """A participant read the conversation up to `messageId` (only when both share receipts)."""

    message_id: uuid.UUID
    read_by: uuid.UUID


class MessagePage(Schema):
    items: list[MessageRead]
    next_cursor: str | None = None


class ParticipantRead(Schema):
    user: UserRef
    role: str
    is_active: bool
    joined_at: datetime
    # Only when both the viewer and this participant share read receipts.
    last_read_message_id: uuid.UUID | None = None


class ConversationRead(Schema):
    """A conversation with its participants, last message and counters."""

    id: uuid.UUID
    kind: Literal["direct", "group"]
    title: str | None = None
    avatar_url: str | None = None
    participants: list[ParticipantRead]
    last_message: MessageRead | None = None
    last_message_id: uuid.UUID | None = None
    last_message_at: datetime | None = None
    message_count: int
    unread_count: int = 0
    muted_until: datetime | None = None
    role: str
    created_at: datetime


class ConversationPage(Schema):
    items: list[ConversationRead]
    next_cursor: str | None = None


class ConversationCreate(InputSchema):
    participant_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_GROUP - 1)
    title: Title = None
    group: bool = Field(False, description="Make a group even with one other participant")

    @field_validator("participant_ids")
    @classmethod
    def _unique(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        return list(dict.fromkeys(value))


class ConversationUpdate(InputSchema):
    title: Title = None
    avatar_url: str | None = Field(None, max_length=2000, pattern=r"^(https://|/)[^\s<>\"']*$")


class MessageCreate(InputSchema):
    content: Content = ""
    type: Literal["text", "image", "file"] = "text"
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    reply_to_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _something(self) -> MessageCreate:
        if not self.content.strip() and not self.attachment_ids:
            raise ValueError("A message needs content or an attachment")
        return self


class MessageUpdate(InputSchema):
    content: Content = Field(min_length=1)


class ReadMark(InputSchema):
    message_id: uuid.UUID


class ReadState(Schema):
    conversation_id: uuid.UUID
    last_read_message_id: uuid.UUID | None = None
    unread_count: int


class ParticipantsAdd(InputSchema):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_GROUP - 1)


class ParticipantUpdate(InputSchema):
    role: Literal["admin", "member"]


class MuteUpdate(InputSchema):
    muted_until: datetime | None = None


class MessagingSettingsRead(Schema):
    dm_policy: Literal["everyone", "following", "nobody"]
    read_receipts: bool


class MessagingSettingsUpdate(InputSchema):
    dm_policy: Literal["everyone", "following", "nobody"] | None = None
    read_receipts: bool | None = None
