"""The live `notification` toast honours the recipient's push switch and quiet hours; the
`unreadCountUpdate` that keeps the bell right goes out either way."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from sparkle.accounts.models import Role
from tests.conftest import Account
from tests.factories.accounts import create_account
from tests.factories.content import create_post
from tests.realtime.conftest import Client, Live, flush

ZONE = "Pacific/Auckland"


async def _put_preferences(live: Live, account: Account, body: dict[str, Any]) -> None:
    async with live.http() as http:
        r = await http.put("/api/notifications/preferences", json=body, headers=account.headers)
        assert r.status_code == 200, r.text


async def _like(live: Live, fan: Account, author: Account) -> str:
    """`fan` likes a fresh post of `author` (a new notification, so the unread count moves)."""
    post = await create_post(live.rt, author.user)
    async with live.http() as http:
        r = await http.post(
            f"/api/posts/{post.id}/reactions", json={"type": "LIKE"}, headers=fan.headers
        )
        assert r.status_code == 201, r.text
    return str(post.id)


async def _unread_titles(live: Live, account: Account) -> list[str]:
    async with live.http() as http:
        r = await http.get("/api/notifications?unread=true", headers=account.headers)
        assert r.status_code == 200, r.text
        return [item["title"] for item in r.json()["items"]]


async def _count_then_no_toast(client: Client, expected: int) -> None:
    # The toast, when sent, is emitted before the count on the same ordered loop, so once the
    # count has arrived and the connection is flushed a missing toast is missing for good.
    assert await client.wait_for("unreadCountUpdate", lambda n: n == expected) == expected
    await flush(client)
    assert client.events("notification") == []


def _local_hours(offset_start: int, offset_end: int) -> tuple[str, str]:
    now = datetime.now(UTC).astimezone(zoneinfo.ZoneInfo(ZONE))
    start = (now + timedelta(hours=offset_start)).strftime("%H:%M")
    end = (now + timedelta(hours=offset_end)).strftime("%H:%M")
    return start, end


async def test_toast_by_default(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("push_default_author")
    fan = await live.account("push_default_fan")
    client = await connect(author)
    post_id = await _like(live, fan, author)
    note = await client.wait_for("notification")
    assert note["type"] == "POST_LIKED" and note["url"] == f"/p/{post_id}"
    assert await client.wait_for("unreadCountUpdate") == 1


async def test_push_off_sends_the_count_only(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("push_off_author")
    fan = await live.account("push_off_fan")
    await _put_preferences(live, author, {"channels": {"POST_LIKED": {"push": False}}})
    client = await connect(author)
    await _like(live, fan, author)
    await _count_then_no_toast(client, 1)
    # Still in the app: only the live toast is off.
    assert await _unread_titles(live, author) == ["push_off_fan liked your post"]

    # Another type keeps its toast.
    async with live.http() as http:
        r = await http.post(f"/api/users/{author.id}/follow", headers=fan.headers)
        assert r.status_code == 200, r.text
    note = await client.wait_for("notification")
    assert note["type"] == "USER_FOLLOWED"
    assert await client.wait_for("unreadCountUpdate", lambda n: n == 2) == 2


async def test_quiet_hours_hold_the_toast(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("quiet_author")
    fan = await live.account("quiet_fan")
    start, end = _local_hours(-1, 1)  # now, in Auckland, is inside
    await _put_preferences(
        live, author, {"quietHoursStart": start, "quietHoursEnd": end, "timezone": ZONE}
    )
    client = await connect(author)
    await _like(live, fan, author)
    await _count_then_no_toast(client, 1)

    start, end = _local_hours(2, 3)  # quiet later today: now is not quiet
    await _put_preferences(live, author, {"quietHoursStart": start, "quietHoursEnd": end})
    await _like(live, fan, author)
    assert (await client.wait_for("notification"))["type"] == "POST_LIKED"
    assert await client.wait_for("unreadCountUpdate", lambda n: n == 2) == 2


async def test_quiet_hours_in_the_profile_time_zone(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("quiet_profile_author")
    fan = await live.account("quiet_profile_fan")
    async with live.http() as http:
        r = await http.patch(
            "/api/users/me/profile", json={"timezone": ZONE}, headers=author.headers
        )
        assert r.status_code == 200, r.text
    start, end = _local_hours(-1, 1)
    # No time zone of their own: the quiet hours are read in the profile's (Auckland), where
    # they cover now.
    await _put_preferences(live, author, {"quietHoursStart": start, "quietHoursEnd": end})
    client = await connect(author)
    await _like(live, fan, author)
    await _count_then_no_toast(client, 1)


async def test_broadcast_honours_each_recipient(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    admin = await create_account(live.rt, username="push_admin", role=Role.ADMIN)
    loud = await live.account("push_loud")
    muted = await live.account("push_muted")
    sleeping = await live.account("push_sleeping")
    await _put_preferences(live, muted, {"channels": {"SYSTEM": {"push": False}}})
    start, end = _local_hours(-1, 1)
    await _put_preferences(
        live, sleeping, {"quietHoursStart": start, "quietHoursEnd": end, "timezone": ZONE}
    )
    clients = {a.user.username: await connect(a) for a in (loud, muted, sleeping)}
    async with live.http() as http:
        r = await http.post(
            "/api/admin/notifications",
            json={
                "title": "Maintenance",
                "content": "Back soon",
                "audience": {"userIds": [str(a.id) for a in (loud, muted, sleeping)]},
            },
            headers=admin.headers,
        )
        assert r.status_code == 202, r.text
    assert (await clients["push_loud"].wait_for("notification"))["title"] == "Maintenance"
    assert await clients["push_loud"].wait_for("unreadCountUpdate") == 1
    await _count_then_no_toast(clients["push_muted"], 1)
    await _count_then_no_toast(clients["push_sleeping"], 1)
