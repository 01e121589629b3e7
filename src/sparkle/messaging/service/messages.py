"""Messages: sending (with the delayed notification of offline recipients), system
messages, editing and deleting, each published as a domain event."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.core.db.base import new_id
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.messaging import attachments as attachments_mod
from sparkle.messaging import repository
from sparkle.messaging.errors import (
    ConversationNotFound,
    MessageDeleted,
    MessageNotFound,
    MessagingForbidden,
)
from sparkle.messaging.events import (
    MessageCreated,
    MessageUpdated,
)
from sparkle.messaging.models import (
    Conversation,
    ConversationKind,
    Message,
    MessageType,
)
from sparkle.messaging.schemas import (
    MessageCreate,
    MessageRead,
    MessageUpdate,
)
from sparkle.messaging.service.policy import (
    MAX_TEXT,
    MESSAGES_PER_USER,
    NOTIFY_DELAY,
    NOTIFY_JOB,
    PREVIEW,
    _check_may_message,
)
from sparkle.messaging.service.reading import to_message_read
from sparkle.notifications import service as notifications_service
from sparkle.notifications.models import NotificationType


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
    people = await accounts_service.user_refs(
        session, {message.sender_id} if message.sender_id else set()
    )
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
    people = await accounts_service.user_refs(
        session, {message.sender_id} if message.sender_id else set()
    )
    events.publish(
        session,
        MessageUpdated(
            conversation_id=conv.id,
            participant_ids=await repository.active_user_ids(session, conv.id),
            message=to_message_read(message, people).model_dump(mode="json", by_alias=True),
        ),
    )
