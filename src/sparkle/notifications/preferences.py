"""Who wants which notification on which channel: defaults, per-user overrides, digest
frequency and quiet hours in the user's time zone.

Only overrides of the defaults are stored, so a new type or a changed default reaches every
user who has not chosen otherwise.
"""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Profile
from sparkle.core.errors import ValidationFailed
from sparkle.core.schemas import Schema
from sparkle.notifications.models import (
    Channel,
    DigestFrequency,
    NotificationPreferences,
    NotificationType,
)

__all__ = [
    "DEFAULTS",
    "Channel",
    "Delivery",
    "Preferences",
    "channels_for",
    "deliveries_for",
    "delivery_for",
    "get_preferences",
    "in_quiet_hours",
    "set_channel",
    "set_digest",
    "set_quiet_hours",
    "wants",
]

ChannelName = Literal["in_app", "email", "push"]
Digest = Literal["off", "daily", "weekly"]

# Progress and promotional types are summed up by the digest instead of a mail each.
_NO_EMAIL_BY_DEFAULT = {
    NotificationType.ACHIEVEMENT_UNLOCKED,
    NotificationType.LEVEL_UP,
    NotificationType.QUEST_COMPLETE,
    NotificationType.MILESTONE_REACHED,
    NotificationType.GROUP_POST,
    NotificationType.YOUTUBE_PREMIERE,
}

DEFAULTS: dict[NotificationType, dict[Channel, bool]] = {
    t: {
        Channel.IN_APP: True,
        Channel.EMAIL: t not in _NO_EMAIL_BY_DEFAULT,
        Channel.PUSH: True,
    }
    for t in NotificationType
}


class Preferences(Schema):
    """A user's effective preferences (defaults merged with their overrides)."""

    channels: dict[NotificationType, dict[Channel, bool]]
    digest: Digest = "weekly"
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    timezone: str = "UTC"
    timezone_from_profile: bool = Field(default=True)


def _effective(
    overrides: dict[str, dict[str, bool]],
) -> dict[NotificationType, dict[Channel, bool]]:
    out = {t: dict(chans) for t, chans in DEFAULTS.items()}
    for type_name, chans in (overrides or {}).items():
        if type_name not in NotificationType.__members__:
            continue
        for channel, enabled in chans.items():
            if channel in Channel._value2member_map_:
                out[NotificationType(type_name)][Channel(channel)] = bool(enabled)
    return out


async def _profile_timezone(session: AsyncSession, user_id: uuid.UUID) -> str:
    tz = await session.scalar(select(Profile.timezone).where(Profile.user_id == user_id))
    return tz or "UTC"


async def get_preferences(session: AsyncSession, user_id: uuid.UUID) -> Preferences:
    """The user's effective preferences; defaults when they never chose anything."""
    row = await session.get(NotificationPreferences, user_id)
    if row is None:
        return Preferences(
            channels=_effective({}), timezone=await _profile_timezone(session, user_id)
        )
    return Preferences(
        channels=_effective(row.channels),
        digest=row.digest,
        quiet_hours_start=row.quiet_hours_start,
        quiet_hours_end=row.quiet_hours_end,
        timezone=row.timezone or await _profile_timezone(session, user_id),
        timezone_from_profile=row.timezone is None,
    )


async def channels_for(
    session: AsyncSession, user_id: uuid.UUID, type: NotificationType
) -> dict[Channel, bool]:
    """Every channel's switch for one type, in one query."""
    row = await session.get(NotificationPreferences, user_id)
    return _effective(row.channels if row else {})[NotificationType(type)]


@dataclass(frozen=True)
class Delivery:
    """One recipient's switches for one notification type, and whether it is their quiet time."""

    channels: dict[Channel, bool]
    quiet: bool = False

    @property
    def push(self) -> bool:
        """Whether a live toast may go out now: push on for the type and not in quiet hours."""
        return self.channels[Channel.PUSH] and not self.quiet


def _delivery(
    row: NotificationPreferences | None,
    type: NotificationType,
    profile_tz: str | None,
    now: datetime,
) -> Delivery:
    channels = _effective(row.channels if row else {})[NotificationType(type)]
    if row is None or not _has_quiet_hours(row):
        return Delivery(channels)
    tz = row.timezone or profile_tz or "UTC"
    return Delivery(channels, _quiet(row.quiet_hours_start, row.quiet_hours_end, tz, now))


def _has_quiet_hours(row: NotificationPreferences) -> bool:
    return row.quiet_hours_start is not None and row.quiet_hours_end is not None


async def delivery_for(
    session: AsyncSession, user_id: uuid.UUID, type: NotificationType, now: datetime
) -> Delivery:
    """Every channel's switch for one type and whether `now` is in the user's quiet hours: one
    query, two when quiet hours are set and read in the profile's time zone."""
    row = await session.get(NotificationPreferences, user_id)
    profile_tz = None
    if row is not None and _has_quiet_hours(row) and row.timezone is None:
        profile_tz = await _profile_timezone(session, user_id)
    return _delivery(row, type, profile_tz, now)


