"""`/api/categories`: a tree anyone may read and only admins may change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sparkle.core.runtime import Runtime
from tests.conftest import Account
from tests.factories.posts import create_category
from tests.posts.conftest import error_fields, write_post


async def create(client: httpx.AsyncClient, admin: Account, **fields: Any) -> dict[str, Any]:
    resp = await client.post("/api/categories", json=fields, headers=admin.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


class TestMatrix:
    async def test_create(
        self, client: httpx.AsyncClient, other: Account, moderator: Account, admin: Account
    ) -> None:
        body = {"name": "Fan Art"}
        assert (await client.post("/api/categories", json=body)).status_code == 401
        assert (
            await client.post("/api/categories", json=body, headers=other.headers)
        ).status_code == 403
        assert (
            await client.post("/api/categories", json=body, headers=moderator.headers)
        ).status_code == 403
        resp = await client.post("/api/categories", json=body, headers=admin.headers)
        assert resp.status_code == 201
        assert resp.json()["slug"] == "fan-art"

    async def test_update_and_delete(
        self,
        client: httpx.AsyncClient,
        other: Account,
        moderator: Account,
        admin: Account,
        rt: Runtime,
    ) -> None:
        category = await create_category(rt, admin.user, "Music")
        url = f"/api/categories/{category.id}"
        for headers, status in (({}, 401), (other.headers, 403), (moderator.headers, 403)):
            assert (
                await client.patch(url, json={"icon": "x"}, headers=headers)
            ).status_code == status
            assert (await client.delete(url, headers=headers)).status_code == status
        assert (await client.patch(url, json={"icon": "music"}, headers=admin.headers)).json()[
            "icon"
        ] == "music"
        assert (await client.delete(url, headers=admin.headers)).status_code == 204
        assert (await client.delete(url, headers=admin.headers)).status_code == 404
        assert (await client.get("/api/categories/music")).status_code == 404


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": "x" * 51}, "name"),
            ({"name": "???"}, "name"),
            ({"name": "Ok", "color": "red"}, "color"),
            ({"name": "Ok", "color": "#12345g"}, "color"),
            ({"name": "Ok", "icon": "x" * 51}, "icon"),
            ({"name": "Ok", "icon": "<img src=x onerror=alert(1)>"}, "icon"),
            ({"name": "Ok", "parentId": "00000000-0000-7000-8000-000000000000"}, "parentId"),
            ({"name": "Ok", "position": -1}, "position"),
            ({"name": "Ok", "slug": "mine"}, "slug"),
        ],
    )
    async def test_bad_field(
        self, client: httpx.AsyncClient, admin: Account, fields: dict[str, Any], field: str
    ) -> None:
        resp = await client.post("/api/categories", json=fields, headers=admin.headers)
        assert resp.status_code == 400, resp.text
        assert error_fields(resp) == [field]

    async def test_names_are_unique(self, client: httpx.AsyncClient, admin: Account) -> None:
        await create(client, admin, name="Fan Art")
        for name in ("fan art", "Fan-Art"):
            resp = await client.post("/api/categories", json={"name": name}, headers=admin.headers)
            assert resp.status_code == 409
            assert error_fields(resp) == ["name"]

    async def test_rename_to_a_taken_name(self, client: httpx.AsyncClient, admin: Account) -> None:
        await create(client, admin, name="Art")
        music = await create(client, admin, name="Music")
        resp = await client.patch(
            f"/api/categories/{music['id']}", json={"name": "ART"}, headers=admin.headers
        )
        assert resp.status_code == 409
        renamed = await client.patch(
            f"/api/categories/{music['id']}", json={"name": "Music & Songs"}, headers=admin.headers
        )
        assert renamed.json()["slug"] == "music-songs"


class TestTree:
    async def test_nested(self, client: httpx.AsyncClient, admin: Account) -> None:
        art = await create(client, admin, name="Art", color="#ff00aa", icon="🎨", position=1)
        drawings = await create(client, admin, name="Drawings", parentId=art["id"])
        await create(client, admin, name="Sketches", parentId=drawings["id"])
        await create(client, admin, name="Music", position=0)
        tree = (await client.get("/api/categories")).json()["items"]
        assert [c["name"] for c in tree] == ["Music", "Art"]
        assert tree[1]["icon"] == "🎨"
        assert tree[1]["children"][0]["name"] == "Drawings"
        assert tree[1]["children"][0]["children"][0]["name"] == "Sketches"
        flat = (await client.get("/api/categories", params={"flat": "true"})).json()["items"]
        assert {c["name"]: c["parentId"] for c in flat}["Drawings"] == art["id"]
        assert all(c["children"] == [] for c in flat)

    async def test_one_with_subtree_and_posts(
        self, client: httpx.AsyncClient, admin: Account, owner: Account
    ) -> None:
        art = await create(client, admin, name="Art")
        await create(client, admin, name="Drawings", parentId=art["id"])
        await write_post(client, owner, categoryId=art["id"])
        await write_post(client, owner, categoryId=art["id"], status="DRAFT")
        one = (await client.get("/api/categories/art")).json()
        assert one["postCount"] == 1
        assert [c["slug"] for c in one["children"]] == ["drawings"]
        assert (await client.get(f"/api/categories/{art['id']}")).json()["slug"] == "art"

    async def test_cycles_are_refused(self, client: httpx.AsyncClient, admin: Account) -> None:
        a = await create(client, admin, name="A")
        b = await create(client, admin, name="B", parentId=a["id"])
        c = await create(client, admin, name="C", parentId=b["id"])
        for parent in (a, b, c):
            resp = await client.patch(
                f"/api/categories/{a['id']}", json={"parentId": parent["id"]}, headers=admin.headers
            )
            assert resp.status_code == 400
            assert error_fields(resp) == ["parentId"]
        moved = await client.patch(
            f"/api/categories/{c['id']}", json={"parentId": a["id"]}, headers=admin.headers
        )
        assert moved.json()["parentId"] == a["id"]
        top = await client.patch(
            f"/api/categories/{b['id']}", json={"parentId": None}, headers=admin.headers
        )
        assert top.json()["parentId"] is None

    async def test_delete_lifts_children_and_uncategorises_posts(
        self, client: httpx.AsyncClient, admin: Account, owner: Account
    ) -> None:
        art = await create(client, admin, name="Art")
        drawings = await create(client, admin, name="Drawings", parentId=art["id"])
        post = await write_post(client, owner, categoryId=art["id"])
        assert (
            await client.delete(f"/api/categories/{art['id']}", headers=admin.headers)
        ).status_code == 204
        tree = (await client.get("/api/categories")).json()["items"]
        assert [(c["id"], c["parentId"]) for c in tree] == [(drawings["id"], None)]
        after = (await client.get(f"/api/posts/{post['id']}")).json()
        assert after["category"] is None
        assert after["updatedAt"] == post["updatedAt"]
