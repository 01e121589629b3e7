"""GET /api/posts/{id}/comments: tree and flat shapes, deleted comments in threads, paging,
sorting, reactions, escaping, and a constant number of queries per page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from sqlalchemy import event

from sparkle.posts.models import PostStatus
from tests.factories.content import create_comment, create_post, set_post_status


def url(post_id: object) -> str:
    return f"/api/posts/{post_id}/comments"


@contextmanager
def count_queries(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def walk(client, post_id, **params) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get(url(post_id), params=query)
        assert r.status_code == 200, r.text
        seen += [c["content"] for c in r.json()["items"]]
        cursor = r.json()["nextCursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


class TestShape:
    async def test_tree_with_deleted_comment_in_the_middle(
        self, client, rt, post, owner, other
    ) -> None:
        root = await create_comment(rt, owner.user, post.id, "root")
        middle = await create_comment(rt, other.user, post.id, "middle", parent_id=root.id)
        leaf = await create_comment(rt, owner.user, post.id, "leaf", parent_id=middle.id)
        sibling = await create_comment(rt, owner.user, post.id, "sibling", parent_id=root.id)
        assert (
            await client.delete(f"/api/comments/{middle.id}", headers=other.headers)
        ).status_code == 204

        r = await client.get(url(post.id))
        assert r.status_code == 200
        body = r.json()
        assert body["format"] == "tree" and body["nextCursor"] is None
        [top] = body["items"]
        assert top["id"] == str(root.id) and top["replyCount"] == 2 and top["depth"] == 0
        first, second = top["replies"]
        assert first["id"] == str(middle.id)
        assert first["deleted"] is True
        assert first["content"] == "[deleted]" and first["contentHtml"] == "<p>[deleted]</p>"
        assert first["author"] is None
        assert first["replyCount"] == 1
        [child] = first["replies"]
        assert (
            child["id"] == str(leaf.id)
            and child["content"] == "leaf"
            and child["parentId"] == str(middle.id)
        )
        assert child["author"]["username"] == "owner_user"
        assert child["replies"] == []
        assert second["id"] == str(sibling.id) and second["depth"] == 1
        assert "middle" not in r.text

    async def test_flat(self, client, rt, post, owner) -> None:
        a = await create_comment(rt, owner.user, post.id, "a")
        b = await create_comment(rt, owner.user, post.id, "b")
        a1 = await create_comment(rt, owner.user, post.id, "a1", parent_id=a.id)
        a11 = await create_comment(rt, owner.user, post.id, "a11", parent_id=a1.id)
        a2 = await create_comment(rt, owner.user, post.id, "a2", parent_id=a.id)
        r = await client.get(url(post.id), params={"format": "flat"})
        assert r.status_code == 200
        items = r.json()["items"]
        assert r.json()["format"] == "flat"
        # Depth-first: each top-level comment, then its thread.
        assert [(c["content"], c["parentId"]) for c in items] == [
            ("a", None),
            ("a1", str(a.id)),
            ("a11", str(a1.id)),
            ("a2", str(a.id)),
            ("b", None),
        ]
        assert all(c["replies"] == [] for c in items)
        assert {c["id"] for c in items} == {str(x.id) for x in (a, b, a1, a11, a2)}

    async def test_empty(self, client, post) -> None:
        r = await client.get(url(post.id))
        assert r.json() == {"format": "tree", "items": [], "nextCursor": None}

    @pytest.mark.parametrize(
        "params",
        [
            {"format": "nested"},
            {"sort": "best"},
            {"limit": "0"},
            {"limit": "101"},
            {"cursor": "garbage"},
        ],
    )
    async def test_bad_parameters(self, client, post, params) -> None:
        r = await client.get(url(post.id), params=params)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == next(iter(params))

    async def test_cursor_of_another_sort(self, client, rt, post, owner) -> None:
        for i in range(3):
            await create_comment(rt, owner.user, post.id, f"c{i}")
        r = await client.get(url(post.id), params={"limit": 1, "sort": "newest"})
        cursor = r.json()["nextCursor"]
        r = await client.get(url(post.id), params={"limit": 1, "sort": "top", "cursor": cursor})
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "cursor"


class TestVisibility:
    async def test_draft_post_comments_hidden(self, client, rt, owner, other, moderator) -> None:
        post = await create_post(rt, owner.user)
        await create_comment(rt, other.user, post.id, "before unpublishing")
        await set_post_status(rt, post.id, PostStatus.DRAFT)
        assert (await client.get(url(post.id))).status_code == 404
        assert (await client.get(url(post.id), headers=other.headers)).status_code == 404
        for reader in (owner, moderator):
            r = await client.get(url(post.id), headers=reader.headers)
            assert r.status_code == 200
            assert [c["content"] for c in r.json()["items"]] == ["before unpublishing"]


class TestPagingAndSorting:
    async def test_pages_count_top_level_comments(self, client, rt, post, owner) -> None:
        roots = [await create_comment(rt, owner.user, post.id, f"root {i}") for i in range(7)]
        for root in roots:
            await create_comment(
                rt, owner.user, post.id, f"reply to {root.content}", parent_id=root.id
            )
        r = await client.get(url(post.id), params={"limit": 3})
        items = r.json()["items"]
        assert [c["content"] for c in items] == ["root 0", "root 1", "root 2"]
        assert all(len(c["replies"]) == 1 for c in items)
        assert await walk(client, post.id, limit=3) == [f"root {i}" for i in range(7)]
        assert await walk(client, post.id, limit=3, sort="newest") == [
            f"root {i}" for i in reversed(range(7))
        ]
        assert await walk(client, post.id, limit=2, format="flat") == [
            x for i in range(7) for x in (f"root {i}", f"reply to root {i}")
        ]

    async def test_top(self, client, rt, post, owner, other, admin) -> None:
        quiet = await create_comment(rt, owner.user, post.id, "quiet")
        loved = await create_comment(rt, owner.user, post.id, "loved")
        liked = await create_comment(rt, owner.user, post.id, "liked")
        also_quiet = await create_comment(rt, owner.user, post.id, "also quiet")
        replies = [
            await create_comment(rt, owner.user, post.id, f"r{i}", parent_id=loved.id)
            for i in range(3)
        ]
        for account, target, kind in [
            (other, loved, "LOVE"),
            (admin, loved, "LIKE"),
            (owner, loved, "WOW"),
            (other, liked, "LIKE"),
            (other, replies[2], "LIKE"),
        ]:
            r = await client.post(
                f"/api/comments/{target.id}/reactions", json={"type": kind}, headers=account.headers
            )
            assert r.status_code == 201
        assert await walk(client, post.id, sort="top", limit=1) == [
            "loved",
            "liked",
            "quiet",
            "also quiet",
        ]
        r = await client.get(
            url(post.id), params={"sort": "top", "limit": 1}, headers=other.headers
        )
        [top] = r.json()["items"]
        assert [c["content"] for c in top["replies"]] == ["r2", "r0", "r1"]
        assert top["reactionCounts"] == {
            "LIKE": 1,
            "LOVE": 1,
            "LAUGH": 0,
            "WOW": 1,
            "SAD": 0,
            "ANGRY": 0,
        }
        assert top["myReactions"] == ["LOVE"]
        assert top["replies"][0]["myReactions"] == ["LIKE"]
        r = await client.get(url(post.id), params={"sort": "newest"})
        assert [c["content"] for c in r.json()["items"]] == [
            "also quiet",
            "liked",
            "loved",
            "quiet",
        ]
        assert [c["content"] for c in r.json()["items"][2]["replies"]] == ["r2", "r1", "r0"]
        # Anonymous readers see the counts but have no reactions of their own.
        assert r.json()["items"][2]["myReactions"] == []
        assert quiet.id and also_quiet.id


class TestQueries:
    async def _threads(self, rt, post_id, author, roots: int) -> None:  # type: ignore[no-untyped-def]
        for i in range(roots):
            root = await create_comment(rt, author, post_id, f"root {i}")
            reply = await create_comment(rt, author, post_id, "reply", parent_id=root.id)
            await create_comment(rt, author, post_id, "reply to reply", parent_id=reply.id)

    async def _page_queries(self, client, engine, post_id, account) -> int:  # type: ignore[no-untyped-def]
        with count_queries(engine) as statements:
            r = await client.get(url(post_id), params={"limit": 100}, headers=account.headers)
        assert r.status_code == 200
        return len([s for s in statements if "SAVEPOINT" not in s.upper()])

    async def test_constant_per_page(self, client, rt, engine, owner, other) -> None:
        small = await create_post(rt, owner.user)
        large = await create_post(rt, owner.user)
        await self._threads(rt, small.id, other.user, 5)
        await self._threads(rt, large.id, other.user, 50)
        for post in (small, large):
            r = await client.get(url(post.id), params={"limit": 1})
            [root] = r.json()["items"]
            await client.post(
                f"/api/comments/{root['id']}/reactions",
                json={"type": "LIKE"},
                headers=owner.headers,
            )
        few = await self._page_queries(client, engine, small.id, owner)
        many = await self._page_queries(client, engine, large.id, owner)
        assert few == many
        r = await client.get(url(large.id), params={"limit": 100}, headers=owner.headers)
        assert len(r.json()["items"]) == 50
        assert all(
            c["replies"][0]["replies"][0]["content"] == "reply to reply" for c in r.json()["items"]
        )


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)>",
    '"><iframe src="data:text/html,<script>alert(1)</script>">',
    "javascript:alert(1)",
]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


class TestEscaping:
    @pytest.mark.parametrize("payload", XSS_PAYLOADS)
    async def test_payload_is_inert(self, client, post, other, payload) -> None:
        r = await client.post(url(post.id), json={"content": payload}, headers=other.headers)
        assert r.status_code == 201
        assert r.json()["content"] == payload
        r = await client.get(url(post.id))
        rendered = r.json()["items"][0]["contentHtml"]
        parsed = Elements()
        parsed.feed(rendered)
        # Parsed as a browser would: one paragraph holding the payload as text, nothing active.
        assert parsed.tags == [("p", [])]
        assert parsed.text == payload

    async def test_links_and_mentions(self, client, post, other) -> None:
        text = "See https://example.com/a?b=1&c=2. Ask @owner_user\nthanks\n\nbye"
        r = await client.post(url(post.id), json={"content": text}, headers=other.headers)
        assert r.json()["contentHtml"] == (
            '<p>See <a href="https://example.com/a?b=1&amp;c=2" '
            'rel="nofollow ugc noopener noreferrer">'
            "https://example.com/a?b=1&amp;c=2</a>. Ask "
            '<a href="/u/owner_user" class="mention" '
            'rel="nofollow ugc noopener noreferrer">@owner_user</a>'
            "<br>thanks</p><p>bye</p>"
        )