async def deliveries_for(
    session: AsyncSession, user_ids: list[uuid.UUID], type: NotificationType, now: datetime
) -> dict[uuid.UUID, Delivery]:
    """`delivery_for` for many users at once, in at most two queries."""
    rows = {
        row.user_id: row
        for row in await session.scalars(
            select(NotificationPreferences).where(NotificationPreferences.user_id.in_(user_ids))
        )
    }
    need_tz = [uid for uid, row in rows.items() if _has_quiet_hours(row) and row.timezone is None]
    zones: dict[uuid.UUID, str | None] = {}
    if need_tz:
        zones = dict(
            (
                await session.execute(
                    select(Profile.user_id, Profile.timezone).where(Profile.user_id.in_(need_tz))
                )
            ).all()
        )
    return {uid: _delivery(rows.get(uid), type, zones.get(uid), now) for uid in user_ids}


async def wants(
    session: AsyncSession, user_id: uuid.UUID, type: NotificationType, channel: ChannelName
) -> bool:
    """Whether the user wants notifications of `type` on `channel`."""
    return (await channels_for(session, user_id, type))[Channel(channel)]


async def _locked_row(session: AsyncSession, user_id: uuid.UUID) -> NotificationPreferences:
    """The user's row, created if missing and locked for update (concurrent writers queue)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(NotificationPreferences)
        .values(
            user_id=user_id,
            channels={},
            digest=DigestFrequency.WEEKLY.value,
            updated_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = await session.scalar(
        select(NotificationPreferences)
        .where(NotificationPreferences.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def _check_channel(channel: str) -> Channel:
    if channel not in Channel._value2member_map_:
        raise ValidationFailed("Unknown channel", fields={"channel": "Unknown channel"})
    return Channel(channel)


async def set_channel(
    session: AsyncSession,
    user_id: uuid.UUID,
    type: NotificationType | None,
    channel: ChannelName,
    enabled: bool,
) -> None:
    """Turn `channel` on or off for `type` (every type when `type` is None)."""
    chan = _check_channel(channel)
    row = await _locked_row(session, user_id)
    overrides = {k: dict(v) for k, v in (row.channels or {}).items()}
    for t in [NotificationType(type)] if type is not None else list(NotificationType):
        current = overrides.get(t.value, {})
        if DEFAULTS[t][chan] == enabled:
            current.pop(chan.value, None)
        else:
            current[chan.value] = enabled
        if current:
            overrides[t.value] = current
        else:
            overrides.pop(t.value, None)
    row.channels = overrides
    await session.flush()


async def set_channels(
    session: AsyncSession,
    user_id: uuid.UUID,
    channels: dict[NotificationType, dict[Channel, bool]],
) -> None:
    """Replace the user's whole type × channel matrix (missing cells keep their defaults)."""
    row = await _locked_row(session, user_id)
    overrides: dict[str, dict[str, bool]] = {}
    for t, chans in channels.items():
        for chan, enabled in chans.items():
            if DEFAULTS[NotificationType(t)][Channel(chan)] != enabled:
                overrides.setdefault(NotificationType(t).value, {})[Channel(chan).value] = enabled
    row.channels = overrides
    await session.flush()


async def set_digest(session: AsyncSession, user_id: uuid.UUID, frequency: Digest) -> None:
    """Set how often the digest mail is sent: off, daily or weekly."""
    if frequency not in DigestFrequency._value2member_map_:
        raise ValidationFailed(
            "Unknown digest frequency", fields={"digest": "Must be off, daily or weekly"}
        )
    row = await _locked_row(session, user_id)
    row.digest = frequency
    await session.flush()


async def set_quiet_hours(
    session: AsyncSession,
    user_id: uuid.UUID,
    start: time | None,
    end: time | None,
    timezone: str | None,
) -> None:
    """Set quiet hours (both or neither) and the time zone they are read in (None: profile's)."""
    if (start is None) != (end is None):
        field = "quietHoursEnd" if end is None else "quietHoursStart"
        raise ValidationFailed(
            "Quiet hours need a start and an end", fields={field: "Required with the other bound"}
        )
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        raise ValidationFailed(
            "Unknown time zone",
            fields={"timezone": "Unknown time zone (use an IANA name such as Europe/Paris)"},
        )
    row = await _locked_row(session, user_id)
    row.quiet_hours_start = start.replace(tzinfo=None) if start else None
    row.quiet_hours_end = end.replace(tzinfo=None) if end else None
    row.timezone = timezone
    await session.flush()


def in_quiet_hours(prefs: Preferences, now: datetime) -> bool:
    """Whether `now` falls in the user's quiet hours, read in their time zone.

    A range whose end is before its start spans midnight (22:00–07:00); start == end is empty.
    """
    return _quiet(prefs.quiet_hours_start, prefs.quiet_hours_end, prefs.timezone, now)


def _quiet(start: time | None, end: time | None, timezone: str, now: datetime) -> bool:
    if start is None or end is None or start == end:
        return False
    try:
        tz = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    local = now.astimezone(tz).time().replace(tzinfo=None)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end
