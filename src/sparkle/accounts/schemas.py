"""Account and profile schemas (camelCase on the wire)."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator

from sparkle.core import html as safe_html
from sparkle.core.schemas import InputSchema, Schema

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ACCENT_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
SOCIAL_NETWORKS = (
    "youtube",
    "twitter",
    "x",
    "instagram",
    "tiktok",
    "twitch",
    "discord",
    "github",
    "bluesky",
    "mastodon",
    "facebook",
    "reddit",
    "website",
)


def check_username(value: str) -> str:
    if not 3 <= len(value) <= 30:
        raise ValueError("Username must be 3 to 30 characters")
    if not USERNAME_RE.fullmatch(value):
        raise ValueError("Username may contain only letters, digits, '_' and '-'")
    return value


def check_http_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > 2048:
        raise ValueError("URL is too long")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("Must be an http(s) URL")
    return value


@lru_cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("Unknown time zone (use an IANA name such as Europe/Paris)")
    return value


def check_social_links(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    out: dict[str, str] = {}
    for network, url in value.items():
        if network not in SOCIAL_NETWORKS:
            raise ValueError(f"Unknown network '{network}' (known: {', '.join(SOCIAL_NETWORKS)})")
        checked = check_http_url(url)
        if checked:
            out[network] = checked
    return out


def check_image_url(value: str | None) -> str | None:
    """An http(s) URL, or the path of a file uploaded here (`/media/...`)."""
    if value and value.startswith("/media/"):
        if not safe_html.is_safe_image(value, ""):
            raise ValueError("Not a valid media path")
        return value
    return check_http_url(value)


Username = Annotated[str, AfterValidator(check_username)]
HttpUrl = Annotated[str | None, AfterValidator(check_http_url)]
ImageUrl = Annotated[str | None, AfterValidator(check_image_url)]


# Who someone is, in one line: what lists of people (blocks, chats, watch parties) show.
class UserRef(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None


class ProfileRead(Schema):
    display_name: str
    bio: str | None = None
    avatar_url: str | None = None
    banner_url: str | None = None
    location: str | None = None
    website: str | None = None
    pronouns: str | None = None
    timezone: str = "UTC"
    social_links: dict[str, str] | None = None
    theme: str = "system"
    accent_color: str = "#6366f1"
    is_public: bool = True
    show_email: bool = False


class UserRead(Schema):
    """The signed-in user's own view of their account."""

    id: uuid.UUID
    email: str
    username: str
    role: str
    email_verified: datetime | None
    two_factor_enabled: bool = False
    total_points: int
    created_at: datetime
    profile: ProfileRead

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0192f1d2-7c1e-7b3a-9e55-2b1f6c1d9a10",
                "email": "luna@example.com",
                "username": "luna_sparkle",
                "role": "USER",
                "emailVerified": "2026-11-20T10:00:00Z",
                "twoFactorEnabled": False,
                "totalPoints": 0,
                "createdAt": "2026-11-20T09:58:00Z",
                "profile": {"displayName": "Luna", "theme": "system", "accentColor": "#6366f1"},
            }
        }
    )


class PublicProfileRead(Schema):
    """What anyone may see of a user; a private profile shows only name and avatar."""

    id: uuid.UUID
    username: str
    display_name: str
    avatar_url: str | None = None
    is_public: bool
    email: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    bio: str | None = None
    banner_url: str | None = None
    location: str | None = None
    website: str | None = None
    pronouns: str | None = None
    timezone: str | None = None
    social_links: dict[str, str] | None = None
    accent_color: str | None = None
    # The follow graph: counts where the full profile is visible; the signed-in viewer's
    # relation to the user (absent on their own profile).
    follower_count: int | None = None
    following_count: int | None = None
    is_following: bool | None = None
    follows_you: bool | None = None


class ProfileUpdate(InputSchema):
    display_name: str | None = Field(None, min_length=1, max_length=50)
    bio: str | None = Field(None, max_length=500)
    avatar_url: ImageUrl = None
    banner_url: ImageUrl = None
    location: str | None = Field(None, max_length=100)
    website: HttpUrl = None
    pronouns: str | None = Field(None, max_length=50)
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = None
    social_links: Annotated[dict[str, str], AfterValidator(check_social_links)] | None = None
    theme: Literal["light", "dark", "system"] | None = None
    accent_color: str | None = Field(None, pattern=ACCENT_RE.pattern)
    is_public: bool | None = None
    show_email: bool | None = None

    @field_validator("display_name")
    @classmethod
    def _strip_name(cls, value: str | None) -> str | None:
        if value is not None:
            value = value.strip()
            if not value:
                raise ValueError("Display name must not be blank")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "displayName": "Luna ✨",
                "bio": "Sparkle fan since day one.",
                "website": "https://luna.example.com",
                "timezone": "Europe/Paris",
                "socialLinks": {"youtube": "https://youtube.com/@luna"},
                "theme": "dark",
                "accentColor": "#ec4899",
            }
        }
    )


class DeleteAccount(InputSchema):
    password: str = Field(max_length=128)


class AdminUserRead(Schema):
    id: uuid.UUID
    email: str
    username: str
    role: str
    email_verified: datetime | None
    banned_until: datetime | None
    two_factor_enabled: bool = False
    created_at: datetime
    deleted_at: datetime | None = None
    display_name: str


class AdminUserUpdate(InputSchema):
    role: Literal["USER", "MODERATOR", "ADMIN"] | None = None
    # A ban without a time zone would be ambiguous (and cannot be stored as UTC).
    banned_until: AwareDatetime | None = None

    model_config = ConfigDict(
        json_schema_extra={"example": {"role": "MODERATOR", "bannedUntil": None}}
    )
