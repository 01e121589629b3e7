"""Watch parties over HTTP: creation rules, visibility (404 for what you may not see), joining
and leaving, host-only playback with extrapolated positions, hand-over, chat and moments,
invites, reminders and the empty-party timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from sparkle.core import jobs
from sparkle.core.db import session_scope
from sparkle.core.events import capture_events, capture_jobs
from sparkle.core.runtime import Runtime
from sparkle.notifications.models import Notification
from sparkle.watchparties import service
from sparkle.watchparties.models import WatchParty
from tests.conftest import Account
from tests.watchparties.helpers import VIDEO, create_party


class TestCreate:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        resp = await client.post("/api/watch-parties", json={"youtubeVideoId": VIDEO, "title": "x"})
        assert resp.status_code == 401

    async def test_creates(self, client: httpx.AsyncClient, owner: Account) -> None:
        party = await create_party(client, owner, description="Bring snacks", maxParticipants=10)
        assert party["host"]["username"] == "owner_user" and party["status"] == "scheduled"
        assert party["state"]["videoId"] == VIDEO and party["state"]["status"] == "paused"
        assert party["myRole"] == "host" and party["participantCount"] == 0

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("youtubeVideoId", "short"),
            ("youtubeVideoId", "has space!!"),
            ("youtubeVideoId", "https://youtu.be/dQw4w9WgXcQ"),
            ("maxParticipants", 101),
            ("visibility", "secret"),
            ("title", ""),
            ("scheduledFor", "2020-01-01T00:00:00Z"),
        ],
    )
    async def test_invalid_names_the_field(
        self, client: httpx.AsyncClient, owner: Account, field: str, value: object
    ) -> None:
        body = {"youtubeVideoId": VIDEO, "title": "t", field: value}
        resp = await client.post("/api/watch-parties", json=body, headers=owner.headers)
        assert resp.status_code == 400, resp.text
        assert resp.json()["errors"][0]["field"] == field


class TestVisibility:
    async def test_invite_only(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        party = await create_party(client, owner, visibility="invite")
        path = f"/api/watch-parties/{party['id']}"
        assert (await client.get(path)).status_code == 404
        assert (await client.get(path, headers=other.headers)).status_code == 404
        assert (await client.post(f"{path}/join", headers=other.headers)).status_code == 404
        assert (await client.get(path, headers=admin.headers)).status_code == 200
        listed = (
            await client.get("/api/watch-parties?status=upcoming", headers=other.headers)
        ).json()["items"]
        assert party["id"] not in [p["id"] for p in listed]
        resp = await client.post(
            f"{path}/invite", json={"userIds": [str(other.id)]}, headers=owner.headers
        )
        assert resp.json() == {"invited": 1}
        assert (await client.post(f"{path}/join", headers=other.headers)).status_code == 200
        listed = (await client.get("/api/watch-parties?status=live", headers=other.headers)).json()[
            "items"
        ]
        assert [p["id"] for p in listed] == []  # not live until the host is there or plays

    async def test_followers(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        party = await create_party(client, owner, visibility="followers")
        path = f"/api/watch-parties/{party['id']}"
        assert (await client.get(path, headers=other.headers)).status_code == 404
        await client.post(f"/api/users/{owner.id}/follow", headers=other.headers)
        assert (await client.get(path, headers=other.headers)).status_code == 200
        listed = (
            await client.get("/api/watch-parties?status=upcoming", headers=other.headers)
        ).json()["items"]
        assert [p["id"] for p in listed] == [party["id"]]

    async def test_public_lists(self, client: httpx.AsyncClient, owner: Account) -> None:
        party = await create_party(client, owner)
        upcoming = (await client.get("/api/watch-parties?status=upcoming")).json()["items"]
        assert [p["id"] for p in upcoming] == [party["id"]]
        await client.post(f"/api/watch-parties/{party['id']}/join", headers=owner.headers)
        live = (await client.get("/api/watch-parties?status=live")).json()["items"]
        assert [p["id"] for p in live] == [party["id"]] and live[0]["participantCount"] == 1


class TestPlayback:
    async def test_host_only_matrix(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        party = await create_party(client, owner)
        path = f"/api/watch-parties/{party['id']}/state"
        body = {"status": "playing", "positionSeconds": 10}
        assert (await client.put(path, json=body)).status_code == 401
        await client.post(f"/api/watch-parties/{party['id']}/join", headers=other.headers)
        assert (await client.put(path, json=body, headers=other.headers)).status_code == 403
        assert (await client.put(path, json=body, headers=admin.headers)).status_code == 403
        with capture_events() as seen:
            resp = await client.put(path, json=body, headers=owner.headers)
        assert resp.status_code == 200
        assert resp.json()["status"] == "playing" and resp.json()["positionSeconds"] == 10
        update = [e.payload for e in seen if e.name == "watchparty:update"]
        assert update[0]["update"]["type"] == "state"
        assert update[0]["update"]["state"]["positionSeconds"] == 10

    async def test_late_joiner_position_is_extrapolated(self, rt: Runtime, owner: Account) -> None:
        from sparkle.watchparties.schemas import PartyCreate, StateUpdate

        async with session_scope(rt.sessions) as s:
            party = await service.create(
                s, owner.user, PartyCreate(youtube_video_id=VIDEO, title="t")
            )
            await service.set_state(
                s,
                owner.user,
                party.id,
                StateUpdate(status="playing", position_seconds=30, playback_rate=1.5),
            )
            started = party.state_updated_at
        later = started + timedelta(seconds=20)
        assert service.position_at(party, later) == pytest.approx(60.0)
        state = service.state_of(party, later)
        assert state.position_seconds == pytest.approx(60.0) and state.server_time == later
        async with session_scope(rt.sessions) as s:
            await service.set_state(s, owner.user, party.id, StateUpdate(status="paused"))
            party = await s.get(WatchParty, party.id)
            assert party is not None
        paused_at = party.position_seconds
        assert service.position_at(party, later + timedelta(hours=1)) == paused_at

    async def test_cohost_queue_and_advance(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        party = await create_party(client, owner)
        base = f"/api/watch-parties/{party['id']}"
        await client.post(f"{base}/join", headers=other.headers)
        assert (
            await client.put(f"{base}/cohosts/{other.id}", headers=other.headers)
        ).status_code == 403
        assert (
            await client.put(f"{base}/cohosts/{other.id}", headers=owner.headers)
        ).status_code == 204
        queued = await client.put(
            f"{base}/state", json={"queue": ["aaaaaaaaaaa", "bbbbbbbbbbb"]}, headers=other.headers
        )
        assert queued.status_code == 200 and queued.json()["queue"] == [
            "aaaaaaaaaaa",
            "bbbbbbbbbbb",
        ]
        nxt = (
            await client.put(f"{base}/state", json={"advance": True}, headers=other.headers)
        ).json()
        assert (
            nxt["videoId"] == "aaaaaaaaaaa"
            and nxt["queue"] == ["bbbbbbbbbbb"]
            and nxt["status"] == "playing"
        )
        bad = await client.put(f"{base}/state", json={"videoId": "nope"}, headers=owner.headers)
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "videoId"


class TestPresence:
    async def test_host_handover_to_cohost_then_longest_present(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        party = await create_party(client, owner)
        base = f"/api/watch-parties/{party['id']}"
        for who in (owner, other, third):
            assert (await client.post(f"{base}/join", headers=who.headers)).status_code == 200
        await client.put(f"{base}/cohosts/{third.id}", headers=owner.headers)
        with capture_events() as seen:
            assert (await client.post(f"{base}/leave", headers=owner.headers)).status_code == 204
        now = (await client.get(base)).json()
        assert now["host"]["username"] == "third_user" and now["participantCount"] == 2
        types = [e.payload["update"]["type"] for e in seen if e.name == "watchparty:update"]
        assert types == ["userLeft", "hostChanged"]
        # The new host leaves: the longest-present participant (other) takes over.
        await client.post(f"{base}/leave", headers=third.headers)
        assert (await client.get(base)).json()["host"]["username"] == "other_user"
        # The old host is a co-host now and may control playback.
        assert (
            await client.put(f"{base}/state", json={"status": "playing"}, headers=owner.headers)
        ).status_code == 200

    async def test_full(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        party = await create_party(client, owner, maxParticipants=2)
        base = f"/api/watch-parties/{party['id']}"
        await client.post(f"{base}/join", headers=other.headers)
        await client.post(f"{base}/join", headers=(await make_account(username="second")).headers)
        late = await client.post(
            f"{base}/join", headers=(await make_account(username="third")).headers
        )
        assert late.status_code == 409 and late.json()["code"] == "party_full"
        # The host always gets in.
        assert (await client.post(f"{base}/join", headers=owner.headers)).status_code == 200

    async def test_ends_after_ten_empty_minutes(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        party = await create_party(client, owner)
        base = f"/api/watch-parties/{party['id']}"
        await client.post(f"{base}/join", headers=owner.headers)
        with capture_jobs() as queued:
            await client.post(f"{base}/leave", headers=owner.headers)
        assert [(j.name, j.delay) for j in queued] == [("watchparties.close_if_empty", 600)]
        assert (await client.get(base)).json()["status"] == "live"
        await jobs.runner.run_due(advance=601)
        assert (await client.get(base)).json()["status"] == "ended"

    async def test_rejoin_cancels_the_end(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account
    ) -> None:
        party = await create_party(client, owner)
        base = f"/api/watch-parties/{party['id']}"
        await client.post(f"{base}/join", headers=owner.headers)
        await client.post(f"{base}/leave", headers=owner.headers)
        await client.post(f"{base}/join", headers=owner.headers)
        await jobs.runner.run_due(advance=601)
        assert (await client.get(base)).json()["status"] == "live"


class TestEnd:
    async def test_matrix(
        self, client: httpx.AsyncClient, owner: Account, other: Account, admin: Account
    ) -> None:
        party = await create_party(client, owner)
        path = f"/api/watch-parties/{party['id']}/end"
        assert (await client.post(path)).status_code == 401
        assert (await client.post(path, headers=other.headers)).status_code == 403
        resp = await client.post(path, headers=owner.headers)
        assert resp.status_code == 200 and resp.json()["status"] == "ended"
        assert (
            await client.post(f"/api/watch-parties/{party['id']}/join", headers=other.headers)
        ).status_code == 409
        second = await create_party(client, owner)
        assert (
            await client.post(f"/api/watch-parties/{second['id']}/end", headers=admin.headers)
        ).status_code == 200


class TestMoments:
    async def test_chat_carries_position_and_timeline(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        party = await create_party(client, owner)
        base = f"/api/watch-parties/{party['id']}"
        assert (await client.post(f"{base}/moments", json={"content": "hi"})).status_code == 401
        assert (
            await client.post(f"{base}/moments", json={"content": "hi"}, headers=other.headers)
        ).status_code == 403
        await client.post(f"{base}/join", headers=other.headers)
        await client.put(
            f"{base}/state", json={"positionSeconds": 75, "status": "paused"}, headers=owner.headers
        )
        chat = await client.post(
            f"{base}/moments", json={"content": "this part!"}, headers=other.headers
        )
        assert chat.status_code == 201
        assert chat.json()["videoPosition"] == 75 and chat.json()["videoId"] == VIDEO
        await client.put(f"{base}/state", json={"positionSeconds": 10}, headers=owner.headers)
        react = await client.post(
            f"{base}/moments", json={"kind": "reaction", "content": "🔥"}, headers=other.headers
        )
        assert react.status_code == 201
        timeline = (await client.get(f"{base}/timeline")).json()
        moments = timeline["videos"][0]["moments"]
        assert [m["videoPosition"] for m in moments] == [10, 75]
        assert timeline["videos"][0]["reactionsPerMinute"] == {"0": 1}
        listed = (await client.get(f"{base}/moments")).json()["items"]
        assert [m["content"] for m in listed] == ["this part!", "🔥"]

    async def test_slow_mode_and_deletion(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        party = await create_party(client, owner, slowModeSeconds=30)
        base = f"/api/watch-parties/{party['id']}"
        for who in (owner, other, third):
            await client.post(f"{base}/join", headers=who.headers)
        first = await client.post(f"{base}/moments", json={"content": "one"}, headers=other.headers)
        assert first.status_code == 201
        second = await client.post(
            f"{base}/moments", json={"content": "two"}, headers=other.headers
        )
        assert second.status_code == 429
        # Hosts are not slowed down.
        for text in ("a", "b"):
            assert (
                await client.post(f"{base}/moments", json={"content": text}, headers=owner.headers)
            ).status_code == 201
        mid = first.json()["id"]
        assert (
            await client.delete(f"{base}/moments/{mid}", headers=third.headers)
        ).status_code == 403
        assert (
            await client.delete(f"{base}/moments/{mid}", headers=owner.headers)
        ).status_code == 204
        assert "one" not in [
            m["content"] for m in (await client.get(f"{base}/moments")).json()["items"]
        ]


class TestInvitesAndReminders:
    async def test_invite_notifies_and_reminder_fires(
        self, client: httpx.AsyncClient, rt: Runtime, owner: Account, other: Account
    ) -> None:
        when = datetime.now(UTC) + timedelta(hours=1)
        with capture_jobs() as queued:
            party = await create_party(client, owner, scheduledFor=when.isoformat())
        remind = [j for j in queued if j.name == "watchparties.remind"]
        assert len(remind) == 1 and 45 * 60 - 120 <= remind[0].delay <= 45 * 60
        base = f"/api/watch-parties/{party['id']}"
        assert (
            await client.post(
                f"{base}/invite", json={"userIds": [str(owner.id)]}, headers=other.headers
            )
        ).status_code == 403
        assert (
            await client.post(f"{base}/invite", json={"userIds": [str(other.id)]})
        ).status_code == 401
        resp = await client.post(
            f"{base}/invite", json={"userIds": [str(other.id)]}, headers=owner.headers
        )
        assert resp.json() == {"invited": 1}
        await jobs.runner.run_due(advance=45 * 60 + 1)
        async with rt.sessions() as db:
            kinds = sorted(
                n.type
                for n in (
                    await db.scalars(select(Notification).where(Notification.user_id == other.id))
                ).all()
            )
        assert kinds == ["EVENT_REMINDER", "WATCH_PARTY_INVITE"]

    async def test_moved_party_reminds_at_the_new_time_only(
        self, rt: Runtime, owner: Account
    ) -> None:
        from sparkle.watchparties.schemas import PartyCreate

        when = datetime.now(UTC) + timedelta(hours=1)
        async with session_scope(rt.sessions) as s:
            party = await service.create(
                s, owner.user, PartyCreate(youtube_video_id=VIDEO, title="t", scheduled_for=when)
            )
        async with session_scope(rt.sessions) as s:
            row = await s.get(WatchParty, party.id)
            assert row is not None
            row.scheduled_for = when + timedelta(hours=1)
        async with session_scope(rt.sessions) as s:
            assert await service.remind(s, party.id, when) == 0


async def all_pages(client: httpx.AsyncClient, status: str, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"status": status, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/api/watch-parties", params=params)).json()
        pages.append([p["id"] for p in body["items"]])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages


class TestListOrder:
    async def test_upcoming_is_a_keyset_over_the_schedule(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        hours = [5, 1, None, 3, 1, 2]  # created in this order
        made = []
        for h in hours:
            fields = {} if h is None else {"scheduledFor": (base + timedelta(hours=h)).isoformat()}
            made.append((h, (await create_party(client, owner, **fields))["id"]))
        scheduled = sorted(((h, i) for h, i in made if h is not None), key=lambda x: (x[0], x[1]))
        expected = [i for _, i in scheduled] + [i for h, i in made if h is None]
        pages = await all_pages(client, "upcoming", 2)
        assert [len(p) for p in pages] == [2, 2, 2]
        assert [i for page in pages for i in page] == expected
        bad = await client.get("/api/watch-parties", params={"status": "upcoming", "cursor": "x"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"

    async def test_live_is_latest_started_first(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        ids = [(await create_party(client, owner, title=f"p{i}"))["id"] for i in range(3)]
        # Started in the reverse order of creation.
        for pid in reversed(ids):
            await client.post(f"/api/watch-parties/{pid}/join", headers=owner.headers)
        pages = await all_pages(client, "live", 1)
        assert pages == [[ids[0]], [ids[1]], [ids[2]]]
