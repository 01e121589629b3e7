"""Reactions on messages: one per person per type, participants only, counts on the message
list, `message:reacted` after commit, the page's toggles, and migration 0010 up and down."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from sparkle.core.db import create_engine
from sparkle.core.events import capture_events
from tests.conftest import Account
from tests.fixtures.database import empty_database, run_alembic
from tests.messaging.helpers import say, start
from tests.web.pages import HTML, csrf_token, post_form, sign_in


async def _conversation_with_message(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> tuple[dict, dict]:  # type: ignore[type-arg]
    conv = await start(client, owner, other)
    msg = (await say(client, owner, conv["id"], "react to this")).json()
    return conv, msg


class TestReact:
    async def test_anonymous(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        _, msg = await _conversation_with_message(client, owner, other)
        path = f"/api/messages/{msg['id']}/reactions/LIKE"
        assert (await client.post(path)).status_code == 401
        assert (await client.delete(path)).status_code == 401

    async def test_other_user_and_admin_outside_see_nothing(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        admin: Account,
        make_account,
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        _, msg = await _conversation_with_message(client, owner, other)
        path = f"/api/messages/{msg['id']}/reactions/LIKE"
        for outsider in (third, admin):
            with capture_events() as seen:
                added = await client.post(path, headers=outsider.headers)
            assert added.status_code == 404 and added.json()["code"] == "message_not_found"
            assert (await client.delete(path, headers=outsider.headers)).status_code == 404
            assert seen == []
        missing = "/api/messages/0190a8b8-0000-7000-8000-000000000000/reactions/LIKE"
        assert (await client.post(missing, headers=owner.headers)).status_code == 404

    async def test_participants_react(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv, msg = await _conversation_with_message(client, owner, other)
        path = f"/api/messages/{msg['id']}/reactions"
        with capture_events() as seen:
            first = await client.post(f"{path}/LOVE", headers=other.headers)
        assert first.status_code == 200, first.text
        assert first.json() == {
            "messageId": msg["id"],
            "conversationId": conv["id"],
            "reactions": {"LOVE": 1},
            "myReactions": ["LOVE"],
        }
        assert [(e.name, e.payload) for e in seen] == [
            (
                "message:reacted",
                {
                    "messageId": msg["id"],
                    "conversationId": conv["id"],
                    "userId": str(other.id),
                    "type": "LOVE",
                    "added": True,
                    "reactions": {"LOVE": 1},
                },
            )
        ]
        # One of each type per person: a repeat changes nothing and announces nothing.
        with capture_events() as again:
            repeat = await client.post(f"{path}/LOVE", headers=other.headers)
        assert repeat.json()["reactions"] == {"LOVE": 1} and again == []
        await client.post(f"{path}/LIKE", headers=other.headers)
        mine = await client.post(f"{path}/LOVE", headers=owner.headers)
        assert mine.json()["reactions"] == {"LIKE": 1, "LOVE": 2}
        assert mine.json()["myReactions"] == ["LOVE"]
        # The message list shows the counts, and each viewer's own types.
        listed = f"/api/conversations/{conv['id']}/messages"
        as_other = (await client.get(listed, headers=other.headers)).json()["items"][0]
        assert as_other["reactions"] == {"LIKE": 1, "LOVE": 2}
        assert as_other["myReactions"] == ["LIKE", "LOVE"]
        as_owner = (await client.get(listed, headers=owner.headers)).json()["items"][0]
        assert as_owner["myReactions"] == ["LOVE"]
        # Taking one back.
        with capture_events() as removed:
            gone = await client.delete(f"{path}/LOVE", headers=other.headers)
        assert gone.status_code == 200
        assert gone.json()["reactions"] == {"LIKE": 1, "LOVE": 1}
        assert gone.json()["myReactions"] == ["LIKE"]
        assert [e.payload["added"] for e in removed] == [False]
        with capture_events() as nothing:
            again_gone = await client.delete(f"{path}/LOVE", headers=other.headers)
        assert again_gone.status_code == 200 and nothing == []

    async def test_bad_type_and_deleted_message(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        _, msg = await _conversation_with_message(client, owner, other)
        bad = await client.post(f"/api/messages/{msg['id']}/reactions/HUG", headers=other.headers)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "type"
        assert (await client.delete(f"/api/messages/{msg['id']}", headers=owner.headers)).is_success
        gone = await client.post(f"/api/messages/{msg['id']}/reactions/LIKE", headers=other.headers)
        assert gone.status_code == 409

    async def test_group_member_sees_only_messages_since_joining(
        self, client: httpx.AsyncClient, owner: Account, other: Account, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        conv = await start(client, owner, other, title="Crew", group=True)
        before = (await say(client, owner, conv["id"], "before you came")).json()
        added = await client.post(
            f"/api/conversations/{conv['id']}/participants",
            json={"userIds": [str(third.id)]},
            headers=owner.headers,
        )
        assert added.status_code == 200
        after = (await say(client, owner, conv["id"], "welcome")).json()
        early = await client.post(
            f"/api/messages/{before['id']}/reactions/LIKE", headers=third.headers
        )
        assert early.status_code == 404
        late = await client.post(
            f"/api/messages/{after['id']}/reactions/LIKE", headers=third.headers
        )
        assert late.status_code == 200


class TestPage:
    async def test_thread_shows_counts_and_toggles(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv, msg = await _conversation_with_message(client, owner, other)
        await client.post(f"/api/messages/{msg['id']}/reactions/WOW", headers=other.headers)
        await client.post(f"/api/messages/{msg['id']}/reactions/WOW", headers=owner.headers)
        await client.post(f"/api/messages/{msg['id']}/reactions/SAD", headers=other.headers)
        await sign_in(client, owner)
        page = await client.get(f"/messages/{conv['id']}", headers=HTML)
        assert page.status_code == 200
        html = page.text
        assert 'data-testid="message-reactions"' in html
        assert 'aria-label="Wow: 2"' in html and 'aria-label="Sad: 1"' in html
        assert 'data-mine="WOW"' in html

    async def test_toggle_without_javascript(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv, msg = await _conversation_with_message(client, owner, other)
        await sign_in(client, other)
        url = f"/messages/{conv['id']}/reactions/{msg['id']}/LAUGH"
        token = await csrf_token(client, f"/messages/{conv['id']}")
        resp = await post_form(client, url, {"action": "add"}, token=token)
        assert resp.status_code == 303, resp.text
        listed = (
            await client.get(f"/api/conversations/{conv['id']}/messages", headers=other.headers)
        ).json()["items"][0]
        assert listed["reactions"] == {"LAUGH": 1}
        await post_form(client, url, {"action": "remove"}, token=token)
        listed = (
            await client.get(f"/api/conversations/{conv['id']}/messages", headers=other.headers)
        ).json()["items"][0]
        assert listed["reactions"] == {}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_migration_0010_up_and_down(backend: str, tmp_path: Path) -> None:
    async for url in empty_database(backend, tmp_path, "reactions"):
        await run_alembic(url, "upgrade", "0010")
        assert "message_reactions" in await _tables(url)
        await run_alembic(url, "downgrade", "0009")
        found = await _tables(url)
        assert "message_reactions" not in found and "messages" in found
        await run_alembic(url, "upgrade", "0010")
        assert "message_reactions" in await _tables(url)
