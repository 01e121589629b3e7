"""Comments: threaded replies with a depth limit, edits, soft deletion that keeps the thread's
shape, and pages of whole threads in a constant number of queries.

A page of `GET /api/posts/{id}/comments` costs, whatever its size: the post, one keyset page of
top-level comments (with authors), one recursive query for every reply under them (with
authors) and one grouped query for reaction counts and the viewer's own reactions.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TypeVar

from limits import parse
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.comments import html, repository
from sparkle.comments.errors import CommentForbidden, CommentIsDeleted, CommentNotFound
from sparkle.comments.events import CommentCreated, CommentDeleted, CommentUpdated
from sparkle.comments.models import Comment
from sparkle.comments.repository import CommentRow
from sparkle.comments.schemas import (
    CommentAuthorRead,
    CommentCreate,
    CommentNode,
    CommentPage,
    CommentRead,
    CommentUpdate,
)
from sparkle.core import events
from sparkle.core.db import utcnow
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.posts import service as posts_service
from sparkle.posts.errors import PostNotFound
from sparkle.reactions import service as reactions_service
from sparkle.reactions.schemas import ReactionSummary

# Depth of a top-level comment is 0; a reply to a comment at MAX_DEPTH attaches to its parent.
MAX_DEPTH = 8
DELETED_PLACEHOLDER = "[deleted]"
COMMENTS_PER_USER = parse("10/minute")

R = TypeVar("R", bound=CommentRead)


async def _access(session: AsyncSession, viewer: User | None, comment_id: uuid.UUID) -> Comment:
    """The comment if `viewer` may read its post; otherwise 404, like a missing comment."""
    comment = await repository.get(session, comment_id)
    if comment is None:
        raise CommentNotFound()
    try:
        await posts_service.access_readable(session, viewer, comment.post_id)
    except PostNotFound:
        raise CommentNotFound() from None
    return comment


async def access_for_reactions(
    session: AsyncSession, viewer: User | None, comment_id: uuid.UUID, *, react: bool
) -> Comment:
    """A comment whose reactions `viewer` may see or remove; with `react`, one that takes new
    reactions (live comment on a published post)."""
    comment = await _access(session, viewer, comment_id)
    if comment.deleted_at is not None:
        raise CommentIsDeleted() if react else CommentNotFound()
    if react:
        await posts_service.access_interactive(session, viewer, comment.post_id)
    return comment


async def adjust_reaction_count(session: AsyncSession, comment_id: uuid.UUID, delta: int) -> None:
    """Keep the comment's reaction counter exact, in the transaction that adds or removes one."""
    await repository.add_to_counters(session, comment_id, reactions=delta)


async def _reaction_target(
    session: AsyncSession, viewer: User | None, comment_id: uuid.UUID, react: bool
) -> uuid.UUID:
    comment = await access_for_reactions(session, viewer, comment_id, react=react)
    return comment.post_id


# Reactions sit below comments: they reach a comment through this registration rather than
# by importing this module.
reactions_service.register_target(
    "comment", access=_reaction_target, adjust_count=adjust_reaction_count
)


async def _reply_target(session: AsyncSession, post_id: uuid.UUID, parent_id: uuid.UUID) -> Comment:
    parent = await repository.get(session, parent_id)
    if parent is None or parent.post_id != post_id:
        raise ValidationFailed(
            "The comment replied to is not on this post",
            fields={"parentId": "No such comment on this post"},
        )
    if parent.deleted_at is not None:
        raise CommentIsDeleted("You cannot reply to a deleted comment")
    if parent.depth >= MAX_DEPTH and parent.parent_id is not None:
        # Threads stop nesting here: the reply joins its parent's siblings' replies.
        grandparent = await repository.get(session, parent.parent_id)
        assert grandparent is not None  # the foreign key cascades deletes
        return grandparent
    return parent


async def create(
    session: AsyncSession,
    author: User,
    post_id: uuid.UUID,
    data: CommentCreate,
    *,
    limiter: Limiter | None = None,
) -> Comment:
    """Comment on a published post, or reply to one of its comments."""
    if limiter is not None:
        await limiter.hit(COMMENTS_PER_USER, "comment", str(author.id))
    post = await posts_service.access_interactive(session, author, post_id)
    parent = await _reply_target(session, post.id, data.parent_id) if data.parent_id else None
    comment = Comment(
        post_id=post.id,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        content=data.content,
    )
    session.add(comment)
    await session.flush()
    if parent is not None:
        await repository.add_to_counters(session, parent.id, replies=1)
    await posts_service.adjust_counters(session, post.id, comments=1)
    await _record_mentions(session, author, comment)
    events.publish(
        session,
        CommentCreated(
            comment_id=comment.id,
            post_id=post.id,
            parent_id=parent.id if parent else None,
            author_id=author.id,
            post_author_id=post.author_id,
            parent_author_id=parent.author_id if parent else None,
        ),
    )
    return comment


