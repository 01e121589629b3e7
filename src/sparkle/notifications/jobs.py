"""Notification jobs: one per domain event that notifies someone, the broadcast fan-out and
the daily expiry.

The events are routed to their jobs at the bottom: `publish()` enqueues the job in the
producer's transaction (an outbox row when a broker runs the jobs), so a committed reaction,
comment, follow or mention always notifies, at least once; the job opens its own transaction,
so the producer never waits for notification work.
"""

from __future__ import annotations

import uuid

import structlog
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from sparkle.comments.events import CommentCreated
from sparkle.core import events, jobs, runtime
from sparkle.core.db import session_scope
from sparkle.notifications import repository, service
from sparkle.notifications.models import NotificationType
from sparkle.notifications.service import Target
from sparkle.posts.events import UserMentioned
from sparkle.reactions.events import ReactionAdded, ReactionRemoved
from sparkle.social.events import UserFollowed, UserUnfollowed

log = structlog.get_logger(__name__)

QUEUE = "notification"


class EventPayload(BaseModel):
    # Events carry more than a job needs; unknown keys are ignored.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ReactionEvent(EventPayload):
    target_type: str
    target_id: uuid.UUID
    post_id: uuid.UUID
    comment_id: uuid.UUID | None = None
    user_id: uuid.UUID


class CommentEvent(EventPayload):
    comment_id: uuid.UUID
    post_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    author_id: uuid.UUID
    post_author_id: uuid.UUID
    parent_author_id: uuid.UUID | None = None


class FollowEvent(EventPayload):
    follower_id: uuid.UUID
    following_id: uuid.UUID


class MentionEvent(EventPayload):
    user_id: uuid.UUID
    author_id: uuid.UUID
    post_id: uuid.UUID | None = None
    comment_id: uuid.UUID | None = None


class BroadcastBatch(EventPayload):
    batch_id: uuid.UUID
    title: str
    content: str
    url: str | None = None
    audience: str
    user_ids: list[uuid.UUID] | None = None
    after: uuid.UUID | None = None


