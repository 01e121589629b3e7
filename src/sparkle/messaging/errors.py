"""Messaging errors. A conversation the caller is not in is a 404, like a missing one."""

from __future__ import annotations

from sparkle.core.errors import Conflict, Forbidden, NotFound


class ConversationNotFound(NotFound):
    code, title = "conversation_not_found", "Conversation not found"


class MessageNotFound(NotFound):
    code, title = "message_not_found", "Message not found"


class MessagingForbidden(Forbidden):
    code, title = "messaging_forbidden", "Not allowed"


class DmNotAllowed(Forbidden):
    code, title = "dm_not_allowed", "This user does not accept your messages"


class MessageDeleted(Conflict):
    code, title = "message_deleted", "The message was deleted"


class NotAGroup(Conflict):
    code, title = "not_a_group", "Only group conversations can do that"


class AttachmentNotFound(NotFound):
    code, title = "attachment_not_found", "No such attachment"
