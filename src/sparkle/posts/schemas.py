"""Post, tag and category schemas (camelCase on the wire)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from sparkle.core.schemas import InputSchema, Schema

COLOR_RE = r"^#[0-9A-Fa-f]{6}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value):
        raise ValueError("Must not contain control characters")
    return value


def _title(value: str) -> str:
    value = _plain_text(value) or ""
    if "\n" in value:
        raise ValueError("Must be one line")
    if not 1 <= len(value) <= 200:
        raise ValueError("Must be 1 to 200 characters")
    return value


def _icon(value: str | None) -> str | None:
    value = _plain_text(value)
    if value and re.search(r"[<>\"'`\\&\n]", value):
        raise ValueError("Must be an icon name or an emoji")
    return value or None


Title = Annotated[str, AfterValidator(_title)]
PlainText = Annotated[str | None, AfterValidator(_plain_text)]
Icon = Annotated[str | None, Field(max_length=50), AfterValidator(_icon)]


class AuthorRead(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class TagRef(Schema):
    name: str
    slug: str


class CategoryRef(Schema):
    id: uuid.UUID
    name: str
    slug: str
    color: str | None = None
    icon: str | None = None


class PostSummary(Schema):
    """A post as it appears in lists."""

    id: uuid.UUID
    slug: str
    title: str
    excerpt: str | None = None
    cover_image: str | None = None
    reading_time: int
    status: str
    published_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    author: AuthorRead
    tags: list[TagRef]
    category: CategoryRef | None = None
    reaction_counts: dict[str, int]
    comment_count: int
    view_count: int
    share_count: int
    my_reactions: list[str]


class PostRead(PostSummary):
    """A whole post: the document, its sanitised HTML rendering and revision number."""

    content: dict[str, Any]
    content_html: str
    revision: int

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0192f1d2-7c1e-7b3a-9e55-2b1f6c1d9a10",
                "slug": "my-first-sparkle-k3x9qa",
                "title": "My first sparkle",
                "excerpt": "Hello, Sparkle fans!",
                "readingTime": 1,
                "status": "PUBLISHED",
                "publishedAt": "2026-11-20T10:00:00Z",
                "createdAt": "2026-11-20T09:58:00Z",
                "updatedAt": "2026-11-20T10:00:00Z",
                "author": {
                    "id": "0192f1d2-0000-7000-8000-000000000001",
                    "username": "luna",
                    "displayName": "Luna",
                },
                "tags": [{"name": "fanart", "slug": "fanart"}],
                "reactionCounts": {
                    "LIKE": 3,
                    "LOVE": 1,
                    "LAUGH": 0,
                    "WOW": 0,
                    "SAD": 0,
                    "ANGRY": 0,
                },
                "commentCount": 2,
                "viewCount": 40,
                "shareCount": 1,
                "myReactions": ["LIKE"],
                "content": {
                    "type": "doc",
                    "content": [
                        {
                            "type": "paragraph",
                            "content": [{"type": "text", "text": "Hello, Sparkle fans!"}],
                        }
                    ],
                },
                "contentHtml": "<p>Hello, Sparkle fans!</p>",
                "revision": 1,
            }
        }
    )


class Pagination(Schema):
    page: int
    limit: int
    total: int
    pages: int


class PostPage(Schema):
    """A page of posts: `nextCursor` in cursor mode, `pagination` when `page` was given."""

    items: list[PostSummary]
    next_cursor: str | None = None
    pagination: Pagination | None = None


class PostCreate(InputSchema):
    title: Title
    content: dict[str, Any]
    excerpt: PlainText = Field(None, max_length=300)
    cover_image: str | None = Field(None, max_length=2048)
    category_id: uuid.UUID | None = None
    tags: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)
    status: Literal["DRAFT", "PUBLISHED"] = "DRAFT"

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "title": "My first sparkle",
                "content": {
                    "type": "doc",
                    "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "Hello!"}]}
                    ],
                },
                "tags": ["fanart", "Behind the scenes"],
                "status": "PUBLISHED",
            }
        }
    )


class PostUpdate(InputSchema):
    """Fields to change; `excerpt`, `coverImage` and `categoryId` may be null to clear them."""

    title: Title | None = None
    content: dict[str, Any] | None = None
    excerpt: PlainText = Field(None, max_length=300)
    cover_image: str | None = Field(None, max_length=2048)
    category_id: uuid.UUID | None = None
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=20)
    status: Literal["DRAFT", "PUBLISHED", "ARCHIVED", "REMOVED"] | None = None


class RevisionRead(Schema):
    revision: int
    title: str
    excerpt: str | None = None
    content: dict[str, Any]
    editor_id: uuid.UUID | None = None
    created_at: datetime


class RevisionPage(Schema):
    items: list[RevisionRead]
    next_cursor: str | None = None


class ViewCount(Schema):
    view_count: int


class ShareCount(Schema):
    share_count: int


class TagRead(Schema):
    id: uuid.UUID
    name: str
    slug: str
    usage_count: int
    created_at: datetime


class TagPage(Schema):
    items: list[TagRead]
    next_cursor: str | None = None


class CategoryRead(Schema):
    id: uuid.UUID
    name: str
    slug: str
    description: str | None = None
    parent_id: uuid.UUID | None = None
    icon: str | None = None
    color: str | None = None
    position: int
    created_at: datetime
    children: list[CategoryRead] = Field(default_factory=list)
    post_count: int | None = None


class CategoryTree(Schema):
    items: list[CategoryRead]


class CategoryCreate(InputSchema):
    name: Annotated[str, AfterValidator(_title), Field(max_length=50)]
    description: PlainText = Field(None, max_length=500)
    parent_id: uuid.UUID | None = None
    icon: Icon = None
    color: str | None = Field(None, pattern=COLOR_RE)
    position: int = Field(0, ge=0, le=10_000)

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "Fan Art",
                "description": "Drawings and edits",
                "icon": "palette",
                "color": "#ec4899",
            }
        }
    )


class CategoryUpdate(InputSchema):
    name: Annotated[str, AfterValidator(_title), Field(max_length=50)] | None = None
    description: PlainText = Field(None, max_length=500)
    parent_id: uuid.UUID | None = None
    icon: Icon = None
    color: str | None = Field(None, pattern=COLOR_RE)
    position: int | None = Field(None, ge=0, le=10_000)
