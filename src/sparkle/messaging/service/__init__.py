"""Conversations and messages: who may talk to whom, sending, editing, read receipts.

The REST routes and the socket events call the same functions here; the boundary (request,
socket handler) commits, and realtime emits follow the commit through domain events
(`message:created`, `message:updated`, `message:read`, `conversation:updated`).

One module per sub-feature: `policy` (settings, who may message whom, access), `conversations`,
`messages`, `receipts` (reactions and read marks) and `reading`; callers use this package.
"""

from sparkle.messaging.service.conversations import (
    add_participants,
    create_conversation,
    mute,
    remove_participant,
    set_role,
    update_conversation,
)
from sparkle.messaging.service.messages import (
    delete,
    edit,
    notify_recipients,
    send,
    visible_message,
)
from sparkle.messaging.service.policy import (
    DELETED_TEXT,
    MANAGERS,
    MAX_TEXT,
    MESSAGES_PER_USER,
    NOTIFY_DELAY,
    NOTIFY_JOB,
    PREVIEW,
    REACTIONS_PER_USER,
    access,
    direct_key,
    get_settings,
    may_join_room,
    update_settings,
)
from sparkle.messaging.service.reading import (
    REACTION_ORDER,
    Reactions,
    direct_partners,
    hydrate,
    list_conversations,
    list_messages,
    reactions_for,
    read_conversation,
    read_message,
    to_message_read,
    unread_total,
)
from sparkle.messaging.service.receipts import (
    mark_read,
    react,
)

__all__ = [
    "DELETED_TEXT",
    "MANAGERS",
    "MAX_TEXT",
    "MESSAGES_PER_USER",
    "NOTIFY_DELAY",
    "NOTIFY_JOB",
    "PREVIEW",
    "REACTIONS_PER_USER",
    "REACTION_ORDER",
    "Reactions",
    "access",
    "add_participants",
    "create_conversation",
    "delete",
    "direct_key",
    "direct_partners",
    "edit",
    "get_settings",
    "hydrate",
    "list_conversations",
    "list_messages",
    "mark_read",
    "may_join_room",
    "mute",
    "notify_recipients",
    "react",
    "reactions_for",
    "read_conversation",
    "read_message",
    "remove_participant",
    "send",
    "set_role",
    "to_message_read",
    "unread_total",
    "update_conversation",
    "update_settings",
    "visible_message",
]
