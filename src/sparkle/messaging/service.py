"""Conversations and messages: who may talk to whom, sending, editing, read receipts.

The REST routes and the socket events call the same functions here; the boundary (request,
socket handler) commits, and realtime emits follow the commit through domain events
(`message:created`, `message:updated`, `message:read`, `conversation:updated`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from limits import parse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.core import events
from sparkle.core.db import keyset_page, utcnow
from sparkle.core.db.base import new_id
from sparkle.core.errors import ParticipantNotFound, ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.messaging import attachments as attachments_mod
from sparkle.messaging import repository
from sparkle.messaging.errors import (
    ConversationNotFound,
    DmNotAllowed,
    MessageDeleted,
    MessageNotFound,
    MessagingForbidden,
    NotAGroup,
)
from sparkle.messaging.events import (
    ConversationUpdated,
    MessageCreated,
    MessageMarkedRead,
    MessageReacted,
    MessageUpdated,
)
from sparkle.messaging.models import (
    Conversation,
    ConversationKind,
    ConversationParticipant,
    DmPolicy,
    Message,
    MessageType,
    MessagingSettings,
    ParticipantRole,
)
from sparkle.messaging.schemas import (
    MAX_GROUP,
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
    ParticipantRead,
    ReadState,
    UserRef,
)
from sparkle.notifications import service as notifications_service
from sparkle.notifications.models import NotificationType
from sparkle.reactions.models import ReactionType
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


# --- conversations -------------------------------------------------------------------------


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
    people = await repository.users(session, set(others))
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


def _manage(conv: Conversation, part: ConversationParticipant) -> None:
    if conv.kind != ConversationKind.GROUP.value:
        raise NotAGroup()
    if part.role not in MANAGERS:
        raise MessagingForbidden("Only the owner and admins manage this conversation")


async def add_participants(
    session: AsyncSession, actor: User, conversation_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> Conversation:
    conv, part = await access(session, actor, conversation_id)
    _manage(conv, part)
    ids = [u for u in dict.fromkeys(user_ids) if u != actor.id]
    people = await repository.users(session, set(ids))
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
        await _system(session, conv, actor, f"{actor.username} added {people[uid][1]}")
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
    name = (await repository.users(session, {user_id})).get(user_id)
    await _system(
        session, conv, actor, f"{actor.username} removed {name[1] if name else 'a participant'}"
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


# --- messages ------------------------------------------------------------------------------


async def send(
    session: AsyncSession,
    sender: User,
    conversation_id: uuid.UUID,
    data: MessageCreate,
    *,
    limiter: Limiter | None = None,
) -> MessageRead:
    """Post a message; participants hear `messageReceived` and `conversationUpdated` after
    commit, and a job notifies the others shortly after (see `notify_recipients`)."""
    if limiter is not None:
        await limiter.hit(MESSAGES_PER_USER, "message", str(sender.id))
    conv, parts = await repository.with_active(session, conversation_id)
    if conv is None or not any(p.user_id == sender.id for p in parts):
        raise ConversationNotFound()
    others = [p.user_id for p in parts if p.user_id != sender.id]
    if conv.kind == ConversationKind.DIRECT.value:
        await _check_may_message(session, sender, others)
    # In a group, a block only silences notifications between the two.
    if data.reply_to_id is not None:
        target = await session.get(Message, data.reply_to_id)
        if target is None or target.conversation_id != conv.id:
            raise ValidationFailed(
                "Reply to a message of this conversation",
                fields={"replyToId": "No such message here"},
            )
    attachments = await attachments_mod.describe(session, sender, data.attachment_ids)
    kind = data.type
    if attachments and kind == MessageType.TEXT.value:
        kind = (
            MessageType.IMAGE.value
            if all(a["fileType"] == "image" for a in attachments)
            else MessageType.FILE.value
        )
    message = Message(
        id=new_id(),
        conversation_id=conv.id,
        sender_id=sender.id,
        type=kind,
        content=data.content,
        attachments=attachments,
        reply_to_id=data.reply_to_id,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    count = await repository.record_message(session, message)
    await repository.advance_read(session, conv.id, sender.id, message.id)
    read = await _publish_created(session, conv, message, count, [sender.id, *others])
    if others:
        # One job per burst: while it waits, later messages of the conversation join it.
        events.enqueue(
            session,
            NOTIFY_JOB,
            {"messageId": str(message.id)},
            delay=NOTIFY_DELAY,
            key=f"messaging-notify:{conv.id}",
        )
    return read


async def _system(session: AsyncSession, conv: Conversation, actor: User, text: str) -> Message:
    message = Message(
        conversation_id=conv.id,
        sender_id=actor.id,
        type=MessageType.SYSTEM.value,
        content=text[:MAX_TEXT],
        attachments=[],
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    count = await repository.record_message(session, message)
    await _publish_created(
        session, conv, message, count, await repository.active_user_ids(session, conv.id)
    )
    return message


async def _publish_created(
    session: AsyncSession,
    conv: Conversation,
    message: Message,
    count: int,
    participant_ids: list[uuid.UUID],
) -> MessageRead:
    people = await repository.users(session, {message.sender_id} if message.sender_id else set())
    read = to_message_read(message, people)
    events.publish(
        session,
        MessageCreated(
            conversation_id=conv.id,
            participant_ids=participant_ids,
            message=read.model_dump(mode="json", by_alias=True),
            conversation={
                "id": str(conv.id),
                "lastMessageId": str(message.id),
                "lastMessageAt": message.created_at.isoformat(),
                "messageCount": count,
                "lastMessage": read.model_dump(mode="json", by_alias=True),
            },
        ),
    )
    return read


async def notify_recipients(session: AsyncSession, first_id: uuid.UUID) -> int:
    """DIRECT_MESSAGE notifications for `first_id` and the messages sent after it in its
    conversation: each recipient's one unread notification per conversation names the senders
    and shows the latest message. Skipped: muted conversations, messages the recipient has
    already read, people a block separates. Idempotent; returns how many notifications changed."""
    first = await session.get(Message, first_id)
    if first is None:
        return 0
    burst = await repository.messages_since(session, first)
    if not burst:
        return 0
    latest: dict[uuid.UUID, Message] = {}  # sender → their newest message, oldest sender first
    for m in burst:
        assert m.sender_id is not None
        latest.pop(m.sender_id, None)
        latest[m.sender_id] = m
    _, parts = await repository.with_active(session, first.conversation_id)
    now, changed = utcnow(), 0
    for p in parts:
        if p.muted_until is not None and p.muted_until > now:
            continue
        for sender_id, m in latest.items():
            if sender_id == p.user_id or (
                p.last_read_message_id is not None and p.last_read_message_id >= m.id
            ):
                continue
            row = await notifications_service.notify(
                session,
                recipient_id=p.user_id,
                type=NotificationType.DIRECT_MESSAGE,
                actor_id=sender_id,
                target=notifications_service.Target("conversation", m.conversation_id),
                phrase="sent you a message",
                content=m.content[:PREVIEW] or ("Sent an attachment" if m.attachments else ""),
                data={
                    "conversationId": str(m.conversation_id),
                    "messageId": str(m.id),
                    "url": f"/messages/{m.conversation_id}",
                },
            )
            changed += row is not None
    return changed


async def visible_message(session: AsyncSession, viewer: User, message_id: uuid.UUID) -> Message:
    """A message of a conversation `viewer` takes part in, said since they joined; 404 otherwise."""
    message = await session.get(Message, message_id)
    if message is None:
        raise MessageNotFound()
    found = await repository.participation(session, message.conversation_id, viewer.id)
    if found is None:
        raise MessageNotFound()
    conv, part = found
    if conv.kind == ConversationKind.GROUP.value and message.created_at < part.joined_at:
        raise MessageNotFound()
    return message


async def _own_message(
    session: AsyncSession, actor: User, message_id: uuid.UUID
) -> tuple[Message, Conversation]:
    message = await visible_message(session, actor, message_id)
    if message.sender_id != actor.id or message.type == MessageType.SYSTEM.value:
        raise MessagingForbidden("Only the sender may change a message")
    if message.deleted_at is not None:
        raise MessageDeleted()
    conv = await session.get(Conversation, message.conversation_id)
    assert conv is not None
    return message, conv


async def edit(
    session: AsyncSession, actor: User, message_id: uuid.UUID, data: MessageUpdate
) -> Message:
    """The sender rewrites a message; it keeps `editedAt`."""
    message, conv = await _own_message(session, actor, message_id)
    if data.content != message.content:
        message.content = data.content
        message.edited_at = utcnow()
        await session.flush()
        await _publish_changed(session, conv, message)
    return message


async def delete(session: AsyncSession, actor: User, message_id: uuid.UUID) -> Message:
    """The sender deletes a message: it stays in the thread as "Message deleted"."""
    message, conv = await _own_message(session, actor, message_id)
    message.deleted_at = utcnow()
    message.content = ""
    message.attachments = []
    await session.flush()
    await _publish_changed(session, conv, message)
    return message


async def _publish_changed(session: AsyncSession, conv: Conversation, message: Message) -> None:
    people = await repository.users(session, {message.sender_id} if message.sender_id else set())
    events.publish(
        session,
        MessageUpdated(
            conversation_id=conv.id,
            participant_ids=await repository.active_user_ids(session, conv.id),
            message=to_message_read(message, people).model_dump(mode="json", by_alias=True),
        ),
    )


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


# --- reading -------------------------------------------------------------------------------


def _ref(row: repository.UserRow) -> UserRef:
    return UserRef(id=row[0], username=row[1], display_name=row[2], avatar_url=row[3])


def to_message_read(
    message: Message,
    people: dict[uuid.UUID, repository.UserRow],
    reactions: Reactions | None = None,
) -> MessageRead:
    deleted = message.deleted_at is not None
    counts: dict[str, int] = {}
    mine: list[str] = []
    if reactions is not None and not deleted:
        counts, mine = reactions[0].get(message.id, {}), reactions[1].get(message.id, [])
    sender = people.get(message.sender_id) if message.sender_id else None
    return MessageRead(
        id=message.id,
        conversation_id=message.conversation_id,
        sender_id=message.sender_id,
        sender=_ref(sender) if sender else None,
        type=message.type,
        content=DELETED_TEXT if deleted else message.content,
        attachments=[]
        if deleted
        else [attachments_mod.to_read(message.id, a) for a in message.attachments or []],
        reply_to_id=message.reply_to_id,
        edited_at=message.edited_at,
        deleted=deleted,
        created_at=message.created_at,
        reactions=counts,
        my_reactions=mine,
    )


Reactions = tuple[dict[uuid.UUID, dict[str, int]], dict[uuid.UUID, list[str]]]
REACTION_ORDER = [t.value for t in ReactionType]


async def reactions_for(
    session: AsyncSession, viewer_id: uuid.UUID, message_ids: list[uuid.UUID]
) -> Reactions:
    """Counts per type and the viewer's own types, for each message (two queries)."""
    counts = await repository.reaction_counts(session, message_ids)
    mine = await repository.reactions_of(session, viewer_id, message_ids)
    return (
        {m: {t: c[t] for t in REACTION_ORDER if t in c} for m, c in counts.items()},
        {m: sorted(ts, key=REACTION_ORDER.index) for m, ts in mine.items()},
    )


