"""Posts: the rules for reading, writing and counting them."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.posts.errors import PostNotFound
from sparkle.posts.models import Post, PostStatus


def is_moderator(user: User | None) -> bool:
    return user is not None and user.role in (Role.MODERATOR, Role.ADMIN)


def may_read(post: Post, viewer: User | None) -> bool:
    """Published posts are public; drafts, archived and removed posts only for their author
    and moderators; deleted posts for nobody."""
    if post.deleted_at is not None:
        return False
    if post.status == PostStatus.PUBLISHED:
        return True
    return viewer is not None and (viewer.id == post.author_id or is_moderator(viewer))


async def access_readable(session: AsyncSession, viewer: User | None, post_id: uuid.UUID) -> Post:
    """The post if `viewer` may read it; otherwise 404, exactly like a missing post."""
    post = await session.get(Post, post_id)
    if post is None or not may_read(post, viewer):
        raise PostNotFound()
    return post


async def access_interactive(session: AsyncSession, viewer: User | None, post_id: uuid.UUID) -> Post:
    """A post that takes comments and reactions: readable and published."""
    post = await access_readable(session, viewer, post_id)
    if post.status != PostStatus.PUBLISHED:
        from sparkle.core.errors import Conflict

        raise Conflict("This post does not take comments or reactions", code="post_not_published")
    return post


async def adjust_counters(
    session: AsyncSession, post_id: uuid.UUID, *, comments: int = 0, reactions: int = 0
) -> None:
    """Keep the denormalised counters exact: called in the same transaction as the change."""
    values = {}
    if comments:
        values["comment_count"] = Post.comment_count + comments
    if reactions:
        values["reaction_count"] = Post.reaction_count + reactions
    if values:
        await session.execute(
            update(Post).where(Post.id == post_id).values(**values).execution_options(synchronize_session=False)
        )


async def author_ids(session: AsyncSession, post_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(select(Post.id, Post.author_id).where(Post.id.in_(post_ids)))
    return {pid: aid for pid, aid in rows.all()}
