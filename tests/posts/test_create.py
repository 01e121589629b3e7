"""`POST /api/posts`: who may write, what is refused, what is stored and announced."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from sparkle.core.events import capture_events
from sparkle.core.runtime import Runtime
from tests.conftest import Account
from tests.factories.posts import create_category, doc, image, paragraph, text
from tests.posts.conftest import error_fields, tag_rows, tag_usage, write_post


def body(**fields: Any) -> dict[str, Any]:
    return {"title": "Hello world", "content": doc("Hello there."), **fields}


class TestAuthorization:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        resp = await client.post("/api/posts", json=body())
        assert resp.status_code == 401

    async def test_signed_in_user(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.post("/api/posts", json=body(), headers=owner.headers)
        assert resp.status_code == 201
        assert resp.json()["author"]["username"] == "owner_user"


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"title": ""}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"title": "two\nlines"}, "title"),
            ({"title": "bell\x07"}, "title"),
            ({"excerpt": "x" * 301}, "excerpt"),
            ({"status": "REMOVED"}, "status"),
            ({"content": "just text"}, "content"),
            ({"content": doc({"type": "iframe"})}, "content.content[0].type"),
            ({"coverImage": "javascript:alert(1)"}, "coverImage"),
            ({"coverImage": "data:image/png;base64,AAAA"}, "coverImage"),
            ({"coverImage": "http://evil.example.com/a.png"}, "coverImage"),
            ({"categoryId": "00000000-0000-7000-8000-000000000000"}, "categoryId"),
            ({"categoryId": "not-a-uuid"}, "categoryId"),
            ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
            ({"tags": ["ok", "!!!"]}, "tags[1]"),
            ({"tags": "fanart"}, "tags"),
            ({"authorId": "00000000-0000-7000-8000-000000000000"}, "authorId"),
        ],
    )
    async def test_bad_field(
        self, client: httpx.AsyncClient, owner: Account, fields: dict[str, Any], field: str
    ) -> None:
        resp = await client.post("/api/posts", json=body(**fields), headers=owner.headers)
        assert resp.status_code == 400, resp.text
        assert field in error_fields(resp)

    async def test_every_bad_field_is_named(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        bad = body(
            content=doc(paragraph(text("x", {"type": "link", "attrs": {"href": "javascript:x"}}))),
            coverImage="javascript:x",
            tags=["?"],
        )
        resp = await client.post("/api/posts", json=bad, headers=owner.headers)
        assert resp.status_code == 400
        assert error_fields(resp) == [
            "content.content[0].content[0].marks[0].attrs.href",
            "coverImage",
            "tags[0]",
        ]

    async def test_seven_tags_that_normalise_to_five_are_fine(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        tags = ["One", "one", " ONE ", "two", "three", "four", "five"]
        post = await write_post(client, owner, tags=tags)
        assert [t["slug"] for t in post["tags"]] == ["one", "two", "three", "four", "five"]

    async def test_failed_create_leaves_nothing(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        before = await tag_rows(rt)
        resp = await client.post(
            "/api/posts",
            json=body(tags=["brand-new-tag"], categoryId="00000000-0000-7000-8000-000000000000"),
            headers=owner.headers,
        )
        assert resp.status_code == 400
        assert await tag_rows(rt) == before
        listing = await client.get("/api/posts", params={"status": "DRAFT"}, headers=owner.headers)
        assert listing.json()["items"] == []
        assert (await client.get("/api/posts")).json()["items"] == []


class TestCreated:
    async def test_response_is_the_full_post(
        self, client: httpx.AsyncClient, owner: Account, admin: Account, rt: Runtime
    ) -> None:
        category = await create_category(rt, admin.user, "Fan Art", color="#ff00aa", icon="palette")
        post = await write_post(
            client,
            owner,
            title="My First Sparkle!",
            content=doc("Hello", image("/media/a.png", alt="pic")),
            tags=["Fan Art", "news"],
            categoryId=str(category.id),
            coverImage="https://cdn.example.com/cover.jpg",
        )
        assert re.fullmatch(r"my-first-sparkle-[a-z0-9]{6}", post["slug"])
        assert (
            post["contentHtml"] == '<p>Hello</p><img src="/media/a.png" alt="pic" loading="lazy">'
        )
        assert post["excerpt"] == "Hello"
        assert post["readingTime"] == 1
        assert post["status"] == "PUBLISHED"
        assert post["publishedAt"] is not None
        assert post["revision"] == 1
        assert post["tags"] == [
            {"name": "fan-art", "slug": "fan-art"},
            {"name": "news", "slug": "news"},
        ]
        assert post["category"] == {
            "id": str(category.id),
            "name": "Fan Art",
            "slug": "fan-art",
            "color": "#ff00aa",
            "icon": "palette",
        }
        assert post["coverImage"] == "https://cdn.example.com/cover.jpg"
        assert post["reactionCounts"] == {
            "LIKE": 0,
            "LOVE": 0,
            "LAUGH": 0,
            "WOW": 0,
            "SAD": 0,
            "ANGRY": 0,
        }
        assert post["myReactions"] == []
        assert post["author"] == {
            "id": str(owner.id),
            "username": "owner_user",
            "displayName": "owner_user",
            "avatarUrl": None,
        }

    async def test_draft_has_no_publish_time(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner, status="DRAFT")
        assert post["status"] == "DRAFT"
        assert post["publishedAt"] is None

    async def test_status_defaults_to_draft(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.post("/api/posts", json=body(), headers=owner.headers)
        assert resp.json()["status"] == "DRAFT"

    async def test_given_excerpt_is_kept(self, client: httpx.AsyncClient, owner: Account) -> None:
        post = await write_post(client, owner, excerpt="  A teaser.  ")
        assert post["excerpt"] == "A teaser."

    async def test_slugs_are_unique(self, client: httpx.AsyncClient, owner: Account) -> None:
        slugs = {(await write_post(client, owner, title="Same title"))["slug"] for _ in range(5)}
        assert len(slugs) == 5
        assert all(re.fullmatch(r"same-title-[a-z0-9]{6}", s) for s in slugs)

    async def test_slug_of_a_title_without_letters(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner, title="!!! ???")
        assert re.fullmatch(r"post-[a-z0-9]{6}", post["slug"])

    async def test_events(self, client: httpx.AsyncClient, owner: Account) -> None:
        with capture_events() as events:
            draft = await write_post(client, owner, status="DRAFT")
            published = await write_post(client, owner)
        assert [(e.name, e.payload["postId"]) for e in events] == [
            ("post:created", draft["id"]),
            ("post:created", published["id"]),
            ("post:published", published["id"]),
        ]
        assert events[0].payload["authorId"] == str(owner.id)


class TestTags:
    async def test_created_on_first_use_and_counted(
        self, client: httpx.AsyncClient, owner: Account, other: Account, rt: Runtime
    ) -> None:
        await write_post(client, owner, tags=["Sparkle", "fan art"])
        await write_post(client, other, tags=["sparkle"])
        usage = await tag_usage(rt)
        assert usage == {"sparkle": 2, "fan-art": 1}

    async def test_drafts_do_not_count(
        self, client: httpx.AsyncClient, owner: Account, rt: Runtime
    ) -> None:
        await write_post(client, owner, tags=["secret-plans"], status="DRAFT")
        assert (await tag_usage(rt))["secret-plans"] == 0
        assert (await client.get("/api/tags/secret-plans")).status_code == 404

    async def test_long_tags_are_cut_to_thirty(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(client, owner, tags=["a" * 40])
        assert post["tags"] == [{"name": "a" * 30, "slug": "a" * 30}]


class TestMentions:
    async def test_published_post_announces_mentions(
        self, client: httpx.AsyncClient, owner: Account, other: Account, moderator: Account
    ) -> None:
        content = doc(
            paragraph(
                text("Hi @OTHER_USER, @owner_user, @nobody_here and "),
                text("@mod_user", {"type": "code"}),
            ),
        )
        with capture_events() as events:
            post = await write_post(client, owner, content=content)
        mentioned = [e.payload for e in events if e.name == "user:mentioned"]
        assert mentioned == [
            {
                "userId": str(other.id),
                "authorId": str(owner.id),
                "postId": post["id"],
                "commentId": None,
            }
        ]

    async def test_draft_announces_at_first_publish_only(
        self, client: httpx.AsyncClient, owner: Account, other: Account
    ) -> None:
        with capture_events() as events:
            post = await write_post(client, owner, content=doc("Hey @other_user"), status="DRAFT")
        assert not [e for e in events if e.name == "user:mentioned"]
        with capture_events() as events:
            await client.post(f"/api/posts/{post['id']}/publish", headers=owner.headers)
            await client.post(f"/api/posts/{post['id']}/unpublish", headers=owner.headers)
            await client.post(f"/api/posts/{post['id']}/publish", headers=owner.headers)
        assert [e.payload["userId"] for e in events if e.name == "user:mentioned"] == [
            str(other.id)
        ]

    async def test_edit_announces_only_new_mentions(
        self, client: httpx.AsyncClient, owner: Account, other: Account, moderator: Account
    ) -> None:
        post = await write_post(client, owner, content=doc("Hey @other_user"))
        with capture_events() as events:
            resp = await client.patch(
                f"/api/posts/{post['id']}",
                json={"content": doc("Hey @other_user and @mod_user")},
                headers=owner.headers,
            )
        assert resp.status_code == 200
        assert [e.payload["userId"] for e in events if e.name == "user:mentioned"] == [
            str(moderator.id)
        ]


class ActiveContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "svg", "iframe", "style"}:
            self.found.append(tag)
        self.found += [
            name for name, value in attrs if name.startswith("on") or "javascript:" in (value or "")
        ]


class TestXss:
    PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)><svg onload=alert(1)>"

    async def test_html_everywhere_stays_text(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        post = await write_post(
            client,
            owner,
            title=self.PAYLOAD,
            excerpt=self.PAYLOAD,
            content=doc(self.PAYLOAD),
            tags=[self.PAYLOAD, "javascript:alert(1)"],
        )
        full = (await client.get(f"/api/posts/{post['id']}")).json()
        parser = ActiveContent()
        parser.feed(full["contentHtml"])
        assert parser.found == []
        assert "<script" not in full["contentHtml"]
        # Titles and excerpts are plain text: returned verbatim, escaped by whoever renders them.
        assert full["title"] == self.PAYLOAD
        assert full["excerpt"] == self.PAYLOAD
        for tag in full["tags"]:
            assert re.fullmatch(r"[a-z0-9-]+", tag["slug"]) and tag["name"] == tag["slug"]
        assert {t["slug"] for t in full["tags"]} == {
            "script-alert-1-script-img-src",  # cut at 30 characters
            "javascript-alert-1",
        }

    async def test_active_content_is_refused(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        content = doc(
            paragraph(text("click", {"type": "link", "attrs": {"href": "javascript:alert(1)"}})),
            image("data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"),
            {"type": "paragraph", "attrs": {"onclick": "alert(1)"}, "content": [text("x")]},
        )
        resp = await client.post("/api/posts", json=body(content=content), headers=owner.headers)
        assert resp.status_code == 400
        assert error_fields(resp) == [
            "content.content[0].content[0].marks[0].attrs.href",
            "content.content[1].attrs.src",
            "content.content[2].attrs.onclick",
        ]
