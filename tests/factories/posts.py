"""Posts, categories and Tiptap documents for tests, made through the posts services so tags,
counts and mentions are exactly what the API would have written."""

from __future__ import annotations

import itertools
from typing import Any

from sparkle.accounts.models import User
from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from sparkle.posts import categories, service
from sparkle.posts.models import Category
from sparkle.posts.schemas import CategoryCreate, PostCreate, PostRead

_seq = itertools.count(1)


def text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def paragraph(*children: dict[str, Any] | str) -> dict[str, Any]:
    content = [text(c) if isinstance(c, str) else c for c in children]
    return {"type": "paragraph", "content": content}


def doc(*blocks: dict[str, Any] | str) -> dict[str, Any]:
    """A document; plain strings become paragraphs."""
    return {"type": "doc", "content": [paragraph(b) if isinstance(b, str) else b for b in blocks]}


async def create_post(
    rt: Runtime,
    author: User,
    *,
    title: str | None = None,
    body: str = "Hello Sparkle fans, this is a post.",
    content: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    status: str = "PUBLISHED",
    **fields: Any,
) -> PostRead:
    n = next(_seq)
    data = PostCreate(
        title=title or f"Post number {n}",
        content=content or doc(body),
        tags=tags or [],
        status=status,  # type: ignore[arg-type]
        **fields,
    )
    async with session_scope(rt.sessions) as session:
        return await service.create(session, author, data, media_origin=rt.settings.base_url)


async def create_category(
    rt: Runtime, admin: User, name: str | None = None, **fields: Any
) -> Category:
    data = CategoryCreate(name=name or f"Category {next(_seq)}", **fields)
    async with session_scope(rt.sessions) as session:
        return await categories.create(session, admin, data)


def image(src: str, **attrs: Any) -> dict[str, Any]:
    return {"type": "image", "attrs": {"src": src, **attrs}}
