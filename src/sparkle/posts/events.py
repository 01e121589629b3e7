"""Events of the posts domain: a post's life cycle and mentions of members."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class PostEvent(DomainEvent):
    """What every post event carries: the post, its author, who acted, slug and status."""

    post_id: uuid.UUID
    author_id: uuid.UUID
    actor_id: uuid.UUID
    slug: str
    status: str


class PostCreated(PostEvent):
    """A post was written (as a draft or published at once)."""

    name: ClassVar[str] = "post:created"


class PostPublished(PostEvent):
    """A post became public; `firstPublish` is true the first time (followers hear of it)."""

    name: ClassVar[str] = "post:published"
    first_publish: bool


class PostUpdated(PostEvent):
    """A post's fields (`changes` names them) or status changed."""

    name: ClassVar[str] = "post:updated"
    changes: list[str]


class PostDeleted(PostEvent):
    """A post was deleted by its author or a moderator."""

    name: ClassVar[str] = "post:deleted"


class UserMentioned(DomainEvent):
    """`authorId` mentioned `userId` in a post or a comment."""

    name: ClassVar[str] = "user:mentioned"
    user_id: uuid.UUID
    author_id: uuid.UUID
    post_id: uuid.UUID | None
    comment_id: uuid.UUID | None
