"""Events of the comments domain."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class CommentCreated(DomainEvent):
    """A comment (or a reply: `parentId`) was written on a post."""

    name: ClassVar[str] = "comment:created"
    comment_id: uuid.UUID
    post_id: uuid.UUID
    parent_id: uuid.UUID | None
    author_id: uuid.UUID
    post_author_id: uuid.UUID
    parent_author_id: uuid.UUID | None


class CommentUpdated(DomainEvent):
    """A comment's author edited it."""

    name: ClassVar[str] = "comment:updated"
    comment_id: uuid.UUID
    post_id: uuid.UUID
    author_id: uuid.UUID


class CommentDeleted(DomainEvent):
    """A comment was deleted by its author or a moderator (`deletedBy`)."""

    name: ClassVar[str] = "comment:deleted"
    comment_id: uuid.UUID
    post_id: uuid.UUID
    author_id: uuid.UUID
    deleted_by: uuid.UUID
