"""Changing posts: `PATCH`, `DELETE`, publish/unpublish/archive and revisions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sparkle.core.events import capture_events
from sparkle.core.runtime import Runtime
from tests.conftest import Account
from tests.factories.posts import create_category, doc
from tests.posts.conftest import error_fields, tag_usage, write_post


async def patch(
    client: httpx.AsyncClient, post: dict[str, Any], account: Account | None, **changes: Any
) -> httpx.Response:
    headers = account.headers if account else {}
    return await client.patch(f"/api/posts/{post['id']}", json=changes, headers=headers)


async def action(
    client: httpx.AsyncClient, post: dict[str, Any], name: str, account: Account | None
) -> httpx.Response:
    return await client.post(
        f"/api/posts/{post['id']}/{name}", headers=account.headers if account else {}
    )


class TestPatchAuthorization:
    async def test_anonymous(self, client: httpx.AsyncClient, owner: Account) -> None:
        post = await write_post(client, owner)
        assert (await patch(client, post, None, title="x")).status_code == 401

    async def test_other_user_published(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner)
        resp = await patch(client, post, other, title="Mine now")
        assert resp.status_code == 403
        assert resp.json()["code"] == "post_forbidden"

    async def test_other_user_draft_is_hidden(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        post = await write_post(client, owner, status="DRAFT")
        assert (await patch(client, post, other, title="x")).status_code == 404

    async def test_author_and_moderators(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account, admin: Account
    ) -> None:
        post = await write_post(client, owner, status="DRAFT")
        for n, account in enumerate((owner, moderator, admin)):
            resp = await patch(client, post, account, title=f"Edited {n}")
            assert resp.status_code == 200
            assert resp.json()["title"] == f"Edited {n}"
            assert resp.json()["author"]["id"] == str(owner.id)

    async def test_only_moderators_remove(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account, other: Account
    ) -> None:
        post = await write_post(client, owner)
        resp = await patch(client, post, owner, status="REMOVED")
        assert resp.status_code == 403
        assert error_fields(resp) == ["status"]
        resp = await patch(client, post, moderator, status="REMOVED")
        assert resp.status_code == 200
        assert resp.json()["status"] == "REMOVED"
        assert (
            await client.get(f"/api/posts/{post['id']}", headers=other.headers)
        ).status_code == 404
        # The author still sees it, but may no longer change it.
        assert (
            await client.get(f"/api/posts/{post['id']}", headers=owner.headers)
        ).status_code == 200
        resp = await patch(client, post, owner, title="Back")
        assert resp.status_code == 403
        assert resp.json()["code"] == "post_removed"
        assert (await action(client, post, "publish", owner)).status_code == 403

    async def test_missing(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.patch(
            "/api/posts/00000000-0000-7000-8000-000000000000",
            json={"title": "x"},
            headers=owner.headers,
        )
        assert resp.status_code == 404


class TestPatchValidation:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"title": None}, "title"),
            ({"title": ""}, "title"),
            ({"content": None}, "content"),
            ({"tags": None}, "tags"),
            ({"status": None}, "status"),
            ({"status": "GONE"}, "status"),
            (
                {"content": {"type": "doc", "content": [{"type": "table"}]}},
                "content.content[0].type",
            ),
            ({"coverImage": "javascript:alert(1)"}, "coverImage"),
            ({"categoryId": "00000000-0000-7000-8000-000000000000"}, "categoryId"),
            ({"tags": ["1", "2", "3", "4", "5", "6"]}, "tags"),
            ({"slug": "my-own-slug"}, "slug"),
        ],
    )
    async def test_bad_field(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        changes: dict[str, Any],
        field: str,
        rt: Runtime,
    ) -> None:
        post = await write_post(client, owner, tags=["kept"])
        before = await tag_usage(rt)
        resp = await patch(client, post, owner, **changes)
        assert resp.status_code == 400, resp.text
        assert field in error_fields(resp)
        assert await tag_usage(rt) == before
        after = (await client.get(f"/api/posts/{post['id']}")).json()
        assert (after["title"], after["revision"], after["tags"]) == (
            post["title"],
            1,
            post["tags"],
        )


class TestPatchEffects:
    async def test_fields_change(
        self, client: httpx.AsyncClient, owner: Account, admin: Account, rt: Runtime
    ) -> None:
        category = await create_category(rt, admin.user, "Music")
        post = await write_post(client, owner, coverImage="https://e.com/a.png", excerpt="Custom")
        resp = await patch(
            client,
            post,
            owner,
            content=doc("Brand new body."),
            categoryId=str(category.id),
            coverImage=None,
            tags=["New Tag"],
        )
        body = resp.json()
        assert body["contentHtml"] == "<p>Brand new body.</p>"
        assert body["excerpt"] == "Custom"
        assert body["category"]["slug"] == "music"
        assert body["coverImage"] is None
        assert body["tags"] == [{"name": "new-tag", "slug": "new-tag"}]
        assert body["slug"] == post["slug"]
        cleared = (await patch(client, post, owner, categoryId=None)).json()
        assert cleared["category"] is None

    async def test_automatic_excerpt_follows_the_content(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner, content=doc("First words."))
        assert post["excerpt"] == "First words."
        edited = (await patch(client, post, owner, content=doc("Second words."))).json()
        assert edited["excerpt"] == "Second words."
        custom = (await patch(client, post, owner, excerpt="Mine")).json()
        assert custom["excerpt"] == "Mine"
        kept = (await patch(client, post, owner, content=doc("Third words."))).json()
        assert kept["excerpt"] == "Mine"
        reset = (await patch(client, post, owner, excerpt=None)).json()
        assert reset["excerpt"] == "Third words."

    async def test_event(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        post = await write_post(client, owner)
        with capture_events() as events:
            await patch(client, post, moderator, title="Better title", tags=["x"])
        assert [e.name for e in events] == ["post:updated"]
        assert events[0].payload["changes"] == ["title", "tags"]
        assert events[0].payload["actorId"] == str(moderator.id)
        assert events[0].payload["authorId"] == str(owner.id)


class TestRevisions:
    async def test_each_content_edit_keeps_the_previous_state(
        self, client: httpx.AsyncClient, owner: Account, moderator: Account
    ) -> None:
        post = await write_post(client, owner, title="One", content=doc("Body one"))
        await patch(client, post, owner, title="Two")
        await patch(client, post, owner, tags=["only-tags"])  # not a revision
        await patch(client, post, owner, title="Two")  # nothing changed
        await patch(client, post, moderator, content=doc("Body three"))
        current = (await client.get(f"/api/posts/{post['id']}")).json()
        assert current["revision"] == 3
        page = (
            await client.get(f"/api/posts/{post['id']}/revisions", headers=owner.headers)
        ).json()
        assert [(r["revision"], r["title"]) for r in page["items"]] == [(2, "Two"), (1, "One")]
        assert page["items"][0]["content"] == doc("Body one")
        assert page["items"][0]["editorId"] == str(moderator.id)
        assert page["items"][1]["editorId"] == str(owner.id)
        assert page["nextCursor"] is None

    async def test_paged(self, client: httpx.AsyncClient, owner: Account) -> None:
        post = await write_post(client, owner, title="v1")
        for n in range(2, 6):
            await patch(client, post, owner, title=f"v{n}")
        first = (
            await client.get(
                f"/api/posts/{post['id']}/revisions", params={"limit": 3}, headers=owner.headers
            )
        ).json()
        rest = (
            await client.get(
                f"/api/posts/{post['id']}/revisions",
                params={"limit": 3, "cursor": first["nextCursor"]},
                headers=owner.headers,
            )
        ).json()
        assert [r["revision"] for r in first["items"] + rest["items"]] == [4, 3, 2, 1]

    async def test_who_may_see_them(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
        admin: Account,
    ) -> None:
        published = await write_post(client, owner)
        draft = await write_post(client, owner, status="DRAFT")
        url = "/api/posts/{}/revisions"
        assert (await client.get(url.format(published["id"]))).status_code == 401
        assert (
            await client.get(url.format(published["id"]), headers=other.headers)
        ).status_code == 403
        assert (await client.get(url.format(draft["id"]), headers=other.headers)).status_code == 404
        for reader in (owner, moderator, admin):
            assert (
                await client.get(url.format(draft["id"]), headers=reader.headers)
            ).status_code == 200


class TestDelete:
    async def test_matrix(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
        admin: Account,
    ) -> None:
        post = await write_post(client, owner)
        url = f"/api/posts/{post['id']}"
        assert (await client.delete(url)).status_code == 401
        assert (await client.delete(url, headers=other.headers)).status_code == 403
        for account in (owner, moderator, admin):
            target = await write_post(client, owner)
            assert (
                await client.delete(f"/api/posts/{target['id']}", headers=account.headers)
            ).status_code == 204
        draft = await write_post(client, owner, status="DRAFT")
        assert (
            await client.delete(f"/api/posts/{draft['id']}", headers=other.headers)
        ).status_code == 404

    async def test_soft_and_announced(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        post = await write_post(client, owner, tags=["gone-soon", "stays"])
        await write_post(client, owner, tags=["stays"])
        with capture_events() as events:
            assert (
                await client.delete(f"/api/posts/{post['id']}", headers=owner.headers)
            ).status_code == 204
        assert [e.name for e in events] == ["post:deleted"]
        assert (await tag_usage(rt)) == {"gone-soon": 0, "stays": 1}
        assert (
            await client.delete(f"/api/posts/{post['id']}", headers=owner.headers)
        ).status_code == 404
        assert post["id"] not in [p["id"] for p in (await client.get("/api/posts")).json()["items"]]


class TestStatusActions:
    @pytest.mark.parametrize("name", ["publish", "unpublish", "archive"])
    async def test_matrix(
        self,
        client: httpx.AsyncClient,
        owner: Account,
        other: Account,
        moderator: Account,
        name: str,
    ) -> None:
        post = await write_post(client, owner)
        assert (await action(client, post, name, None)).status_code == 401
        assert (await action(client, post, name, other)).status_code == 403
        assert (await action(client, post, name, owner)).status_code == 200
        assert (await action(client, post, name, moderator)).status_code == 200

    async def test_lifecycle(self, client: httpx.AsyncClient, owner: Account, rt: Runtime) -> None:
        post = await write_post(client, owner, status="DRAFT", tags=["life"])
        assert (await tag_usage(rt))["life"] == 0
        with capture_events() as events:
            first = (await action(client, post, "publish", owner)).json()
        assert first["status"] == "PUBLISHED" and first["publishedAt"]
        assert [(e.name, e.payload["firstPublish"]) for e in events] == [("post:published", True)]
        assert (await tag_usage(rt))["life"] == 1

        draft = (await action(client, post, "unpublish", owner)).json()
        assert draft["status"] == "DRAFT"
        assert (await tag_usage(rt))["life"] == 0

        again = (await action(client, post, "publish", owner)).json()
        assert again["publishedAt"] == first["publishedAt"]
        assert (await tag_usage(rt))["life"] == 1

        with capture_events() as events:
            archived = (await action(client, post, "archive", owner)).json()
            await action(client, post, "archive", owner)  # already archived: nothing happens
        assert archived["status"] == "ARCHIVED"
        assert [e.name for e in events] == ["post:updated"]
        assert (await tag_usage(rt))["life"] == 0

    async def test_status_by_patch_counts_too(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        post = await write_post(client, owner, status="DRAFT", tags=["a"])
        await patch(client, post, owner, status="PUBLISHED", tags=["b", "c"])
        assert await tag_usage(rt) == {"a": 0, "b": 1, "c": 1}
        await patch(client, post, owner, status="DRAFT", tags=["a", "b"])
        assert await tag_usage(rt) == {"a": 0, "b": 0, "c": 0}


class TestTagCountsStayExact:
    async def test_a_long_story(
        self, client: httpx.AsyncClient, owner: Account, other: Account, rt: Runtime
    ) -> None:
        p1 = await write_post(client, owner, tags=["red", "blue"])
        p2 = await write_post(client, other, tags=["blue"])
        p3 = await write_post(client, other, tags=["red", "green"], status="DRAFT")
        assert await tag_usage(rt) == {"red": 1, "blue": 2, "green": 0}
        await patch(client, p1, owner, tags=["blue", "green"])
        assert await tag_usage(rt) == {"red": 0, "blue": 2, "green": 1}
        await action(client, p3, "publish", other)
        assert await tag_usage(rt) == {"red": 1, "blue": 2, "green": 2}
        await client.delete(f"/api/posts/{p2['id']}", headers=other.headers)
        await patch(client, p3, other, tags=["red", "red", "RED"])
        assert await tag_usage(rt) == {"red": 1, "blue": 1, "green": 1}
        tags = (await client.get("/api/tags", params={"sort": "name"})).json()["items"]
        assert [(t["slug"], t["usageCount"]) for t in tags] == [
            ("blue", 1),
            ("green", 1),
            ("red", 1),
        ]
