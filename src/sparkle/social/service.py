"""The follow graph: follow and unfollow, followers and following lists, counts, and the
lookups other domains build on (the following feed, notifications, presence)."""

from __future__ import annotations

import uuid
from datetime import datetime

from limits import parse
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.errors import UserNotFound
from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.db import Cursor
from sparkle.core.errors import ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.social import repository
from sparkle.social.errors import FollowBlocked, FollowsHidden, SelfFollow
from sparkle.social.events import UserFollowed, UserUnfollowed
from sparkle.social.schemas import FollowPage, FollowState, FollowUser

# Follow sprees are how spam accounts get noticed; a person rarely follows 60 people an hour.
FOLLOW_PER_USER = parse("60/hour")


async def _access_target(session: AsyncSession, user_id: uuid.UUID) -> User:
    # Imported here: accounts.service imports this module for the counts on profiles.
    from sparkle.accounts import service as accounts_service

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
    from sparkle.messaging.service import blocked_between  # messaging depends on social

    if await blocked_between(session, actor.id, user_id):
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
    from sparkle.accounts import service as accounts_service

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


def following_statement(user_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
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
