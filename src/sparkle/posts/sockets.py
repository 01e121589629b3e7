"""Socket routes of the posts domain: `postCreated` to the author's followers on a first
publish, `postUpdated` and `postDeleted` to the post's room."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sparkle import realtime
from sparkle.accounts.models import User
from sparkle.posts.events import PostDeleted, PostPublished, PostUpdated
from sparkle.posts.models import Post, PostStatus
from sparkle.realtime.schemas import PostCreatedOut, PostUpdatedOut
from sparkle.social import service as social_service


@realtime.route(PostPublished)
async def _published(ctx: Any, event: PostPublished) -> None:
    status = PostUpdatedOut(post_id=event.post_id, status=event.status, changes=["status"])
    await ctx.emit("postUpdated", status.wire(), f"post:{event.post_id}")
    if not event.first_publish:
        return
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                select(Post, User.username)
                .join(User, User.id == Post.author_id)
                .where(Post.id == event.post_id)
            )
        ).first()
        if row is None:
            return
        post, username = row
        if post.deleted_at is not None or post.status != PostStatus.PUBLISHED:
            return
        followers = await social_service.follower_ids(session, event.author_id)
    out = PostCreatedOut(
        post_id=post.id,
        author_id=post.author_id,
        author_username=username,
        title=post.title,
        slug=post.slug,
        excerpt=post.excerpt,
        published_at=post.published_at,
    )
    rooms = [f"user:{f}" for f in followers] + [f"user-updates:{event.author_id}"]
    await ctx.emit("postCreated", out.wire(), rooms)


@realtime.route(PostUpdated)
async def _updated(ctx: Any, event: PostUpdated) -> None:
    out = PostUpdatedOut(post_id=event.post_id, status=event.status, changes=event.changes)
    await ctx.emit("postUpdated", out.wire(), f"post:{event.post_id}")


@realtime.route(PostDeleted)
async def _deleted(ctx: Any, event: PostDeleted) -> None:
    await ctx.emit("postDeleted", str(event.post_id), f"post:{event.post_id}")
