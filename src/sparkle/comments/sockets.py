"""Socket routes of the comments domain: `commentCreated`, `commentUpdated` and
`commentDeleted` to the post's room, with the post's fresh comment count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sparkle import realtime
from sparkle.comments import service
from sparkle.comments.events import CommentCreated, CommentDeleted, CommentUpdated
from sparkle.core.errors import NotFound
from sparkle.posts.models import Post
from sparkle.realtime.schemas import CommentOut

LIVE_FIELDS = {
    "id",
    "post_id",
    "parent_id",
    "depth",
    "author",
    "content",
    "content_html",
    "created_at",
    "edited_at",
}


async def _changed(ctx: Any, event: CommentCreated | CommentUpdated, name: str) -> None:
    async with ctx.sessions() as session:
        try:
            comment = await service.read(session, None, event.comment_id)
        except NotFound:
            return  # on a post only its author and moderators see: no public live copy
        count = await session.scalar(select(Post.comment_count).where(Post.id == comment.post_id))
    out = CommentOut(**comment.model_dump(include=LIVE_FIELDS), comment_count=count or 0)
    await ctx.emit(name, out.wire(), f"post:{event.post_id}")


@realtime.route(CommentCreated)
async def _created(ctx: Any, event: CommentCreated) -> None:
    await _changed(ctx, event, "commentCreated")


@realtime.route(CommentUpdated)
async def _updated(ctx: Any, event: CommentUpdated) -> None:
    await _changed(ctx, event, "commentUpdated")


@realtime.route(CommentDeleted)
async def _deleted(ctx: Any, event: CommentDeleted) -> None:
    await ctx.emit("commentDeleted", str(event.comment_id), f"post:{event.post_id}")