class Expire(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _sessions():
    return session_scope(runtime.get().sessions)


async def _reaction_target(session, p: ReactionEvent):
    """(recipient, type, target, title of the post) of a reaction, or None if it is gone."""
    post = await repository.post_info(session, p.post_id)
    if post is None:
        return None
    if p.target_type == "comment" and p.comment_id is not None:
        comment = await repository.comment_info(session, p.comment_id)
        if comment is None:
            return None
        return comment[0], NotificationType.COMMENT_LIKED, Target("comment", p.comment_id), post[1]
    return post[0], NotificationType.POST_LIKED, Target("post", p.post_id), post[1]


@jobs.job("notification.reaction_added", queue=QUEUE, payload=ReactionEvent)
async def reaction_added(p: ReactionEvent) -> None:
    async with _sessions() as session:
        found = await _reaction_target(session, p)
        if found is None:
            return
        recipient, type, target, post_title = found
        phrase = (
            "liked your comment" if type == NotificationType.COMMENT_LIKED else "liked your post"
        )
        data = {
            "postId": str(p.post_id),
            **({"commentId": str(p.comment_id)} if p.comment_id else {}),
        }
        await service.notify(
            session,
            recipient_id=recipient,
            type=type,
            actor_id=p.user_id,
            target=target,
            phrase=phrase,
            content=post_title,
            data=data,
        )


@jobs.job("notification.reaction_removed", queue=QUEUE, payload=ReactionEvent)
async def reaction_removed(p: ReactionEvent) -> None:
    async with _sessions() as session:
        found = await _reaction_target(session, p)
        if found is None:
            return
        # Several reaction types count as one: withdraw only when none is left.
        if await repository.has_reaction(session, p.target_type, p.target_id, p.user_id):
            return
        recipient, type, target, _ = found
        await service.withdraw(
            session, recipient_id=recipient, type=type, actor_id=p.user_id, target=target
        )


@jobs.job("notification.comment_created", queue=QUEUE, payload=CommentEvent)
async def comment_created(p: CommentEvent) -> None:
    """The post's author hears of a comment; a comment's author of a reply to it (once, as a
    reply, when they wrote both)."""
    async with _sessions() as session:
        post = await repository.post_info(session, p.post_id)
        if post is None:
            return
        data = {"postId": str(p.post_id), "commentId": str(p.comment_id)}
        if p.parent_id is not None and p.parent_author_id is not None:
            await service.notify(
                session,
                recipient_id=p.parent_author_id,
                type=NotificationType.POST_COMMENTED,
                actor_id=p.author_id,
                target=Target("comment", p.parent_id),
                phrase="replied to your comment",
                content=post[1],
                data={**data, "parentId": str(p.parent_id)},
            )
        if p.parent_author_id != p.post_author_id:
            await service.notify(
                session,
                recipient_id=p.post_author_id,
                type=NotificationType.POST_COMMENTED,
                actor_id=p.author_id,
                target=Target("post", p.post_id),
                phrase="commented on your post",
                content=post[1],
                data=data,
            )


@jobs.job("notification.user_followed", queue=QUEUE, payload=FollowEvent)
async def user_followed(p: FollowEvent) -> None:
    async with _sessions() as session:
        await service.notify(
            session,
            recipient_id=p.following_id,
            type=NotificationType.USER_FOLLOWED,
            actor_id=p.follower_id,
            target=Target("user", p.following_id),
            phrase="started following you",
        )


@jobs.job("notification.user_unfollowed", queue=QUEUE, payload=FollowEvent)
async def user_unfollowed(p: FollowEvent) -> None:
    async with _sessions() as session:
        await service.withdraw(
            session,
            recipient_id=p.following_id,
            type=NotificationType.USER_FOLLOWED,
            actor_id=p.follower_id,
            target=Target("user", p.following_id),
        )


@jobs.job("notification.user_mentioned", queue=QUEUE, payload=MentionEvent)
async def user_mentioned(p: MentionEvent) -> None:
    async with _sessions() as session:
        post_id = p.post_id
        if post_id is None and p.comment_id is not None:
            comment = await repository.comment_info(session, p.comment_id)
            post_id = comment[1] if comment else None
        post = await repository.post_info(session, post_id) if post_id else None
        if post is None or post_id is None:
            return
        target = Target("comment", p.comment_id) if p.comment_id else Target("post", post_id)
        data = {
            "postId": str(post_id),
            **({"commentId": str(p.comment_id)} if p.comment_id else {}),
        }
        await service.notify(
            session,
            recipient_id=p.user_id,
            type=NotificationType.MENTION,
            actor_id=p.author_id,
            target=target,
            phrase="mentioned you",
            content=post[1],
            data=data,
        )


@jobs.job(service.BROADCAST_JOB, queue=QUEUE, payload=BroadcastBatch)
async def broadcast_batch(p: BroadcastBatch) -> None:
    """Write one batch of a broadcast and queue the next one in the same transaction."""
    async with _sessions() as session:
        last = await service.broadcast_batch(
            session,
            batch_id=p.batch_id,
            title=p.title,
            content=p.content,
            url=p.url,
            audience=p.audience,
            user_ids=p.user_ids,
            after=p.after,
        )
        if last is not None:
            events.enqueue(
                session,
                service.BROADCAST_JOB,
                p.model_copy(update={"after": last}).model_dump(mode="json", by_alias=True),
            )
    log.info(
        "notification_broadcast_batch",
        batch=str(p.batch_id),
        after=str(p.after),
        more=last is not None,
    )


@jobs.job("notification.expire", queue="cleanup", payload=Expire)
async def expire(_: Expire) -> None:
    async with _sessions() as session:
        removed = await service.expire(session)
    log.info("notifications_expired", removed=removed)


jobs.cron(
    "notification.expire",
    "0 2 * * *",
    description="Delete expired notifications (read ones after 90 days by default)",
)


# --- event routes: each event is an outbox row of the transaction that published it ---------

ROUTES: list[tuple[type[events.DomainEvent], str]] = [
    (ReactionAdded, "notification.reaction_added"),
    (ReactionRemoved, "notification.reaction_removed"),
    (CommentCreated, "notification.comment_created"),
    (UserFollowed, "notification.user_followed"),
    (UserUnfollowed, "notification.user_unfollowed"),
    (UserMentioned, "notification.user_mentioned"),
]
for _event, _job in ROUTES:
    events.route(_event, job=_job)
