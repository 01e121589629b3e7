"""Where leaderboard scores come from.

`scores(start, end)` is the one source every board reads: a statement of `(user_id, score)`
rows for activity in `[start, end)`. Today it weighs community activity already recorded by the
content tables; a points ledger becomes the source by replacing the body of `scores` (say, the
sum of ledger points per user in the window), and nothing else changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from sparkle.accounts.models import User
from sparkle.comments.models import Comment
from sparkle.posts.models import Post, PostStatus
from sparkle.reactions.models import Reaction
from sparkle.social.models import Follow

# Points per unit of activity. A reaction is one click, a comment is a conversation someone
# chose to start on your post, a follower is lasting interest, a post is the work itself.
REACTION_POINTS = 1  # per person reacting to one of your posts or comments (any number of types)
COMMENT_POINTS = 2  # per comment someone else wrote on your post
FOLLOWER_POINTS = 3  # per new follower
POST_POINTS = 5  # per post you published

# Posts whose activity counts: published ones, and archived ones (still readable). Drafts have
# none; REMOVED posts (moderation) and deleted ones count for nothing.
COUNTED_POST_STATUSES = (PostStatus.PUBLISHED.value, PostStatus.ARCHIVED.value)


def _within(column: Any, start: datetime, end: datetime | None) -> ColumnElement[bool]:
    if end is None:
        return column >= start
    return and_(column >= start, column < end)


def _points(value: int) -> Any:
    # Rendered inline: a bound parameter in a UNION ALL leaves PostgreSQL guessing its type.
    return literal_column(str(int(value))).label("points")


def _post_counts() -> ColumnElement[bool]:
    return and_(Post.deleted_at.is_(None), Post.status.in_(COUNTED_POST_STATUSES))


def activity_scores(start: datetime, end: datetime | None) -> Select[uuid.UUID, int]:
    """Scores from reactions and comments received, new followers and posts published in
    `[start, end)`. Nobody scores from their own actions, deleted or removed content counts for
    nothing, and neither do actions of deleted accounts."""
    actor = aliased(User, name="actor")
    post_reactions = (
        select(Post.author_id.label("user_id"), _points(REACTION_POINTS))
        .select_from(Reaction)
        .join(Post, Post.id == Reaction.post_id)
        .join(actor, actor.id == Reaction.user_id)
        .where(
            _post_counts(),
            Reaction.user_id != Post.author_id,
            actor.deleted_at.is_(None),
            _within(Reaction.created_at, start, end),
        )
        # One point per person per post, however many reaction types they added.
        .group_by(Post.author_id, Reaction.post_id, Reaction.user_id)
    )
    comment_reactions = (
        select(Comment.author_id.label("user_id"), _points(REACTION_POINTS))
        .select_from(Reaction)
        .join(Comment, Comment.id == Reaction.comment_id)
        .join(Post, Post.id == Comment.post_id)
        .join(actor, actor.id == Reaction.user_id)
        .where(
            _post_counts(),
            Comment.deleted_at.is_(None),
            Reaction.user_id != Comment.author_id,
            actor.deleted_at.is_(None),
            _within(Reaction.created_at, start, end),
        )
        .group_by(Comment.author_id, Reaction.comment_id, Reaction.user_id)
    )
    comments_received = (
        select(Post.author_id.label("user_id"), _points(COMMENT_POINTS))
        .select_from(Comment)
        .join(Post, Post.id == Comment.post_id)
        .join(actor, actor.id == Comment.author_id)
        .where(
            _post_counts(),
            Comment.deleted_at.is_(None),
            Comment.author_id != Post.author_id,
            actor.deleted_at.is_(None),
            _within(Comment.created_at, start, end),
        )
    )
    followers = (
        select(Follow.following_id.label("user_id"), _points(FOLLOWER_POINTS))
        .select_from(Follow)
        .join(actor, actor.id == Follow.follower_id)
        .where(
            Follow.follower_id != Follow.following_id,
            actor.deleted_at.is_(None),
            _within(Follow.created_at, start, end),
        )
    )
    posts = select(Post.author_id.label("user_id"), _points(POST_POINTS)).where(
        _post_counts(), Post.published_at.is_not(None), _within(Post.published_at, start, end)
    )
    activity = union_all(
        post_reactions, comment_reactions, comments_received, followers, posts
    ).subquery("activity")
    return (
        select(activity.c.user_id, func.sum(activity.c.points).label("score"))
        .join(User, User.id == activity.c.user_id)
        .where(User.deleted_at.is_(None))
        .group_by(activity.c.user_id)
    )


def scores(start: datetime, end: datetime | None) -> Select[uuid.UUID, int]:
    """The score source of every board: `(user_id, score)` per user with activity in
    `[start, end)` (`end` None: up to now). Swap this body to change where scores come from."""
    return activity_scores(start, end)
