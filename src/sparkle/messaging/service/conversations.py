"""Conversations: starting direct and group conversations, renaming, participants and their
roles, leaving and muting; each change is announced with `conversation:updated`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.core.errors import ParticipantNotFound, ValidationFailed
from sparkle.messaging import repository
from sparkle.messaging.errors import (
    MessagingForbidden,
    NotAGroup,
)
from sparkle.messaging.events import (
    ConversationUpdated,
)
from sparkle.messaging.models import (
    Conversation,
    ConversationKind,
    ConversationParticipant,
    ParticipantRole,
)
from sparkle.messaging.schemas import (
    MAX_GROUP,
    ConversationCreate,
    ConversationUpdate,
)
from sparkle.messaging.service.messages import _system
from sparkle.messaging.service.policy import (
    _check_may_message,
    _manage,
    access,
    direct_key,
)


async def create_conversation(
    session: AsyncSession, actor: User, data: ConversationCreate
) -> tuple[Conversation, bool]:
    """A direct conversation (the pair's existing one when there is one) or a group.
    Returns the conversation and whether it was created."""
    others = [u for u in data.participant_ids if u != actor.id]
    if not others:
        raise ValidationFailed(
            "Name someone else", fields={"participantIds": "Name at least one other user"}
        )
    people = await accounts_service.user_refs(session, set(others))
    missing = [str(u) for u in others if u not in people]
    if missing:
        raise ValidationFailed(
            "Unknown users", fields={"participantIds": f"No such users: {', '.join(missing)}"}
        )
    await _check_may_message(session, actor, others)
    now = utcnow()
    if len(others) == 1 and not data.group:
        key = direct_key(actor.id, others[0])
        existing = await repository.direct(session, key)
        if existing is not None:
            return existing, False
        new_id = await repository.insert_direct(session, key, actor.id, now)
        if new_id is None:  # created concurrently
            conv = await repository.direct(session, key)
            assert conv is not None
            return conv, False
        for uid in (actor.id, others[0]):
            session.add(
                ConversationParticipant(
                    conversation_id=new_id, user_id=uid, role="member", joined_at=now
                )
            )
        await session.flush()
        conv = await session.get(Conversation, new_id)
        assert conv is not None
        return conv, True
    if len(others) + 1 > MAX_GROUP:
        raise ValidationFailed(
            "Too many participants", fields={"participantIds": f"At most {MAX_GROUP} in a group"}
        )
    conv = Conversation(
        kind=ConversationKind.GROUP.value,
        title=data.title,
        created_by=actor.id,
        last_message_at=now,
        created_at=now,
        updated_at=now,
        message_count=0,
    )
    session.add(conv)
    await session.flush()
    session.add(
        ConversationParticipant(
            conversation_id=conv.id, user_id=actor.id, role="owner", joined_at=now
        )
    )
    for uid in others:
        session.add(
            ConversationParticipant(
                conversation_id=conv.id, user_id=uid, role="member", joined_at=now
            )
        )
    await session.flush()
    return conv, True


async def update_conversation(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, data: ConversationUpdate
) -> Conversation:
    """Rename a group or change its avatar (owner and admins)."""
    conv, part = await access(session, actor, conversation_id)
    _manage(conv, part)
    changed = data.model_fields_set
    if "title" in changed and data.title != conv.title:
        conv.title = data.title
        await _system(
            session,
            conv,
            actor,
            f"{actor.username} renamed the conversation to “{data.title or ''}”",
        )
    if "avatar_url" in changed:
        conv.avatar_url = data.avatar_url
    await session.flush()
    await _announce_conversation(session, conv)
    return conv


async def add_participants(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> Conversation:
    conv, part = await access(session, actor, conversation_id)
    _manage(conv, part)
    ids = [u for u in dict.fromkeys(user_ids) if u != actor.id]
    people = await accounts_service.user_refs(session, set(ids))
    missing = [str(u) for u in ids if u not in people]
    if missing:
        raise ValidationFailed(
            "Unknown users", fields={"userIds": f"No such users: {', '.join(missing)}"}
        )
    await _check_may_message(session, actor, ids)
    rows = {p.user_id: p for p in await repository.participants(session, [conv.id])}
    active = sum(1 for p in rows.values() if p.is_active)
    fresh = [u for u in ids if u not in rows or not rows[u].is_active]
    if active + len(fresh) > MAX_GROUP:
        raise ValidationFailed(
            "Too many participants", fields={"userIds": f"At most {MAX_GROUP} in a group"}
        )
    now = utcnow()
    for uid in fresh:
        if uid in rows:
            rows[uid].is_active, rows[uid].left_at, rows[uid].joined_at, rows[uid].role = (
                True,
                None,
                now,
                "member",
            )
        else:
            session.add(
                ConversationParticipant(
                    conversation_id=conv.id, user_id=uid, role="member", joined_at=now
                )
            )
        await _system(session, conv, actor, f"{actor.username} added {people[uid].username}")
    await session.flush()
    await _announce_conversation(session, conv)
    return conv


async def remove_participant(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Leave (yourself) or remove someone (owner and admins; nobody removes the owner)."""
    conv, part = await access(session, actor, conversation_id)
    if user_id == actor.id:
        if conv.kind != ConversationKind.GROUP.value:
            raise NotAGroup("You cannot leave a direct conversation")
        await _leave(session, conv, part, actor)
        return
    _manage(conv, part)
    target = await repository.participant(session, conv.id, user_id)
    if target is None or not target.is_active:
        raise ParticipantNotFound()
    if target.role == ParticipantRole.OWNER.value or (
        target.role == "admin" and part.role != "owner"
    ):
        raise MessagingForbidden("You cannot remove this participant")
    target.is_active, target.left_at = False, utcnow()
    name = (await accounts_service.user_refs(session, {user_id})).get(user_id)
    await _system(
        session,
        conv,
        actor,
        f"{actor.username} removed {name.username if name else 'a participant'}",
    )
    await session.flush()
    await _announce_conversation(session, conv, also=[user_id])


async def _leave(
    session: AsyncSession, conv: Conversation, part: ConversationParticipant, actor: User
) -> None:
    part.is_active, part.left_at = False, utcnow()
    if part.role == ParticipantRole.OWNER.value:
        part.role = ParticipantRole.MEMBER.value
        rest = [
            p
            for p in await repository.participants(session, [conv.id])
            if p.is_active and p.id != part.id
        ]
        # The longest-standing admin takes over, else the longest-standing member.
        heir = next((p for p in rest if p.role == "admin"), rest[0] if rest else None)
        if heir is not None:
            heir.role = ParticipantRole.OWNER.value
    await _system(session, conv, actor, f"{actor.username} left")
    await session.flush()
    await _announce_conversation(session, conv, also=[actor.id])


async def set_role(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    """The owner makes a participant an admin or a member again."""
    conv, part = await access(session, actor, conversation_id)
    _manage(conv, part)
    if part.role != ParticipantRole.OWNER.value:
        raise MessagingForbidden("Only the owner changes roles")
    target = await repository.participant(session, conv.id, user_id)
    if target is None or not target.is_active or target.user_id == actor.id:
        raise ParticipantNotFound()
    target.role = role
    await session.flush()
    await _announce_conversation(session, conv)


async def mute(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, until: datetime | None
) -> None:
    _, part = await access(session, actor, conversation_id)
    part.muted_until = until
    await session.flush()


async def _announce_conversation(
    session: AsyncSession, conv: Conversation, also: list[uuid.UUID] | None = None
) -> None:
    ids = await repository.active_user_ids(session, conv.id)
    events.publish(
        session,
        ConversationUpdated(
            participant_ids=list({*ids, *(also or [])}),
            conversation={
                "id": str(conv.id),
                "title": conv.title,
                "avatarUrl": conv.avatar_url,
                "lastMessageId": str(conv.last_message_id) if conv.last_message_id else None,
                "lastMessageAt": conv.last_message_at.isoformat() if conv.last_message_at else None,
                "messageCount": conv.message_count,
                "participantIds": [str(u) for u in ids],
            },
        ),
    )
