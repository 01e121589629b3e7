"""Who may message whom and who may see or manage a conversation: the messaging settings,
the direct-message policy, participant access and the limits every sub-feature shares."""

from __future__ import annotations

import uuid

from limits import parse
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.core.db import utcnow
from sparkle.messaging import repository
from sparkle.messaging.errors import (
    ConversationNotFound,
    DmNotAllowed,
    MessagingForbidden,
    NotAGroup,
)
from sparkle.messaging.models import (
    Conversation,
    ConversationKind,
    ConversationParticipant,
    DmPolicy,
    MessagingSettings,
    ParticipantRole,
)
from sparkle.messaging.schemas import (
    MessagingSettingsRead,
    MessagingSettingsUpdate,
)
from sparkle.social import service as social_service

MESSAGES_PER_USER = parse("60/minute")
REACTIONS_PER_USER = parse("120/minute")
NOTIFY_JOB = "messaging.notify"
# Seconds a message's notification waits for more messages of its conversation to join it.
NOTIFY_DELAY = 2.0
DELETED_TEXT = "Message deleted"
PREVIEW = 140
MAX_TEXT = 5000
MANAGERS = (ParticipantRole.OWNER.value, ParticipantRole.ADMIN.value)


def _staff(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.MODERATOR)


def direct_key(a: uuid.UUID, b: uuid.UUID) -> str:
    lo, hi = sorted((str(a), str(b)))
    return f"{lo}:{hi}"


# --- settings ----------------------------------------------------------------------


async def get_settings(session: AsyncSession, user_id: uuid.UUID) -> MessagingSettingsRead:
    row = (await repository.settings_of(session, [user_id])).get(user_id)
    return _settings_read(row)


def _settings_read(row: MessagingSettings | None) -> MessagingSettingsRead:
    if row is None:
        return MessagingSettingsRead(dm_policy=DmPolicy.EVERYONE.value, read_receipts=True)
    return MessagingSettingsRead(dm_policy=row.dm_policy, read_receipts=row.read_receipts)


async def update_settings(
    session: AsyncSession, user: User, data: MessagingSettingsUpdate
) -> MessagingSettingsRead:
    """Who may start a conversation with `user`, and whether they share read receipts."""
    row = await session.get(MessagingSettings, user.id)
    if row is None:
        row = MessagingSettings(
            user_id=user.id, dm_policy=DmPolicy.EVERYONE.value, read_receipts=True
        )
        session.add(row)
    if data.dm_policy is not None:
        row.dm_policy = data.dm_policy
    if data.read_receipts is not None:
        row.read_receipts = data.read_receipts
    row.updated_at = utcnow()
    await session.flush()
    return _settings_read(row)


async def _check_may_message(
    session: AsyncSession, sender: User, recipients: list[uuid.UUID]
) -> None:
    """Blocks stop everyone; each recipient's DM policy stops all but staff."""
    state = await repository.recipients_state(session, sender.id, recipients)
    if any(blocked for _, blocked in state.values()):
        raise DmNotAllowed("You cannot message this user")
    if _staff(sender):
        return
    for rid in recipients:
        policy = state[rid][0] if rid in state else None
        if policy == DmPolicy.NOBODY.value:
            raise DmNotAllowed()
        if policy == DmPolicy.FOLLOWING.value and not await social_service.is_following(
            session, rid, sender.id
        ):
            raise DmNotAllowed("This user only accepts messages from people they follow")


async def access(
    session: AsyncSession, user: User, conversation_id: uuid.UUID
) -> tuple[Conversation, ConversationParticipant]:
    """The conversation and the caller's participation; 404 for anyone not an active participant."""
    found = await repository.participation(session, conversation_id, user.id)
    if found is None:
        raise ConversationNotFound()
    return found


async def may_join_room(session: AsyncSession, user: User, conversation_id: uuid.UUID) -> bool:
    part = await repository.participant(session, conversation_id, user.id)
    return part is not None and part.is_active


def _manage(conv: Conversation, part: ConversationParticipant) -> None:
    if conv.kind != ConversationKind.GROUP.value:
        raise NotAGroup()
    if part.role not in MANAGERS:
        raise MessagingForbidden("Only the owner and admins manage this conversation")
