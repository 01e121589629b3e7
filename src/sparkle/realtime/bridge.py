"""Domain events → Socket.IO rooms, after commit.

Subscribed once on the process's event bus. Each event is queued on the hub's ordered work loop
(so the request that committed does not wait for fan-out, and emits keep their order); a
process without a hub (a `sparkle worker`) emits through the write-only Redis manager.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select

from sparkle.accounts.models import User
from sparkle.comments import service as comments_service
from sparkle.core import events
from sparkle.core.errors import NotFound
from sparkle.posts.models import Post, PostStatus
from sparkle.reactions import service as reactions_service
from sparkle.realtime import channels
from sparkle.realtime.schemas import (
    CommentOut,
    PostCreatedOut,
    PostUpdatedOut,
    ReactionAddedOut,
    ReactionOut,
    ReactionRemovedOut,
)

log = structlog.get_logger(__name__)


async def _post_published(ctx: Any, payload: dict[str, Any]) -> None:
    status = PostUpdatedOut(
        post_id=payload["postId"], status=payload.get("status", ""), changes=["status"]
    )
    await ctx.emit("postUpdated", status.wire(), f"post:{payload['postId']}")
    if not payload.get("firstPublish"):
        return
    post_id, author_id = uuid.UUID(payload["postId"]), uuid.UUID(payload["authorId"])
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                select(Post, User.username)
                .join(User, User.id == Post.author_id)
                .where(Post.id == post_id)
            )
        ).first()
        if row is None:
            return
        post, username = row
        if post.deleted_at is not None or post.status != PostStatus.PUBLISHED:
            return
        followers = await channels.audience(session, author_id)
    out = PostCreatedOut(
        post_id=post.id,
        author_id=post.author_id,
        author_username=username,
        title=post.title,
        slug=post.slug,
        excerpt=post.excerpt,
        published_at=post.published_at,
    )
    rooms = [f"user:{f}" for f in followers] + [f"user-updates:{author_id}"]
    await ctx.emit("postCreated", out.wire(), rooms)


async def _post_updated(ctx: Any, payload: dict[str, Any]) -> None:
    out = PostUpdatedOut(
        post_id=payload["postId"],
        status=payload.get("status", ""),
        changes=payload.get("changes") or [],
    )
    await ctx.emit("postUpdated", out.wire(), f"post:{payload['postId']}")


async def _post_deleted(ctx: Any, payload: dict[str, Any]) -> None:
    await ctx.emit("postDeleted", payload["postId"], f"post:{payload['postId']}")


async def _comment_changed(ctx: Any, payload: dict[str, Any], event: str) -> None:
    async with ctx.sessions() as session:
        try:
            comment = await comments_service.read(session, None, uuid.UUID(payload["commentId"]))
        except NotFound:
            return  # on a post only its author and moderators see: no public live copy
        count = await session.scalar(select(Post.comment_count).where(Post.id == comment.post_id))
    data = comment.model_dump(
        include={
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
    )
    out = CommentOut(**data, comment_count=count or 0)
    await ctx.emit(event, out.wire(), f"post:{payload['postId']}")


async def _comment_created(ctx: Any, payload: dict[str, Any]) -> None:
    await _comment_changed(ctx, payload, "commentCreated")


async def _comment_updated(ctx: Any, payload: dict[str, Any]) -> None:
    await _comment_changed(ctx, payload, "commentUpdated")


async def _comment_deleted(ctx: Any, payload: dict[str, Any]) -> None:
    await ctx.emit("commentDeleted", payload["commentId"], f"post:{payload['postId']}")


async def _reaction(ctx: Any, payload: dict[str, Any], added: bool) -> None:
    kind = payload["targetType"]
    target = uuid.UUID(payload["targetId"])
    async with ctx.sessions() as session:
        summary = await reactions_service.summary(session, kind, target, None)
    room = f"post:{payload['postId']}"
    if added:
        out: Any = ReactionAddedOut(
            entity_type=kind,
            entity_id=target,
            post_id=payload["postId"],
            reaction=ReactionOut(user_id=payload["userId"], type=payload["type"]),
            counts=summary.reaction_counts,
        )
        await ctx.emit("reactionAdded", out.wire(), room)
    else:
        out = ReactionRemovedOut(
            entity_type=kind,
            entity_id=target,
            post_id=payload["postId"],
            reaction_type=payload["type"],
            user_id=payload["userId"],
            counts=summary.reaction_counts,
        )
        await ctx.emit("reactionRemoved", out.wire(), room)


async def _reaction_added(ctx: Any, payload: dict[str, Any]) -> None:
    await _reaction(ctx, payload, True)


async def _reaction_removed(ctx: Any, payload: dict[str, Any]) -> None:
    await _reaction(ctx, payload, False)


def _recipient(payload: dict[str, Any]) -> str | None:
    for key in ("recipientId", "userId"):
        value = payload.get(key)
        if value:
            return str(value)
    return None


async def _notification_created(ctx: Any, payload: dict[str, Any]) -> None:
    recipient = _recipient(payload)
    if recipient is None:
        return
    room = f"user:{recipient}"
    # The toast honours the recipient's push switch and quiet hours, decided once when the
    # notification was written; the unread count always follows so the bell stays right.
    if payload.get("push", True):
        await ctx.emit("notification", payload.get("notification", payload), room)
    unread = payload.get("unreadCount")
    if isinstance(unread, int):
        await ctx.emit("unreadCountUpdate", unread, room)


async def _notifications_read(ctx: Any, payload: dict[str, Any]) -> None:
    recipient = _recipient(payload)
    unread = payload.get("unreadCount")
    if recipient is not None and isinstance(unread, int):
        await ctx.emit("unreadCountUpdate", unread, f"user:{recipient}")


ROUTES = {
    "post:published": _post_published,
    "post:updated": _post_updated,
    "post:deleted": _post_deleted,
    "comment:created": _comment_created,
    "comment:updated": _comment_updated,
    "comment:deleted": _comment_deleted,
    "reaction:added": _reaction_added,
    "reaction:removed": _reaction_removed,
    "notification:created": _notification_created,
    "notification:read": _notifications_read,
    "notification:deleted": _notifications_read,
}


async def _on_event(name: str, payload: dict[str, Any]) -> None:
    from sparkle import realtime

    route = ROUTES.get(name)
    if route is not None:
        await realtime.dispatch(route, payload)


async def _on_session_revoked(name: str, payload: dict[str, Any]) -> None:
    from sparkle import realtime

    await realtime.revoke(payload.get("userId"), payload.get("sessionId"))


_subscribed = False


def subscribe() -> None:
    """Subscribe the bridge to the event bus (once per process)."""
    global _subscribed
    if _subscribed:
        return
    _subscribed = True
    for name in ROUTES:
        events.bus.subscribe(name, _on_event)
    events.bus.subscribe("session:revoked", _on_session_revoked)
