"""The preferences service the email and realtime layers call: defaults, overrides stored
sparsely, all-types switches, digest, quiet hours across midnight and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from sparkle.accounts.models import Profile
from sparkle.core.errors import ValidationFailed
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationPreferences, NotificationType
from sparkle.notifications.preferences import Preferences, in_quiet_hours


async def test_defaults_without_row(db, owner) -> None:
    prefs = await preferences.get_preferences(db, owner.id)
    assert prefs.digest == "weekly"
    assert prefs.timezone == "UTC"
    assert prefs.channels[NotificationType.POST_LIKED]["email"] is True
    assert prefs.channels[NotificationType.ACHIEVEMENT_UNLOCKED]["email"] is False
    assert all(prefs.channels[t]["in_app"] for t in NotificationType)
    assert await db.get(NotificationPreferences, owner.id) is None


async def test_profile_timezone(db, owner) -> None:
    profile = await db.scalar(select(Profile).where(Profile.user_id == owner.id))
    profile.timezone = "Asia/Tokyo"
    await db.flush()
    assert (await preferences.get_preferences(db, owner.id)).timezone == "Asia/Tokyo"
    await preferences.set_quiet_hours(db, owner.id, time(22), time(7), "America/New_York")
    prefs = await preferences.get_preferences(db, owner.id)
    assert prefs.timezone == "America/New_York"
    assert prefs.timezone_from_profile is False


async def test_set_channel_and_wants(db, owner, other) -> None:
    assert await preferences.wants(db, owner.id, NotificationType.POST_LIKED, "email") is True
    await preferences.set_channel(db, owner.id, NotificationType.POST_LIKED, "email", False)
    assert await preferences.wants(db, owner.id, NotificationType.POST_LIKED, "email") is False
    assert await preferences.wants(db, owner.id, NotificationType.POST_LIKED, "push") is True
    assert await preferences.wants(db, owner.id, NotificationType.MENTION, "email") is True
    assert await preferences.wants(db, other.id, NotificationType.POST_LIKED, "email") is True
    row = await db.get(NotificationPreferences, owner.id)
    assert row.channels == {"POST_LIKED": {"email": False}}
    # Back to the default: the override disappears.
    await preferences.set_channel(db, owner.id, NotificationType.POST_LIKED, "email", True)
    await db.refresh(row)
    assert row.channels == {}


async def test_set_channel_all_types(db, owner) -> None:
    await preferences.set_channel(db, owner.id, None, "email", False)
    for t in NotificationType:
        assert await preferences.wants(db, owner.id, t, "email") is False
        assert await preferences.wants(db, owner.id, t, "in_app") is True
    await preferences.set_channel(db, owner.id, None, "email", True)
    assert await preferences.wants(db, owner.id, NotificationType.LEVEL_UP, "email") is True


async def test_unknown_channel(db, owner) -> None:
    with pytest.raises(ValidationFailed):
        await preferences.set_channel(db, owner.id, NotificationType.SYSTEM, "pigeon", True)  # type: ignore[arg-type]


async def test_digest(db, owner) -> None:
    await preferences.set_digest(db, owner.id, "daily")
    assert (await preferences.get_preferences(db, owner.id)).digest == "daily"
    await preferences.set_digest(db, owner.id, "off")
    assert (await preferences.get_preferences(db, owner.id)).digest == "off"
    with pytest.raises(ValidationFailed):
        await preferences.set_digest(db, owner.id, "hourly")  # type: ignore[arg-type]


async def test_quiet_hours_need_both_bounds(db, owner) -> None:
    with pytest.raises(ValidationFailed):
        await preferences.set_quiet_hours(db, owner.id, time(22), None, None)
    with pytest.raises(ValidationFailed):
        await preferences.set_quiet_hours(db, owner.id, time(22), time(7), "Nowhere/Land")


def prefs(start: time | None, end: time | None, tz: str = "UTC") -> Preferences:
    return Preferences(channels={}, quiet_hours_start=start, quiet_hours_end=end, timezone=tz)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (21, 59, False),
        (22, 0, True),
        (23, 30, True),
        (0, 0, True),
        (6, 59, True),
        (7, 0, False),
        (12, 0, False),
    ],
)
def test_quiet_hours_across_midnight(hour, minute, quiet) -> None:
    now = datetime(2026, 11, 22, hour, minute, tzinfo=UTC)
    assert in_quiet_hours(prefs(time(22), time(7)), now) is quiet


def test_quiet_hours_same_day() -> None:
    p = prefs(time(13), time(14))
    assert in_quiet_hours(p, datetime(2026, 1, 1, 13, 30, tzinfo=UTC))
    assert not in_quiet_hours(p, datetime(2026, 1, 1, 14, 0, tzinfo=UTC))


def test_quiet_hours_none_or_empty() -> None:
    now = datetime(2026, 1, 1, 23, tzinfo=UTC)
    assert not in_quiet_hours(prefs(None, None), now)
    assert not in_quiet_hours(prefs(time(5), time(5)), now)


def test_quiet_hours_in_users_timezone() -> None:
    # 22:30 UTC is 07:30 the next morning in Tokyo (UTC+9): outside 22:00–07:00 there.
    now = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)
    assert in_quiet_hours(prefs(time(22), time(7), "UTC"), now)
    assert not in_quiet_hours(prefs(time(22), time(7), "Asia/Tokyo"), now)
    # 04:30 UTC in summer is 00:30 in New York (UTC-4).
    assert in_quiet_hours(
        prefs(time(22), time(7), "America/New_York"), datetime(2026, 6, 1, 4, 30, tzinfo=UTC)
    )
    # A naive `now` is read as UTC.
    assert in_quiet_hours(prefs(time(22), time(7)), datetime(2026, 6, 1, 23, 0))