async def update(
    session: AsyncSession, actor: User, comment_id: uuid.UUID, data: CommentUpdate
) -> Comment:
    """Edit a comment's text: its author only (moderators delete, they do not rewrite)."""
    comment = await _access(session, actor, comment_id)
    if comment.author_id != actor.id:
        raise CommentForbidden("Only the author may edit a comment")
    if comment.deleted_at is not None:
        raise CommentIsDeleted()
    await posts_service.access_interactive(session, actor, comment.post_id)
    if data.content != comment.content:
        comment.content = data.content
        comment.edited_at = utcnow()
        await session.flush()
        await _record_mentions(session, actor, comment)
        events.publish(
            session,
            CommentUpdated(comment_id=comment.id, post_id=comment.post_id, author_id=actor.id),
        )
    return comment


async def delete(session: AsyncSession, actor: User, comment_id: uuid.UUID) -> None:
    """Soft-delete a comment (its author, moderators, admins); its replies stay in place."""
    comment = await _access(session, actor, comment_id)
    if comment.author_id != actor.id and not posts_service.is_moderator(actor):
        raise CommentForbidden("Only the author or a moderator may delete a comment")
    if comment.deleted_at is not None:
        return
    comment.deleted_at = utcnow()
    await session.flush()
    await posts_service.adjust_counters(session, comment.post_id, comments=-1)
    events.publish(
        session,
        CommentDeleted(
            comment_id=comment.id,
            post_id=comment.post_id,
            author_id=comment.author_id,
            deleted_by=actor.id,
        ),
    )


async def _record_mentions(session: AsyncSession, author: User, comment: Comment) -> None:
    await posts_service.record_mentions(
        session,
        author.id,
        html.without_links(comment.content),
        post_id=comment.post_id,
        comment_id=comment.id,
    )


def _to_read(cls: type[R], row: CommentRow, reactions: ReactionSummary | None) -> R:
    comment, username, display_name, avatar_url, author_deleted_at = row
    deleted = comment.deleted_at is not None
    author = None
    if not deleted and author_deleted_at is None:
        author = CommentAuthorRead(
            id=comment.author_id,
            username=username,
            display_name=display_name or username,
            avatar_url=avatar_url,
        )
    content = DELETED_PLACEHOLDER if deleted else comment.content
    reactions = reactions if reactions is not None and not deleted else ReactionSummary()
    return cls(
        id=comment.id,
        post_id=comment.post_id,
        parent_id=comment.parent_id,
        depth=comment.depth,
        author=author,
        content=content,
        content_html=html.render(content),
        created_at=comment.created_at,
        edited_at=None if deleted else comment.edited_at,
        deleted=deleted,
        reply_count=comment.reply_count,
        reaction_counts=reactions.reaction_counts,
        my_reactions=reactions.my_reactions,
    )


async def read(session: AsyncSession, viewer: User | None, comment_id: uuid.UUID) -> CommentRead:
    """One comment as `viewer` sees it."""
    await _access(session, viewer, comment_id)
    row = await repository.one_with_author(session, comment_id)
    assert row is not None
    reactions = await reactions_service.summary(session, "comment", comment_id, viewer)
    return _to_read(CommentRead, row, reactions)


async def list_for_post(
    session: AsyncSession,
    viewer: User | None,
    post_id: uuid.UUID,
    *,
    format: str = "tree",
    sort: str = "oldest",
    cursor: str | None = None,
    limit: int = 20,
) -> CommentPage:
    """A page of a readable post's top-level comments, each with its whole reply tree (replies
    in the same order as the page), nested or flattened depth-first."""
    post = await posts_service.access_readable(session, viewer, post_id)
    roots, next_cursor = await repository.root_page(
        session, post.id, sort=sort, cursor=cursor, limit=limit
    )
    replies = await repository.descendants(session, post.id, [row[0].id for row in roots])
    live = [row[0].id for row in (*roots, *replies) if row[0].deleted_at is None]
    reactions = await reactions_service.summaries(session, "comment", live, viewer)

    children: dict[uuid.UUID, list[CommentRow]] = defaultdict(list)
    for row in replies:
        if row[0].parent_id is not None:  # always: a reply has its parent
            children[row[0].parent_id].append(row)
    key = repository.sort_key(sort)
    for rows in children.values():
        rows.sort(key=lambda r: key(r[0]))

    if format == "flat":
        flat: list[CommentNode] = []

        def walk(row: CommentRow) -> None:
            flat.append(_to_read(CommentNode, row, reactions.get(row[0].id)))
            for child in children.get(row[0].id, []):
                walk(child)

        for root in roots:
            walk(root)
        return CommentPage(format="flat", items=flat, next_cursor=next_cursor)

    def node(row: CommentRow) -> CommentNode:
        out = _to_read(CommentNode, row, reactions.get(row[0].id))
        out.replies = [node(child) for child in children.get(row[0].id, [])]
        return out

    return CommentPage(format="tree", items=[node(root) for root in roots], next_cursor=next_cursor)