async def read_message(session: AsyncSession, message: Message, viewer: User) -> MessageRead:
    people = await repository.users(session, {message.sender_id} if message.sender_id else set())
    return to_message_read(message, people, await reactions_for(session, viewer.id, [message.id]))


async def list_messages(
    session: AsyncSession,
    viewer: User,
    conversation_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> MessagePage:
    """Newest first, keyset-paged; a participant sees what was said since they joined."""
    conv, part = await access(session, viewer, conversation_id)
    stmt = select(Message).where(Message.conversation_id == conv.id)
    if conv.kind == ConversationKind.GROUP.value:
        stmt = stmt.where(Message.created_at >= part.joined_at)
    rows, next_cursor = await keyset_page(
        session, stmt, sort_col=Message.created_at, id_col=Message.id, cursor=cursor, limit=limit
    )
    people = await repository.users(session, {m.sender_id for m in rows if m.sender_id})
    reactions = await reactions_for(session, viewer.id, [m.id for m in rows])
    return MessagePage(
        items=[to_message_read(m, people, reactions) for m in rows], next_cursor=next_cursor
    )


async def list_conversations(
    session: AsyncSession, viewer: User, *, cursor: str | None, limit: int
) -> ConversationPage:
    """The viewer's conversations, most recent activity first, with unread counts and last
    messages."""
    rows, next_cursor = await keyset_page(
        session,
        repository.conversations_of(viewer.id),
        sort_col=Conversation.last_message_at,
        id_col=Conversation.id,
        cursor=cursor,
        limit=limit,
    )
    return ConversationPage(items=await hydrate(session, viewer, rows), next_cursor=next_cursor)


async def read_conversation(
    session: AsyncSession, viewer: User, conversation_id: uuid.UUID
) -> ConversationRead:
    conv, _ = await access(session, viewer, conversation_id)
    return (await hydrate(session, viewer, [conv]))[0]


async def hydrate(
    session: AsyncSession, viewer: User, convs: list[Conversation]
) -> list[ConversationRead]:
    """Conversations as `viewer` sees them, in a constant number of queries."""
    ids = [c.id for c in convs]
    parts = await repository.participants(session, ids)
    by_conv: dict[uuid.UUID, list[ConversationParticipant]] = defaultdict(list)
    for p in parts:
        by_conv[p.conversation_id].append(p)
    last = await repository.messages_by_id(
        session, [c.last_message_id for c in convs if c.last_message_id]
    )
    people = await repository.users(
        session, {p.user_id for p in parts} | {m.sender_id for m in last.values() if m.sender_id}
    )
    unread = await repository.unread_counts(session, viewer.id, ids)
    prefs = await repository.settings_of(session, list({p.user_id for p in parts}))

    def receipts(uid: uuid.UUID) -> bool:
        return prefs[uid].read_receipts if uid in prefs else True

    mine_share = receipts(viewer.id)
    out = []
    for conv in convs:
        me = next(p for p in by_conv[conv.id] if p.user_id == viewer.id)
        shown = [
            ParticipantRead(
                user=_ref(people[p.user_id]),
                role=p.role,
                is_active=p.is_active,
                joined_at=p.joined_at,
                last_read_message_id=p.last_read_message_id
                if (p.user_id == viewer.id or (mine_share and receipts(p.user_id)))
                else None,
            )
            for p in by_conv[conv.id]
            if p.user_id in people and p.is_active
        ]
        message = last.get(conv.last_message_id) if conv.last_message_id else None
        out.append(
            ConversationRead(
                id=conv.id,
                kind=conv.kind,
                title=conv.title,
                avatar_url=conv.avatar_url,
                participants=shown,
                last_message=to_message_read(message, people) if message else None,
                last_message_id=conv.last_message_id,
                last_message_at=conv.last_message_at,
                message_count=conv.message_count,
                unread_count=unread.get(conv.id, 0),
                muted_until=me.muted_until,
                role=me.role,
                created_at=conv.created_at,
            )
        )
    return out


async def unread_total(session: AsyncSession, viewer: User) -> int:
    return await repository.total_unread(session, viewer.id)


async def direct_partners(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return await repository.direct_partners(session, user_id)
