"""Comment schemas (camelCase on the wire)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from sparkle.core.schemas import InputSchema, Schema

MAX_LENGTH = 10_000
# C0 control characters other than tab and newline: PostgreSQL refuses NUL in text and the
# rest only serve to confuse readers.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

CommentFormat = Literal["tree", "flat"]
CommentSort = Literal["oldest", "newest", "top"]


def clean_content(value: str) -> str:
    value = CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not value:
        raise ValueError("A comment cannot be empty")
    if len(value) > MAX_LENGTH:
        raise ValueError(f"A comment is at most {MAX_LENGTH:,} characters")
    return value


class CommentCreate(InputSchema):
    content: str = Field(description="Plain text, 1 to 10,000 characters after trimming")
    parent_id: uuid.UUID | None = Field(None, description="The comment this one replies to")

    _content = field_validator("content")(clean_content)


class CommentUpdate(InputSchema):
    content: str = Field(description="Plain text, 1 to 10,000 characters after trimming")

    _content = field_validator("content")(clean_content)


class CommentAuthorRead(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class CommentRead(Schema):
    """One comment. A deleted comment keeps its place in the thread with `deleted: true`, the
    content "[deleted]" and no author."""

    id: uuid.UUID
    post_id: uuid.UUID
    parent_id: uuid.UUID | None
    depth: int
    author: CommentAuthorRead | None
    content: str
    content_html: str = Field(description="The content as sanitised HTML with links")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_count: int
    reaction_counts: dict[str, int]
    my_reactions: list[str]


class CommentNode(CommentRead):
    replies: list[CommentNode] = Field(default_factory=list)


class CommentPage(Schema):
    """A page of top-level comments with all their replies. `tree`: replies nested under
    `replies`. `flat`: every comment of the page in `items`, each top-level comment followed by
    its thread depth-first, `replies` always empty; nest them by `parentId`."""

    format: CommentFormat
    items: list[CommentNode]
    next_cursor: str | None = None
