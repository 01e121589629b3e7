"""Reading conversations and messages as the API and the sockets show them: message and
conversation reads with their reactions, pages, unread totals."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.core.db import keyset_page
from sparkle.messaging import attachments as attachments_mod
from sparkle.messaging import repository
from sparkle.messaging.models import (
    Conversation,
    ConversationKind,
    ConversationParticipant,
    Message,
)
from sparkle.messaging.schemas import (
    ConversationPage,
    ConversationRead,
    MessagePage,
    MessageRead,
    ParticipantRead,
    UserRef,
)
from sparkle.messaging.service.policy import (
    DELETED_TEXT,
    access,
)
from sparkle.reactions.models import ReactionType


def to_message_read(
    message: Message,
    people: dict[uuid.UUID, UserRef],
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
        sender=sender,
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
    people = await accounts_service.user_refs(
        session, {message.sender_id} if message.sender_id else set()
    )
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
    people = await accounts_service.user_refs(session, {m.sender_id for m in rows if m.sender_id})
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
    people = await accounts_service.user_refs(
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
                user=people[p.user_id],
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
