"""Messaging queries: participants, unread counts, reactions and settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import utcnow
from sparkle.core.db.base import new_id
from sparkle.messaging.models import (
    Conversation,
    ConversationParticipant,
    Message,
    MessageReaction,
    MessagingSettings,
)
from sparkle.social import service as social_service


def _insert(session: AsyncSession):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def participant(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> ConversationParticipant | None:
    stmt = select(ConversationParticipant).where(
        ConversationParticipant.conversation_id == conversation_id,
        ConversationParticipant.user_id == user_id,
    )
    return (await session.scalars(stmt)).first()


async def participation(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Conversation, ConversationParticipant] | None:
    """The conversation and `user_id`'s active participation in it (one query)."""
    p = ConversationParticipant
    stmt = (
        select(Conversation, p)
        .join(p, p.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, p.user_id == user_id, p.is_active.is_(True))
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row is not None else None


async def with_active(
    session: AsyncSession, conversation_id: uuid.UUID
) -> tuple[Conversation | None, list[ConversationParticipant]]:
    """The conversation and all its active participants (one query)."""
    p = ConversationParticipant
    stmt = (
        select(Conversation, p)
        .join(p, p.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, p.is_active.is_(True))
    )
    rows = (await session.execute(stmt)).all()
    return (rows[0][0] if rows else None), [r[1] for r in rows]


async def participants(
    session: AsyncSession, conversation_ids: list[uuid.UUID]
) -> list[ConversationParticipant]:
    if not conversation_ids:
        return []
    stmt = (
        select(ConversationParticipant)
        .where(ConversationParticipant.conversation_id.in_(conversation_ids))
        .order_by(ConversationParticipant.joined_at, ConversationParticipant.id)
    )
    return list((await session.scalars(stmt)).all())


async def active_user_ids(session: AsyncSession, conversation_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(ConversationParticipant.user_id).where(
        ConversationParticipant.conversation_id == conversation_id,
        ConversationParticipant.is_active.is_(True),
    )
    return list((await session.scalars(stmt)).all())


def conversations_of(user_id: uuid.UUID) -> Select[Conversation]:
    return (
        select(Conversation)
        .join(ConversationParticipant, ConversationParticipant.conversation_id == Conversation.id)
        .where(
            ConversationParticipant.user_id == user_id, ConversationParticipant.is_active.is_(True)
        )
    )


async def direct(session: AsyncSession, key: str) -> Conversation | None:
    return (
        await session.scalars(select(Conversation).where(Conversation.direct_key == key))
    ).first()


async def insert_direct(
    session: AsyncSession, key: str, creator: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """Create the pair's conversation unless it exists (two racing creators meet in the unique
    key)."""
    stmt = (
        _insert(session)(Conversation)
        .values(
            id=new_id(),
            kind="direct",
            direct_key=key,
            created_by=creator,
            message_count=0,
            last_message_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Conversation.direct_key])
        .returning(Conversation.id)
    )
    return (await session.execute(stmt)).scalar()


async def messages_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Message]:
    if not ids:
        return {}
    return {
        m.id: m for m in (await session.scalars(select(Message).where(Message.id.in_(ids)))).all()
    }


async def record_message(session: AsyncSession, message: Message) -> int:
    """Point the conversation at its newest message; the count is incremented in SQL (exact
    under concurrent senders). Returns the new count."""
    stmt = (
        update(Conversation)
        .where(Conversation.id == message.conversation_id)
        .values(
            message_count=Conversation.message_count + 1,
            last_message_id=message.id,
            last_message_at=message.created_at,
            updated_at=utcnow(),
        )
        .returning(Conversation.message_count)
    )
    return int((await session.execute(stmt)).scalar_one())


async def advance_read(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID, message_id: uuid.UUID
) -> bool:
    """Move the read pointer forward (never back). True when it moved."""
    stmt = (
        update(ConversationParticipant)
        .where(
            ConversationParticipant.conversation_id == conversation_id,
            ConversationParticipant.user_id == user_id,
            or_(
                ConversationParticipant.last_read_message_id.is_(None),
                ConversationParticipant.last_read_message_id < message_id,
            ),
        )
        .values(last_read_message_id=message_id, last_read_at=utcnow())
        .returning(ConversationParticipant.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def unread_counts(
    session: AsyncSession, user_id: uuid.UUID, conversation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Messages from others after the user's read pointer, per conversation (one query)."""
    if not conversation_ids:
        return {}
    p = ConversationParticipant
    stmt = (
        select(Message.conversation_id, func.count(Message.id))
        .join(p, and_(p.conversation_id == Message.conversation_id, p.user_id == user_id))
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.deleted_at.is_(None),
            or_(Message.sender_id.is_(None), Message.sender_id != user_id),
            or_(p.last_read_message_id.is_(None), Message.id > p.last_read_message_id),
            Message.created_at >= p.joined_at,
        )
        .group_by(Message.conversation_id)
    )
    return dict((await session.execute(stmt)).all())


async def total_unread(session: AsyncSession, user_id: uuid.UUID) -> int:
    ids = list(
        (await session.scalars(conversations_of(user_id).with_only_columns(Conversation.id))).all()
    )
    return sum((await unread_counts(session, user_id, ids)).values())


# --- settings ---------------------------------------------------------------------------


async def recipients_state(
    session: AsyncSession, sender: uuid.UUID, recipients: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, bool]]:
    """recipient → (their DM policy if they set one, whether a block stands between them and
    `sender` either way), in one query."""
    if not recipients:
        return {}
    blocked = social_service.block_exists(sender, User.id.expression)
    stmt = (
        select(User.id, MessagingSettings.dm_policy, blocked)
        .outerjoin(MessagingSettings, MessagingSettings.user_id == User.id)
        .where(User.id.in_(recipients))
    )
    return {uid: (policy, bool(b)) for uid, policy, b in (await session.execute(stmt)).all()}


async def settings_of(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, MessagingSettings]:
    if not user_ids:
        return {}
    stmt = select(MessagingSettings).where(MessagingSettings.user_id.in_(user_ids))
    return {s.user_id: s for s in (await session.scalars(stmt)).all()}


async def direct_partners(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Everyone `user_id` shares a direct conversation with."""
    mine = ConversationParticipant
    stmt = (
        select(ConversationParticipant.user_id)
        .join(Conversation, Conversation.id == ConversationParticipant.conversation_id)
        .where(
            Conversation.kind == "direct",
            ConversationParticipant.user_id != user_id,
            Conversation.id.in_(
                select(mine.conversation_id).where(
                    mine.user_id == user_id, mine.is_active.is_(True)
                )
            ),
        )
        .limit(5000)
    )
    return list((await session.scalars(stmt)).all())


# --- notifications -------------------------------------------------------------------------


async def messages_since(
    session: AsyncSession, first: Message, *, limit: int = 200
) -> list[Message]:
    """`first` and the conversation's later messages that notify (not system, not deleted),
    oldest first; the newest `limit` when there are more."""
    stmt = (
        select(Message)
        .where(
            Message.conversation_id == first.conversation_id,
            Message.type != "system",
            Message.deleted_at.is_(None),
            Message.sender_id.is_not(None),
            or_(
                Message.created_at > first.created_at,
                and_(Message.created_at == first.created_at, Message.id >= first.id),
            ),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed((await session.scalars(stmt)).all()))


# --- reactions -----------------------------------------------------------------------------


async def add_reaction(
    session: AsyncSession, message_id: uuid.UUID, user_id: uuid.UUID, reaction_type: str
) -> bool:
    """True when the reaction is new (a repeat is a no-op, also under concurrent requests)."""
    stmt = (
        _insert(session)(MessageReaction)
        .values(
            id=new_id(),
            message_id=message_id,
            user_id=user_id,
            reaction_type=reaction_type,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=[
                MessageReaction.message_id,
                MessageReaction.user_id,
                MessageReaction.reaction_type,
            ]
        )
        .returning(MessageReaction.id)
    )
    return (await session.execute(stmt)).first() is not None


async def remove_reaction(
    session: AsyncSession, message_id: uuid.UUID, user_id: uuid.UUID, reaction_type: str
) -> bool:
    stmt = (
        delete(MessageReaction)
        .where(
            MessageReaction.message_id == message_id,
            MessageReaction.user_id == user_id,
            MessageReaction.reaction_type == reaction_type,
        )
        .returning(MessageReaction.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def reaction_counts(
    session: AsyncSession, message_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """message → {type: count} for the types someone used (one query)."""
    if not message_ids:
        return {}
    stmt = (
        select(MessageReaction.message_id, MessageReaction.reaction_type, func.count())
        .where(MessageReaction.message_id.in_(message_ids))
        .group_by(MessageReaction.message_id, MessageReaction.reaction_type)
    )
    out: dict[uuid.UUID, dict[str, int]] = {}
    for mid, kind, n in (await session.execute(stmt)).all():
        out.setdefault(mid, {})[kind] = n
    return out


async def reactions_of(
    session: AsyncSession, user_id: uuid.UUID, message_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """message → the types `user_id` reacted with."""
    if not message_ids:
        return {}
    stmt = select(MessageReaction.message_id, MessageReaction.reaction_type).where(
        MessageReaction.user_id == user_id, MessageReaction.message_id.in_(message_ids)
    )
    out: dict[uuid.UUID, list[str]] = {}
    for mid, kind in (await session.execute(stmt)).all():
        out.setdefault(mid, []).append(kind)
    return out
