"""Search results (camelCase on the wire): the same contract on every database backend."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sparkle.core.schemas import Schema


class SearchType(enum.StrEnum):
    POSTS = "posts"
    USERS = "users"
    TAGS = "tags"


class AuthorRead(Schema):
    username: str
    display_name: str
    avatar_url: str | None = None


class PostHit(Schema):
    id: uuid.UUID
    slug: str
    title: str
    excerpt: str | None = None
    # HTML: the text around the matches, escaped, with the matched words in <mark> elements.
    snippet: str
    author: AuthorRead
    published_at: datetime | None = None
    # Relevance within this result list (higher is better); not comparable across queries.
    rank: float


class UserHit(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class TagHit(Schema):
    name: str
    slug: str
    usage_count: int


class SearchResults(Schema):
    query: str
    type: SearchType
    items: list[PostHit | UserHit | TagHit]
    next_cursor: str | None = None
