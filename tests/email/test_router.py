"""`GET /api/admin/email/log`: the support view of sent mail, ADMIN only."""

from __future__ import annotations

from typing import Any

import httpx

from sparkle.core import runtime
from tests.email.steps import run

URL = "/api/admin/email/log"


async def send_three(owner: Any) -> None:
    for n in range(2):
        await run(
            "email.send",
            {
                "to": f"ann{n}@example.com",
                "template": "password_reset",
                "context": {"url": f"http://testserver/r?t={n}"},
            },
        )
    note = {"title": "Hello", "message": "Hi", "url": "http://testserver/"}
    await run(
        "email.send",
        {
            "userId": str(owner.id),
            "template": "system_notification",
            "context": {"notification": note},
        },
    )


class TestList:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(URL)).status_code == 401

    async def test_other_user(self, client: httpx.AsyncClient, other: Any) -> None:
        assert (await client.get(URL, headers=other.headers)).status_code == 403

    async def test_admin(
        self, rt: runtime.Runtime, client: httpx.AsyncClient, admin: Any, owner: Any
    ) -> None:
        await send_three(owner)
        r = await client.get(URL, headers=admin.headers, params={"limit": 2})
        assert r.status_code == 200
        page = r.json()
        assert [i["template"] for i in page["items"]] == ["system_notification", "password_reset"]
        assert page["items"][0]["userId"] == str(owner.id) and page["items"][0]["status"] == "sent"
        assert "toHash" not in page["items"][0] and "context" not in page["items"][0]
        rest = (
            await client.get(URL, headers=admin.headers, params={"cursor": page["nextCursor"]})
        ).json()
        assert [i["template"] for i in rest["items"]] == ["password_reset"] and rest[
            "nextCursor"
        ] is None

        by_address = (
            await client.get(URL, headers=admin.headers, params={"address": "ANN1@example.com"})
        ).json()
        assert [i["subject"] for i in by_address["items"]] == [
            "Reset Your Password - Sparkle Universe"
        ]
        by_user = (
            await client.get(URL, headers=admin.headers, params={"userId": str(owner.id)})
        ).json()
        assert len(by_user["items"]) == 1

    async def test_bad_input(self, client: httpx.AsyncClient, admin: Any) -> None:
        for params, field in (
            ({"status": "lost"}, "status"),
            ({"cursor": "!!"}, "cursor"),
            ({"userId": "x"}, "userId"),
        ):
            r = await client.get(URL, headers=admin.headers, params=params)
            assert r.status_code in (400, 422), params
            assert field in r.text
