"""The Socket.IO protocol: every client→server and server→client event with its payload model.

Names and fields are seed 003's (camelCase) with seed 000's colon names as aliases. The
catalogue at the bottom is the single source of `docs/realtime.md` (a test re-renders it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator
from pydantic.alias_generators import to_camel

from sparkle.core.schemas import TextInput

MAX_PRESENCE_IDS = 500
MAX_ROOM_MESSAGE = 2000


class Inbound(TextInput):
    """A client's payload: camelCase, nothing unknown, no lone surrogate, validated before any
    handler runs."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Outbound(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ErrorCode(StrEnum):
    """The `code` of an `error` event (seed 003's names plus the protocol's own)."""

    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_PAYLOAD = "INVALID_PAYLOAD"
    RATE_LIMITED = "RATE_LIMITED"
    NOT_FOUND = "NOT_FOUND"
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
    SUBSCRIBE_FAILED = "SUBSCRIBE_FAILED"
    PRESENCE_UPDATE_FAILED = "PRESENCE_UPDATE_FAILED"
    REACTION_ADD_FAILED = "REACTION_ADD_FAILED"
    REACTION_REMOVE_FAILED = "REACTION_REMOVE_FAILED"
    MESSAGE_SEND_FAILED = "MESSAGE_SEND_FAILED"
    MESSAGE_READ_FAILED = "MESSAGE_READ_FAILED"
    PARTY_NOT_FOUND = "PARTY_NOT_FOUND"
    PARTY_JOIN_FAILED = "PARTY_JOIN_FAILED"
    PARTY_UPDATE_FAILED = "PARTY_UPDATE_FAILED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 - an error code, not a secret
    INTERNAL_ERROR = "INTERNAL_ERROR"


