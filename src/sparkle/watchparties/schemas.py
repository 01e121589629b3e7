"""Watch party schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from sparkle.accounts.schemas import UserRef
from sparkle.core.schemas import InputSchema, Schema

VIDEO_ID = r"^[A-Za-z0-9_-]{11}$"
MAX_PARTICIPANTS = 100
MAX_QUEUE = 50
MAX_CHAT = 500


def _one_line(value: str) -> str:
    value = value.strip()
    if not value or "\n" in value or any(ord(c) < 32 for c in value):
        raise ValueError("Must be one line of text")
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Must include a timezone")
    return value


VideoId = Annotated[str, Field(pattern=VIDEO_ID, description="An 11-character YouTube video id")]
Title = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
When = Annotated[datetime | None, AfterValidator(_aware)]


class PartyCreate(InputSchema):
    youtube_video_id: VideoId
    title: Title
    description: str | None = Field(None, max_length=2000)
    scheduled_for: When = None
    visibility: Literal["public", "followers", "invite"] = "public"
    max_participants: int = Field(50, ge=2, le=MAX_PARTICIPANTS)
    slow_mode_seconds: int = Field(0, ge=0, le=300)


class PartyUpdate(InputSchema):
    title: Title | None = None
    description: str | None = Field(None, max_length=2000)
    scheduled_for: When = None
    max_participants: int | None = Field(None, ge=2, le=MAX_PARTICIPANTS)
    slow_mode_seconds: int | None = Field(None, ge=0, le=300)


class PlaybackState(Schema):
    """`positionSeconds` is the position at `serverTime`: add (now − serverTime) × playbackRate
    while `status` is playing."""

    video_id: str
    status: Literal["playing", "paused", "ended"]
    position_seconds: float
    playback_rate: float
    updated_at: datetime
    server_time: datetime
    queue: list[str] = Field(default_factory=list)


class StateUpdate(InputSchema):
    status: Literal["playing", "paused", "ended"] | None = None
    position_seconds: float | None = Field(None, ge=0, le=24 * 3600)
    playback_rate: float | None = Field(None, ge=0.25, le=2)
    video_id: VideoId | None = None
    queue: list[Annotated[str, Field(pattern=VIDEO_ID)]] | None = Field(None, max_length=MAX_QUEUE)
    advance: bool = Field(False, description="Play the next queued video from the start")


class PartyRead(Schema):
    id: uuid.UUID
    host: UserRef
    title: str
    description: str | None = None
    youtube_video_id: str
    visibility: str
    max_participants: int
    status: Literal["scheduled", "live", "ended"]
    scheduled_for: datetime | None = None
    slow_mode_seconds: int
    state: PlaybackState
    participant_count: int
    cohost_ids: list[uuid.UUID] = Field(default_factory=list)
    my_role: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime


class PartyPage(Schema):
    items: list[PartyRead]
    next_cursor: str | None = None


class PartyParticipantRead(Schema):
    user: UserRef
    role: str
    is_active: bool
    joined_at: datetime | None = None


class InviteIn(InputSchema):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class MomentCreate(InputSchema):
    kind: Literal["chat", "reaction"] = "chat"
    content: str = Field(min_length=1, max_length=MAX_CHAT)

    @field_validator("content")
    @classmethod
    def _text(cls, value: str) -> str:
        if any(ord(c) < 32 and c not in "\n\t" for c in value) or not value.strip():
            raise ValueError("Must be visible text")
        return value


class MomentRead(Schema):
    id: uuid.UUID
    party_id: uuid.UUID
    user: UserRef | None = None
    kind: str
    content: str
    video_id: str
    video_position: float
    created_at: datetime


class PartyChange(Schema):
    """What changed in the party; `type` says which, and so which fields are set.

    state, ended: `state`; userJoined, userLeft: `userId`, `participantCount`, `username` on
    joining, `hostId` on a hand-over; hostChanged: `hostId`; cohosts: `cohostIds`; chat,
    reaction: `moment`; momentDeleted: `momentId`.
    """

    type: Literal[
        "state",
        "ended",
        "userJoined",
        "userLeft",
        "hostChanged",
        "cohosts",
        "chat",
        "reaction",
        "momentDeleted",
    ]
    state: PlaybackState | None = None
    user_id: uuid.UUID | None = None
    username: str | None = None
    participant_count: int | None = None
    host_id: uuid.UUID | None = None
    cohost_ids: list[uuid.UUID] | None = None
    moment: MomentRead | None = None
    moment_id: uuid.UUID | None = None

    def wire(self) -> dict[str, object]:
        """The fields this type carries (nested payloads are left whole)."""
        data = self.model_dump(mode="json", by_alias=True)
        return {key: value for key, value in data.items() if value is not None}


class MomentPage(Schema):
    items: list[MomentRead]
    next_cursor: str | None = None


class TimelineVideo(Schema):
    video_id: str
    moments: list[MomentRead]
    reactions_per_minute: dict[int, int]


class Timeline(Schema):
    party_id: uuid.UUID
    videos: list[TimelineVideo]
