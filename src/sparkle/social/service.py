"""The social graph: follow and unfollow, followers and following lists, counts; blocks; and the
lookups other domains build on (the following feed, notifications, presence, who may message
or invite whom)."""

from __future__ import annotations

import uuid
from datetime import datetime

from limits import parse
from sqlalchemy import ColumnElement, Exists, Select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.errors import UserNotFound
from sparkle.accounts.models import User
from sparkle.accounts.schemas import PublicProfileRead
from sparkle.core import events
from sparkle.core.db import Cursor
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.social import repository
from sparkle.social.errors import BlockTargetNotFound, FollowBlocked, FollowsHidden, SelfFollow
from sparkle.social.events import UserBlocked, UserFollowed, UserUnblocked, UserUnfollowed
from sparkle.social.schemas import BlockPage, BlockRead, FollowPage, FollowState, FollowUser

# Follow sprees are how spam accounts get noticed; a person rarely follows 60 people an hour.
FOLLOW_PER_USER = parse("60/hour")


async def _access_target(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await accounts_service.get(session, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def _state(session: AsyncSession, following: bool, user_id: uuid.UUID) -> FollowState:
    followers, follows = (await repository.counts(session, [user_id]))[user_id]
    return FollowState(following=following, follower_count=followers, following_count=follows)


async def follow(
    session: AsyncSession, limiter: Limiter, actor: User, user_id: uuid.UUID
) -> FollowState:
    """`actor` follows `user_id`; following again changes nothing. Counts are the target's."""
    if actor.id == user_id:
        raise SelfFollow()
    await _access_target(session, user_id)
    if await repository.blocked_between(session, actor.id, user_id):
        raise FollowBlocked()
    await limiter.hit(FOLLOW_PER_USER, "follow", str(actor.id))
    if await repository.insert(session, actor.id, user_id):
        events.publish(session, UserFollowed(follower_id=actor.id, following_id=user_id))
    return await _state(session, True, user_id)


async def unfollow(session: AsyncSession, actor: User, user_id: uuid.UUID) -> FollowState:
    """`actor` stops following `user_id`; unfollowing someone not followed changes nothing."""
    if actor.id == user_id:
        raise SelfFollow()
    await _access_target(session, user_id)
    if await repository.remove(session, actor.id, user_id):
        events.publish(session, UserUnfollowed(follower_id=actor.id, following_id=user_id))
    return await _state(session, False, user_id)


async def _page(
    session: AsyncSession,
    viewer: User | None,
    user_id: uuid.UUID,
    *,
    followers: bool,
    cursor: str | None,
    limit: int,
) -> FollowPage:
    user = await _access_target(session, user_id)
    if not accounts_service.profile_visible(user, viewer):
        raise FollowsHidden("This profile is private: its followers and follows are not shown")
    after = None
    if cursor:
        c = Cursor.decode(cursor)
        if not isinstance(c.value, datetime) or c.value.tzinfo is None:
            raise ValidationFailed("Invalid cursor", fields={"cursor": "Invalid cursor"})
        after = (c.value, c.id)
    rows = await repository.page(
        session, user_id, followers=followers, after=after, limit=limit + 1
    )
    more, rows = len(rows) > limit, rows[:limit]
    followed = (
        await repository.followed_among(session, viewer.id, [r.id for r in rows])
        if viewer
        else set()
    )
    items = [
        FollowUser(
            id=r.id,
            username=r.username,
            display_name=r.display_name,
            avatar_url=r.avatar_url,
            followed_at=r.followed_at,
            is_following=(r.id in followed) if viewer else None,
        )
        for r in rows
    ]
    next_cursor = Cursor(rows[-1].followed_at, rows[-1].edge_id).encode() if more else None
    return FollowPage(items=items, next_cursor=next_cursor)


async def list_followers(
    session: AsyncSession,
    viewer: User | None,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> FollowPage:
    """Who follows `user_id`, newest first; hidden (403) on a private profile but to its owner
    and admins."""
    return await _page(session, viewer, user_id, followers=True, cursor=cursor, limit=limit)


async def list_following(
    session: AsyncSession,
    viewer: User | None,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> FollowPage:
    """Whom `user_id` follows, newest first; same visibility as `list_followers`."""
    return await _page(session, viewer, user_id, followers=False, cursor=cursor, limit=limit)


async def public_profile(
    session: AsyncSession, user: User, viewer: User | None
) -> PublicProfileRead:
    """The accounts domain's `public_view` plus the follow graph: counts where the full profile
    is visible, and whether the viewer and the user follow each other."""
    extra: dict[str, object] = {}
    if accounts_service.profile_visible(user, viewer):
        extra["follower_count"], extra["following_count"] = (
            await repository.counts(session, [user.id])
        )[user.id]
    if viewer is not None and viewer.id != user.id:
        extra["is_following"], extra["follows_you"] = await relation(session, viewer.id, user.id)
    return accounts_service.public_view(user, viewer).model_copy(update=extra)


def following_statement(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A SELECT of the ids `user_id` follows, to embed as `IN (...)` in a feed query."""
    return repository.following_statement(user_id)


async def following_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the (non-deleted) users `user_id` follows."""
    return list((await session.scalars(repository.following_statement(user_id))).all())


async def follower_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the (non-deleted) users who follow `user_id`."""
    return list((await session.scalars(repository.followers_statement(user_id))).all())


async def counts(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(followers, following) for each of `user_ids`, deleted accounts not counted."""
    if not user_ids:
        return {}
    return await repository.counts(session, list(dict.fromkeys(user_ids)))


async def is_following(session: AsyncSession, follower_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether `follower_id` follows `user_id`."""
    return (follower_id, user_id) in await repository.edges_between(session, follower_id, user_id)


async def relation(
    session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[bool, bool]:
    """(viewer follows user, user follows viewer) in one query."""
    edges = await repository.edges_between(session, viewer_id, user_id)
    return (viewer_id, user_id) in edges, (user_id, viewer_id) in edges


# --- blocks --------------------------------------------------------------------------------


async def blocked_between(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    """True when either user blocks the other (other domains ask this before notifying)."""
    return await repository.blocked_between(session, a, b)


async def blocked_any(
    session: AsyncSession, a: uuid.UUID, others: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `others` who block `a` or whom `a` blocks, in one query."""
    return await repository.blocked_any(session, a, others)


def block_exists(a: uuid.UUID, other: ColumnElement[uuid.UUID]) -> Exists:
    """An EXISTS clause, true when a block stands between `a` and the user id in `other` (a
    column of the embedding query) either way: for rules checked in the same query."""
    return repository.block_exists(a, other)


async def block(session: AsyncSession, actor: User, user_id: uuid.UUID) -> None:
    """`actor` blocks `user_id`: no messages either way, and neither follows the other."""
    if user_id == actor.id:
        raise ValidationFailed("You cannot block yourself", fields={"userId": "That is you"})
    target = await accounts_service.get(session, user_id)
    if target is None:
        raise BlockTargetNotFound("User not found")
    if await repository.insert_block(session, actor.id, user_id):
        if await repository.remove(session, actor.id, user_id):
            events.publish(session, UserUnfollowed(follower_id=actor.id, following_id=user_id))
        if await repository.remove(session, user_id, actor.id):
            events.publish(session, UserUnfollowed(follower_id=user_id, following_id=actor.id))
        events.publish(session, UserBlocked(blocker_id=actor.id, blocked_id=user_id))


async def unblock(session: AsyncSession, actor: User, user_id: uuid.UUID) -> None:
    """`actor` lifts their block of `user_id`; unblocking someone not blocked changes nothing."""
    if await repository.delete_block(session, actor.id, user_id):
        events.publish(session, UserUnblocked(blocker_id=actor.id, blocked_id=user_id))


async def list_blocks(session: AsyncSession, actor: User) -> BlockPage:
    """The people `actor` blocks, newest first (deleted accounts left out)."""
    rows = await repository.blocks_of(session, actor.id)
    people = await accounts_service.user_refs(session, {r.blocked_id for r in rows})
    return BlockPage(
        items=[
            BlockRead(user=people[r.blocked_id], created_at=r.created_at)
            for r in rows
            if r.blocked_id in people
        ]
    )