class Status(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    BUSY = "busy"
    INVISIBLE = "invisible"
    OFFLINE = "offline"


# --- client → server -------------------------------------------------------------------------


class Id(RootModel[uuid.UUID]):
    """A bare id string, as seed 003 sends it (`subscribeToPost(postId)`)."""


class RoomRef(RootModel[str]):
    """`{kind}:{id}` such as `post:0190…` (seed 000's `room:join(roomId)`)."""

    @field_validator("root")
    @classmethod
    def _shape(cls, value: str) -> str:
        kind, sep, ident = value.partition(":")
        if not sep or not kind or len(value) > 100:
            raise ValueError("Must look like kind:id")
        uuid.UUID(ident)
        return value


class PresenceUpdateIn(Inbound):
    status: Literal["online", "away", "busy", "invisible"]
    location: str | None = Field(None, max_length=200)


class PresenceStatusIn(RootModel[Literal["online", "away", "busy", "invisible"]]):
    """Seed 000's `presence:update(status)`."""


class PresenceGetIn(RootModel[list[uuid.UUID]]):
    @field_validator("root")
    @classmethod
    def _size(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(value) > MAX_PRESENCE_IDS:
            raise ValueError(f"At most {MAX_PRESENCE_IDS} user ids")
        return value


class TypingIn(Inbound):
    """`channelId` is the channel's id, or its room name `{channelType}:{id}` as clients
    written from seed 000 send it (its server emits to the room named by `channelId`)."""

    channel_id: uuid.UUID
    channel_type: Literal["post", "conversation", "party", "space"]

    @model_validator(mode="before")
    @classmethod
    def _room_name(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        value, kind = data.get("channelId"), data.get("channelType")
        if isinstance(value, str) and ":" in value:
            prefix, _, ident = value.partition(":")
            if prefix != kind:
                raise ValueError("channelId names a room of another channelType")
            return {**data, "channelId": ident}
        return data


class RoomTypingIn(Inbound):
    """Seed 000's `typing:start/typing:stop {roomId}`."""

    room_id: RoomRef


class RoomMessageIn(Inbound):
    room_id: RoomRef
    message: str = Field(min_length=1, max_length=MAX_ROOM_MESSAGE)


class ReactionIn(Inbound):
    entity_type: Literal["post", "comment"]
    entity_id: uuid.UUID
    reaction_type: Literal["LIKE", "LOVE", "LAUGH", "WOW", "SAD", "ANGRY"]


# --- server → client -------------------------------------------------------------------------


class ConnectedOut(Outbound):
    socket_id: str
    user_id: uuid.UUID


class ErrorOut(Outbound):
    message: str
    code: ErrorCode


class PresenceRead(Outbound):
    """One user's presence. `invisible` is reported as `offline` to everybody but the user."""

    user_id: uuid.UUID
    status: Status
    location: str | None = None
    last_seen: datetime | None = None
    devices: int = 0


class PresenceChangedOut(Outbound):
    """`presence:changed` (seed 000) and `presenceUpdate` (seed 003)."""

    user_id: uuid.UUID
    status: Status
    location: str | None = None
    timestamp: datetime


class UserOnlineOut(Outbound):
    user_id: uuid.UUID
    status: Status


class UserOfflineOut(Outbound):
    user_id: uuid.UUID
    last_seen: datetime | None = None


class UserTypingOut(Outbound):
    user_id: uuid.UUID
    channel_id: str
    username: str


class UserStoppedTypingOut(Outbound):
    user_id: uuid.UUID
    channel_id: str


class RoomTypingOut(Outbound):
    """Seed 000's `user:typing`."""

    user_id: uuid.UUID
    username: str
    room_id: str
    is_typing: bool


class RoomMessageOut(Outbound):
    room_id: str
    user_id: uuid.UUID
    username: str
    message: str
    timestamp: datetime


class PostCreatedOut(Outbound):
    post_id: uuid.UUID
    author_id: uuid.UUID
    author_username: str
    title: str
    slug: str
    excerpt: str | None = None
    published_at: datetime | None = None


class PostUpdatedOut(Outbound):
    post_id: uuid.UUID
    status: str
    changes: list[str] = Field(default_factory=list)


class CommentAuthorOut(Outbound):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class CommentOut(Outbound):
    """`commentCreated` / `commentUpdated`: the comment as anybody who may read the post sees it."""

    id: uuid.UUID
    post_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    depth: int
    author: CommentAuthorOut | None = None
    content: str
    content_html: str
    created_at: datetime
    edited_at: datetime | None = None
    comment_count: int


class CommentDeletedOut(RootModel[uuid.UUID]):
    """`commentDeleted(commentId)`: the bare id, as seed 003 sends it."""


class PostDeletedOut(RootModel[uuid.UUID]):
    """`postDeleted(postId)`."""


class ReactionOut(Outbound):
    user_id: uuid.UUID
    type: str


class ReactionAddedOut(Outbound):
    entity_type: Literal["post", "comment"]
    entity_id: uuid.UUID
    post_id: uuid.UUID
    reaction: ReactionOut
    counts: dict[str, int]


class ReactionRemovedOut(Outbound):
    entity_type: Literal["post", "comment"]
    entity_id: uuid.UUID
    post_id: uuid.UUID
    reaction_type: str
    user_id: uuid.UUID
    counts: dict[str, int]


class ReactionAck(Outbound):
    ok: bool
    counts: dict[str, int] | None = None
    my_reactions: list[str] | None = None
    error: ErrorOut | None = None


class SubscribeAck(Outbound):
    ok: bool
    room: str | None = None
    error: ErrorOut | None = None


class LiveViewerCountOut(Outbound):
    entity_id: uuid.UUID
    count: int


class UnreadCountOut(RootModel[int]):
    """`unreadCountUpdate(count)`."""


class ServerShutdownOut(Outbound):
    """Sent before a graceful shutdown: the client reconnects (to another process)."""

    reconnect: bool = True


# --- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    name: str
    model: type[BaseModel] | None
    doc: str
    aliases: tuple[str, ...] = ()
    ack: type[BaseModel] | None = None
    rooms: str = ""


CLIENT_EVENTS: list[EventSpec] = [
    EventSpec(
        "updatePresence",
        PresenceUpdateIn,
        "Set your status (and where you are).",
        ("presence:update",),
    ),
    EventSpec(
        "getPresence",
        PresenceGetIn,
        "Presence of up to 500 users in one round trip; the ack is a map `{userId: PresenceRead}`.",
        ("presence:get",),
        ack=PresenceRead,
    ),
    EventSpec(
        "subscribeToPost", Id, "Join `post:{id}` (posts you may read only).", ack=SubscribeAck
    ),
    EventSpec("unsubscribeFromPost", Id, "Leave `post:{id}`.", ack=SubscribeAck),
    EventSpec("subscribeToUser", Id, "Join `user-updates:{id}`.", ack=SubscribeAck),
    EventSpec("unsubscribeFromUser", Id, "Leave `user-updates:{id}`.", ack=SubscribeAck),
    EventSpec(
        "subscribeToConversation",
        Id,
        "Join `conversation:{id}` (participants only).",
        ack=SubscribeAck,
    ),
    EventSpec("unsubscribeFromConversation", Id, "Leave `conversation:{id}`.", ack=SubscribeAck),
    EventSpec(
        "room:join",
        RoomRef,
        "Join any room kind (`post`, `user-updates`, "
        "`conversation`, ...) with the same authorization.",
        ack=SubscribeAck,
    ),
    EventSpec("room:leave", RoomRef, "Leave a room.", ack=SubscribeAck),
    EventSpec(
        "room:message",
        RoomMessageIn,
        "Say something to a room you joined; everybody in it gets `room:message`.",
    ),
    EventSpec(
        "startTyping",
        TypingIn,
        "You are typing in a channel you joined; auto-stops after 5 s without a renewal.",
    ),
    EventSpec("stopTyping", TypingIn, "You stopped typing."),
    EventSpec("typing:start", RoomTypingIn, "Seed 000's typing start."),
    EventSpec("typing:stop", RoomTypingIn, "Seed 000's typing stop."),
    EventSpec(
        "addReaction", ReactionIn, "React (same rules and side effects as HTTP).", ack=ReactionAck
    ),
    EventSpec("removeReaction", ReactionIn, "Take a reaction back.", ack=ReactionAck),
]

SERVER_EVENTS: list[EventSpec] = [
    EventSpec("connected", ConnectedOut, "Right after a successful connect.", rooms="the socket"),
    EventSpec("error", ErrorOut, "A refused or invalid event.", rooms="the socket"),
    EventSpec(
        "presenceUpdate",
        PresenceChangedOut,
        "A followed user's status changed (throttled per user).",
        ("presence:changed",),
        rooms="`user:{followerId}`",
    ),
    EventSpec(
        "userOnline", UserOnlineOut, "A followed user came online.", rooms="`user:{followerId}`"
    ),
    EventSpec(
        "userOffline",
        UserOfflineOut,
        "A followed user went offline (last device gone or silent for the presence TTL).",
        rooms="`user:{followerId}`",
    ),
    EventSpec("userTyping", UserTypingOut, "Somebody else is typing.", rooms="the channel"),
    EventSpec(
        "userStoppedTyping",
        UserStoppedTypingOut,
        "They stopped (or 5 s passed).",
        rooms="the channel",
    ),
    EventSpec("user:typing", RoomTypingOut, "Seed 000's typing indicator.", rooms="the room"),
    EventSpec("room:message", RoomMessageOut, "A message said to a room.", rooms="the room"),
    EventSpec(
        "postCreated",
        PostCreatedOut,
        "A followed author published a post.",
        rooms="`user:{followerId}`",
    ),
    EventSpec("postUpdated", PostUpdatedOut, "A post changed.", rooms="`post:{id}`"),
    EventSpec("postDeleted", PostDeletedOut, "A post was deleted.", rooms="`post:{id}`"),
    EventSpec("commentCreated", CommentOut, "A new comment.", rooms="`post:{postId}`"),
    EventSpec("commentUpdated", CommentOut, "An edited comment.", rooms="`post:{postId}`"),
    EventSpec(
        "commentDeleted", CommentDeletedOut, "A deleted comment's id.", rooms="`post:{postId}`"
    ),
    EventSpec(
        "reactionAdded", ReactionAddedOut, "Fresh counts after a reaction.", rooms="`post:{postId}`"
    ),
    EventSpec(
        "reactionRemoved",
        ReactionRemovedOut,
        "Fresh counts after a removal.",
        rooms="`post:{postId}`",
    ),
    EventSpec(
        "liveViewerCount",
        LiveViewerCountOut,
        "How many sockets watch a post (debounced).",
        rooms="`post:{id}`",
    ),
    EventSpec(
        "notification",
        None,
        "A new notification (the notifications domain's payload); not sent when the "
        "recipient turned push off for its type or is in quiet hours "
        "(`unreadCountUpdate` still is).",
        rooms="`user:{recipientId}`",
    ),
    EventSpec(
        "unreadCountUpdate",
        UnreadCountOut,
        "Your unread notification count.",
        rooms="`user:{recipientId}`",
    ),
    EventSpec(
        "serverShutdown",
        ServerShutdownOut,
        "This process is stopping; reconnect.",
        rooms="everybody on the process",
    ),
]
