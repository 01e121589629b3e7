"""Message attachments: private files may be attached; their links go through a route that
checks the caller takes part in the conversation and redirects to a freshly signed URL, so
links in old messages keep working and nobody else can open them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account
from tests.media.conftest import fetch, upload
from tests.media.samples import png
from tests.messaging.helpers import say, start


async def private_message(
    client: httpx.AsyncClient, owner: Account, other: Account
) -> tuple[dict[str, Any], dict[str, Any]]:
    conv = await start(client, owner, other)
    up = await upload(
        client,
        owner.headers,
        png(),
        filename="secret.png",
        content_type="image/png",
        category="message",
        is_public=False,
    )
    assert up.status_code == 201, up.text
    sent = await say(client, owner, conv["id"], "for your eyes", attachmentIds=[up.json()["id"]])
    assert sent.status_code == 201, sent.text
    return conv, sent.json()


class TestPrivateAttachments:
    async def test_participants_get_a_fresh_link(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv, msg = await private_message(client, owner, other)
        attachment = msg["attachments"][0]
        assert attachment["url"] == f"/api/messages/{msg['id']}/attachments/{attachment['id']}"
        assert attachment["thumbnailUrl"] == f"{attachment['url']}?variant=thumbnail"
        listed = (
            await client.get(f"/api/conversations/{conv['id']}/messages", headers=other.headers)
        ).json()["items"][0]
        assert listed["attachments"][0]["url"] == attachment["url"]
        for who in (owner, other):
            for url in (attachment["url"], attachment["thumbnailUrl"]):
                resp = await client.get(url, headers=who.headers)
                assert resp.status_code == 307, resp.text
                location = resp.headers["location"]
                assert "/private/" in location and "sig=" in location
                assert resp.headers["cache-control"] == "private, max-age=60"
                body = await fetch(client, location)
                assert body.status_code == 200
                assert body.content[:4] in (b"\x89PNG", b"RIFF")  # the original, the WebP thumbnail

    async def test_anonymous_outsider_and_admin_outside(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        admin: Account,
        make_account,
    ) -> None:  # type: ignore[no-untyped-def]
        third = await make_account(username="third_user")
        _, msg = await private_message(client, owner, other)
        url = msg["attachments"][0]["url"]
        assert (await client.get(url)).status_code == 401
        for outsider in (third, admin):
            resp = await client.get(url, headers=outsider.headers)
            assert resp.status_code == 404 and "location" not in resp.headers

    async def test_unknown_file_variant_and_deleted_message(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        _, msg = await private_message(client, owner, other)
        url = msg["attachments"][0]["url"]
        other_file = f"/api/messages/{msg['id']}/attachments/0190a8b8-0000-7000-8000-000000000000"
        assert (await client.get(other_file, headers=other.headers)).status_code == 404
        bad = await client.get(f"{url}?variant=huge", headers=other.headers)
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "variant"
        assert (await client.delete(f"/api/messages/{msg['id']}", headers=owner.headers)).is_success
        assert (await client.get(url, headers=other.headers)).status_code == 404

    async def test_public_files_redirect_to_their_public_url(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        conv = await start(client, owner, other)
        up = await upload(
            client, owner.headers, png(), filename="open.png", content_type="image/png"
        )
        sent = await say(client, owner, conv["id"], "", attachmentIds=[up.json()["id"]])
        resp = await client.get(sent.json()["attachments"][0]["url"], headers=other.headers)
        assert resp.status_code == 307
        assert resp.headers["location"] == up.json()["url"]
