"""Posts and comments for tests. Posts are inserted as rows (the posts API is tested on its
own); comments go through the comments service so counters stay exact."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from sparkle.accounts.models import User
from sparkle.comments import service as comments_service
from sparkle.comments.models import Comment
from sparkle.comments.schemas import CommentCreate
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.posts.models import Post, PostStatus

_seq = itertools.count(1)


async def create_post(
    rt: Runtime,
    author: User,
    *,
    status: PostStatus = PostStatus.PUBLISHED,
    title: str | None = None,
    **fields: object,
) -> Post:
    n = next(_seq)
    title = title or f"Post number {n}"
    published = status != PostStatus.DRAFT
    async with session_scope(rt.sessions) as session:
        post = Post(
            author_id=author.id,
            title=title,
            slug=f"post-{n}-{uuid.uuid4().hex[:8]}",
            content={"type": "doc", "content": []},
            status=status.value,
            published_at=utcnow() - timedelta(minutes=5) if published else None,
            **fields,
        )
        session.add(post)
    return post


async def create_comment(
    rt: Runtime,
    author: User,
    post_id: uuid.UUID,
    content: str = "A comment",
    *,
    parent_id: uuid.UUID | None = None,
) -> Comment:
    async with session_scope(rt.sessions) as session:
        return await comments_service.create(
            session, author, post_id, CommentCreate(content=content, parent_id=parent_id)
        )


async def get_post(rt: Runtime, post_id: uuid.UUID) -> Post:
    async with rt.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post


async def get_comment(rt: Runtime, comment_id: uuid.UUID) -> Comment:
    async with rt.sessions() as session:
        comment = await session.get(Comment, comment_id)
        assert comment is not None
        return comment


async def set_post_status(rt: Runtime, post_id: uuid.UUID, status: PostStatus) -> None:
    """Move a post to another state, as the posts API would (publish, archive, remove...)."""
    async with session_scope(rt.sessions) as session:
        post = await session.get(Post, post_id)
        assert post is not None
        post.status = status.value
