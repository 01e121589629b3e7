"""Receipts: reactions on messages and read marks (`message:reacted`, `message:read`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.messaging import repository
from sparkle.messaging.errors import (
    ConversationNotFound,
    MessageDeleted,
    MessageNotFound,
)
from sparkle.messaging.events import (
    MessageMarkedRead,
    MessageReacted,
)
from sparkle.messaging.models import (
    Message,
)
from sparkle.messaging.schemas import (
    MessageReactions,
    ReadState,
)
from sparkle.messaging.service.messages import visible_message
from sparkle.messaging.service.policy import (
    REACTIONS_PER_USER,
    access,
)
from sparkle.messaging.service.reading import reactions_for
from sparkle.reactions.models import ReactionType


async def react(
    session: AsyncSession,
    actor: User,
    message_id: uuid.UUID,
    reaction_type: ReactionType,
    *,
    on: bool,
    limiter: Limiter | None = None,
) -> MessageReactions:
    """Add (`on`) or take back one reaction of the actor's on a message; the conversation's
    room hears `messageReactionUpdated` with the fresh counts when something changed."""
    if limiter is not None:
        await limiter.hit(REACTIONS_PER_USER, "message-reaction", str(actor.id))
    message = await visible_message(session, actor, message_id)
    if message.deleted_at is not None:
        raise MessageDeleted()
    change = repository.add_reaction if on else repository.remove_reaction
    changed = await change(session, message.id, actor.id, reaction_type.value)
    counts, mine = await reactions_for(session, actor.id, [message.id])
    result = MessageReactions(
        message_id=message.id,
        conversation_id=message.conversation_id,
        reactions=counts.get(message.id, {}),
        my_reactions=mine.get(message.id, []),
    )
    if changed:
        events.publish(
            session,
            MessageReacted(
                message_id=message.id,
                conversation_id=message.conversation_id,
                user_id=actor.id,
                type=reaction_type.value,
                added=on,
                reactions=result.reactions,
            ),
        )
    return result


async def mark_read(
    session: AsyncSession,
    reader: User,
    message_id: uuid.UUID,
    conversation_id: uuid.UUID | None = None,
) -> ReadState:
    """Everything up to `message_id` is read. Its sender hears `messageRead` when both share
    read receipts (turning them off also hides other people's)."""
    message = await session.get(Message, message_id)
    if conversation_id is not None:
        conv, part = await access(session, reader, conversation_id)
        if message is None or message.conversation_id != conv.id:
            raise ValidationFailed(
                "The message is not in this conversation",
                fields={"messageId": "Not in this conversation"},
            )
    else:
        if message is None:
            raise MessageNotFound()
        try:
            conv, part = await access(session, reader, message.conversation_id)
        except ConversationNotFound:
            raise MessageNotFound() from None
    moved = await repository.advance_read(session, conv.id, reader.id, message.id)
    unread = (await repository.unread_counts(session, reader.id, [conv.id])).get(conv.id, 0)
    if moved and message.sender_id and message.sender_id != reader.id:
        prefs = await repository.settings_of(session, [reader.id, message.sender_id])
        if all(
            prefs[u].read_receipts if u in prefs else True for u in (reader.id, message.sender_id)
        ):
            events.publish(
                session,
                MessageMarkedRead(
                    message_id=message.id,
                    read_by=reader.id,
                    sender_id=message.sender_id,
                    conversation_id=conv.id,
                ),
            )
    await session.refresh(part)
    return ReadState(
        conversation_id=conv.id, last_read_message_id=part.last_read_message_id, unread_count=unread
    )
