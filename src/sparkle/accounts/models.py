"""Users and their public profiles."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sparkle.core.db import Base, SoftDeleteMixin, TimestampMixin, UUIDPrimaryKey
from sparkle.core.db.base import JSONType


class Role(enum.StrEnum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


class User(UUIDPrimaryKey, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("username ~ '^[a-zA-Z0-9_-]+$'", name="username_format").ddl_if(
            dialect="postgresql"
        ),
        CheckConstraint("username NOT GLOB '*[^a-zA-Z0-9_-]*'", name="username_format").ddl_if(
            dialect="sqlite"
        ),
    )

    email: Mapped[str] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(30))
    hashed_password: Mapped[str | None] = mapped_column(Text)
    email_verified: Mapped[datetime | None]
    role: Mapped[str] = mapped_column(String(16), default=Role.USER.value)
    total_points: Mapped[int] = mapped_column(default=0)
    banned_until: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The last accepted TOTP time step: a code is never accepted twice (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None]
    # Set when the account was deleted: the original username, kept through the grace period.
    deleted_username: Mapped[str | None] = mapped_column(String(30))

    profile: Mapped[Profile] = relationship(back_populates="user", lazy="raise", uselist=False)


class Theme(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


class Profile(UUIDPrimaryKey, Base):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("accent_color ~ '^#[0-9A-Fa-f]{6}$'", name="valid_accent_color").ddl_if(
            dialect="postgresql"
        ),
        CheckConstraint(
            "accent_color GLOB '#" + "[0-9A-Fa-f]" * 6 + "'", name="valid_accent_color"
        ).ddl_if(dialect="sqlite"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    banner_url: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(Text)
    pronouns: Mapped[str | None] = mapped_column(String(50))
    timezone: Mapped[str] = mapped_column(String(50), default="UTC")
    social_links: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    theme: Mapped[str] = mapped_column(String(20), default=Theme.SYSTEM.value)
    accent_color: Mapped[str] = mapped_column(String(7), default="#6366f1")
    is_public: Mapped[bool] = mapped_column(default=True)
    show_email: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="profile", lazy="raise")


# Case-insensitive uniqueness: lower() expression indexes work on both backends.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
Index("uq_users_username_lower", func.lower(User.username), unique=True)
