"""Conversations (direct: one per pair of users; group: up to 50), their participants,
messages and reactions to them, and per-user messaging settings."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class ParticipantRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class MessageType(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    FILE = "file"
    SYSTEM = "system"


class DmPolicy(enum.StrEnum):
    EVERYONE = "everyone"
    FOLLOWING = "following"
    NOBODY = "nobody"


class Conversation(UUIDPrimaryKey, Base):
    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint("kind IN ('direct', 'group')", name="kind"),)

    kind: Mapped[str] = mapped_column(String(10))
    # "smaller-id:larger-id" for direct conversations: the database keeps one per pair.
    direct_key: Mapped[str | None] = mapped_column(String(73), unique=True)
    title: Mapped[str | None] = mapped_column(String(100))
    avatar_url: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_message_id: Mapped[uuid.UUID | None]
    last_message_at: Mapped[datetime | None]
    message_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationParticipant(UUIDPrimaryKey, Base):
    __tablename__ = "conversation_participants"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id"),
        Index("ix_conversation_participants_user_active", "user_id", "is_active"),
        CheckConstraint("role IN ('owner', 'admin', 'member')", name="role"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10), default=ParticipantRole.MEMBER.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    muted_until: Mapped[datetime | None]
    last_read_message_id: Mapped[uuid.UUID | None]
    last_read_at: Mapped[datetime | None]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]


class Message(UUIDPrimaryKey, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        CheckConstraint("type IN ('text', 'image', 'file', 'system')", name="type"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = mapped_column(String(10), default=MessageType.TEXT.value)
    content: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageReaction(UUIDPrimaryKey, Base):
    """One reaction of one type by one user on one message (the reactions domain's six types)."""

    __tablename__ = "message_reactions"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", "reaction_type"),
        CheckConstraint(
            "reaction_type IN ('LIKE', 'LOVE', 'LAUGH', 'WOW', 'SAD', 'ANGRY')",
            name="reaction_type",
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reaction_type: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessagingSettings(Base):
    __tablename__ = "messaging_settings"
    __table_args__ = (
        CheckConstraint("dm_policy IN ('everyone', 'following', 'nobody')", name="dm_policy"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    dm_policy: Mapped[str] = mapped_column(String(10), default=DmPolicy.EVERYONE.value)
    read_receipts: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
