"""Events of the social graph: follows and blocks."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class UserFollowed(DomainEvent):
    """`followerId` started following `followingId`."""

    name: ClassVar[str] = "user:followed"
    follower_id: uuid.UUID
    following_id: uuid.UUID


class UserUnfollowed(DomainEvent):
    """`followerId` stopped following `followingId`."""

    name: ClassVar[str] = "user:unfollowed"
    follower_id: uuid.UUID
    following_id: uuid.UUID


class UserBlocked(DomainEvent):
    """`blockerId` blocked `blockedId`."""

    name: ClassVar[str] = "user:blocked"
    blocker_id: uuid.UUID
    blocked_id: uuid.UUID


class UserUnblocked(DomainEvent):
    """`blockerId` lifted their block of `blockedId`."""

    name: ClassVar[str] = "user:unblocked"
    blocker_id: uuid.UUID
    blocked_id: uuid.UUID
