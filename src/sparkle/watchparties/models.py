"""Watch parties, who is in them (host, co-hosts, guests, invitees) and what they said or
reacted at which point of the video (moments)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    FOLLOWERS = "followers"
    INVITE = "invite"


class PartyStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class PlaybackStatus(enum.StrEnum):
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"


class PartyRole(enum.StrEnum):
    HOST = "host"
    COHOST = "cohost"
    GUEST = "guest"


class MomentKind(enum.StrEnum):
    CHAT = "chat"
    REACTION = "reaction"


class WatchParty(UUIDPrimaryKey, Base):
    __tablename__ = "watch_parties"
    __table_args__ = (
        Index("ix_watch_parties_status_scheduled", "status", "scheduled_for", "id"),
        CheckConstraint("visibility IN ('public', 'followers', 'invite')", name="visibility"),
        CheckConstraint("status IN ('scheduled', 'live', 'ended')", name="status"),
        CheckConstraint(
            "playback_status IN ('playing', 'paused', 'ended')", name="playback_status"
        ),
    )

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    youtube_video_id: Mapped[str] = mapped_column(String(11))
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC.value)
    max_participants: Mapped[int] = mapped_column(default=50)
    status: Mapped[str] = mapped_column(String(10), default=PartyStatus.SCHEDULED.value)
    scheduled_for: Mapped[datetime | None]
    slow_mode_seconds: Mapped[int] = mapped_column(default=0)
    # Playback state, owned by the host: position at `state_updated_at`, extrapolated by readers.
    video_id: Mapped[str] = mapped_column(String(11))
    playback_status: Mapped[str] = mapped_column(String(10), default=PlaybackStatus.PAUSED.value)
    position_seconds: Mapped[float] = mapped_column(default=0.0)
    playback_rate: Mapped[float] = mapped_column(default=1.0)
    state_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    queue: Mapped[list[str]] = mapped_column(JSONType, default=list)
    present_count: Mapped[int] = mapped_column(default=0)
    empty_since: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WatchPartyParticipant(UUIDPrimaryKey, Base):
    __tablename__ = "watch_party_participants"
    __table_args__ = (
        UniqueConstraint("party_id", "user_id"),
        Index("ix_watch_party_participants_user", "user_id", "party_id"),
        CheckConstraint("role IN ('host', 'cohost', 'guest')", name="role"),
    )

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("watch_parties.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10), default=PartyRole.GUEST.value)
    is_active: Mapped[bool] = mapped_column(default=False)
    # Sockets (and REST joins) currently holding this participant in the party.
    connections: Mapped[int] = mapped_column(default=0)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    last_chat_at: Mapped[datetime | None]


class WatchPartyMoment(UUIDPrimaryKey, Base):
    __tablename__ = "watch_party_moments"
    __table_args__ = (
        Index("ix_watch_party_moments_party_created", "party_id", "created_at", "id"),
        CheckConstraint("kind IN ('chat', 'reaction')", name="kind"),
    )

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("watch_parties.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    video_id: Mapped[str] = mapped_column(String(11))
    video_position: Mapped[float] = mapped_column(default=0.0)
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
