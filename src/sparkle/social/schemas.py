"""Follow and block schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from sparkle.accounts.schemas import UserRef
from sparkle.core.schemas import CursorPage, Schema


class FollowState(Schema):
    """The caller's relation to a user after a follow or unfollow, with that user's counts."""

    following: bool
    follower_count: int
    following_count: int

    model_config = ConfigDict(
        json_schema_extra={"example": {"following": True, "followerCount": 42, "followingCount": 7}}
    )


class FollowUser(Schema):
    """A user in a followers or following list."""

    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None
    followed_at: datetime
    is_following: bool | None = Field(
        None,
        description="Whether the signed-in caller follows this user; null for anonymous callers.",
    )


class FollowPage(CursorPage[FollowUser]):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        "id": "0192f1d2-7c1e-7b3a-9e55-2b1f6c1d9a10",
                        "username": "luna_sparkle",
                        "displayName": "Luna",
                        "avatarUrl": None,
                        "followedAt": "2026-11-22T10:00:00Z",
                        "isFollowing": True,
                    }
                ],
                "nextCursor": "WyIyMDI2LTExLTIyVDEwOjAwOjAwKzAwOjAwIiwiMDE5MiJd",
            }
        }
    )


class BlockRead(Schema):
    user: UserRef
    created_at: datetime


class BlockPage(Schema):
    items: list[BlockRead]
