"""POST /api/posts/{id}/comments: who may comment, validation, replies, depth, counters, events."""

from __future__ import annotations

import uuid

import pytest

from sparkle.core.events import capture_events
from sparkle.posts.models import PostStatus
from tests.factories.content import create_comment, create_post, get_comment, get_post


def url(post_id: object) -> str:
    return f"/api/posts/{post_id}/comments"


class TestCreate:
    async def test_anonymous(self, client, rt, post) -> None:
        r = await client.post(url(post.id), json={"content": "hello"})
        assert r.status_code == 401
        assert (await get_post(rt, post.id)).comment_count == 0

    async def test_other_user(self, client, rt, post, other) -> None:
        r = await client.post(
            url(post.id), json={"content": "  Nice post!  "}, headers=other.headers
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["content"] == "Nice post!"
        assert body["contentHtml"] == "<p>Nice post!</p>"
        assert body["author"] == {
            "id": str(other.id),
            "username": "other_user",
            "displayName": "other_user",
            "avatarUrl": None,
        }
        assert body["postId"] == str(post.id)
        assert body["parentId"] is None
        assert body["depth"] == 0
        assert body["deleted"] is False
        assert body["editedAt"] is None
        assert body["replyCount"] == 0
        assert body["reactionCounts"] == dict.fromkeys(
            ("LIKE", "LOVE", "LAUGH", "WOW", "SAD", "ANGRY"), 0
        )
        assert body["myReactions"] == []
        assert (await get_post(rt, post.id)).comment_count == 1

    async def test_owner(self, client, post, owner) -> None:
        r = await client.post(url(post.id), json={"content": "Author here"}, headers=owner.headers)
        assert r.status_code == 201

    async def test_admin(self, client, post, admin) -> None:
        r = await client.post(url(post.id), json={"content": "Admin here"}, headers=admin.headers)
        assert r.status_code == 201

    async def test_event_after_commit(self, client, post, other, owner) -> None:
        with capture_events() as seen:
            r = await client.post(url(post.id), json={"content": "hi"}, headers=other.headers)
        [event] = [e for e in seen if e.name == "comment:created"]
        assert event.payload == {
            "commentId": r.json()["id"],
            "postId": str(post.id),
            "parentId": None,
            "authorId": str(other.id),
            "postAuthorId": str(owner.id),
            "parentAuthorId": None,
        }


class TestValidation:
    @pytest.mark.parametrize(
        "payload",
        [
            {"content": ""},
            {"content": "   \n\t  "},
            {"content": "x" * 10_001},
            {"content": 42},
            {},
            {"content": "ok", "parentId": "not-a-uuid"},
            {"content": "ok", "authorId": str(uuid.uuid4())},
        ],
        ids=[
            "empty",
            "whitespace",
            "too-long",
            "not-text",
            "missing",
            "bad-parent",
            "unknown-field",
        ],
    )
    async def test_bad_input_names_the_field(self, client, rt, post, other, payload) -> None:
        r = await client.post(url(post.id), json=payload, headers=other.headers)
        assert r.status_code == 400, r.text
        fields = {e["field"] for e in r.json()["errors"]}
        expected = (set(payload) - {"content"}) or {"content"}
        assert fields == expected
        assert (await get_post(rt, post.id)).comment_count == 0

    async def test_longest_allowed(self, client, post, other) -> None:
        r = await client.post(
            url(post.id), json={"content": "x" * 10_000 + "   "}, headers=other.headers
        )
        assert r.status_code == 201
        assert len(r.json()["content"]) == 10_000

    async def test_control_characters_are_dropped(self, client, post, other) -> None:
        r = await client.post(
            url(post.id), json={"content": "a\x00b\r\nc\x07"}, headers=other.headers
        )
        assert r.status_code == 201
        assert r.json()["content"] == "ab\nc"

    async def test_parent_on_another_post(self, client, rt, post, owner, other) -> None:
        elsewhere = await create_post(rt, owner.user)
        parent = await create_comment(rt, owner.user, elsewhere.id)
        r = await client.post(
            url(post.id), json={"content": "x", "parentId": str(parent.id)}, headers=other.headers
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "parentId"

    async def test_missing_parent(self, client, post, other) -> None:
        r = await client.post(
            url(post.id),
            json={"content": "x", "parentId": str(uuid.uuid4())},
            headers=other.headers,
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "parentId"

    async def test_bad_post_id(self, client, other) -> None:
        r = await client.post(url("nope"), json={"content": "x"}, headers=other.headers)
        assert r.status_code == 400


class TestPostState:
    @pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.ARCHIVED, PostStatus.REMOVED])
    async def test_refused_unless_published(self, client, rt, owner, other, status) -> None:
        post = await create_post(rt, owner.user, status=status)
        # The author can see the post, so learns why; anyone else sees no post at all.
        r = await client.post(url(post.id), json={"content": "x"}, headers=owner.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "post_not_published"
        r = await client.post(url(post.id), json={"content": "x"}, headers=other.headers)
        assert r.status_code == 404
        assert (await get_post(rt, post.id)).comment_count == 0

    async def test_deleted_post(self, client, rt, owner, other) -> None:
        from sparkle.core.db import utcnow

        post = await create_post(rt, owner.user, deleted_at=utcnow())
        r = await client.post(url(post.id), json={"content": "x"}, headers=other.headers)
        assert r.status_code == 404

    async def test_missing_post(self, client, other) -> None:
        r = await client.post(url(uuid.uuid4()), json={"content": "x"}, headers=other.headers)
        assert r.status_code == 404
        assert r.json()["code"] == "post_not_found"


class TestReplies:
    async def test_reply_counts(self, client, rt, post, owner, other) -> None:
        parent = await create_comment(rt, owner.user, post.id, "parent")
        with capture_events() as seen:
            r = await client.post(
                url(post.id),
                json={"content": "reply", "parentId": str(parent.id)},
                headers=other.headers,
            )
        assert r.status_code == 201
        assert r.json()["parentId"] == str(parent.id)
        assert r.json()["depth"] == 1
        assert (await get_comment(rt, parent.id)).reply_count == 1
        assert (await get_post(rt, post.id)).comment_count == 2
        [event] = [e for e in seen if e.name == "comment:created"]
        assert event.payload["parentId"] == str(parent.id)
        assert event.payload["parentAuthorId"] == str(owner.id)

    async def test_depth_limit(self, client, rt, post, owner, other) -> None:
        parent_id = None
        chain = []
        for level in range(9):  # depths 0..8: the deepest allowed
            comment = await create_comment(
                rt, owner.user, post.id, f"level {level}", parent_id=parent_id
            )
            assert comment.depth == level
            chain.append(comment)
            parent_id = comment.id
        r = await client.post(
            url(post.id),
            json={"content": "too deep", "parentId": str(chain[-1].id)},
            headers=other.headers,
        )
        assert r.status_code == 201
        # Attached to the deepest allowed ancestor: a sibling of the comment replied to.
        assert r.json()["depth"] == 8
        assert r.json()["parentId"] == str(chain[-2].id)
        assert (await get_comment(rt, chain[-2].id)).reply_count == 2
        assert (await get_comment(rt, chain[-1].id)).reply_count == 0

    async def test_reply_to_deleted_comment(self, client, rt, post, owner, other) -> None:
        parent = await create_comment(rt, owner.user, post.id)
        assert (
            await client.delete(f"/api/comments/{parent.id}", headers=owner.headers)
        ).status_code == 204
        r = await client.post(
            url(post.id), json={"content": "x", "parentId": str(parent.id)}, headers=other.headers
        )
        assert r.status_code == 409
        assert r.json()["code"] == "comment_deleted"
        assert (await get_comment(rt, parent.id)).reply_count == 0


class TestRateLimit:
    async def test_ten_a_minute(self, client, post, other, owner) -> None:
        for i in range(10):
            r = await client.post(url(post.id), json={"content": f"c{i}"}, headers=other.headers)
            assert r.status_code == 201
        r = await client.post(url(post.id), json={"content": "one more"}, headers=other.headers)
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) >= 1
        # Per user: someone else still may.
        r = await client.post(url(post.id), json={"content": "mine"}, headers=owner.headers)
        assert r.status_code == 201


class TestMentions:
    async def _mentions(self, rt, comment_id) -> set[uuid.UUID]:  # type: ignore[no-untyped-def]
        from sqlalchemy import select

        from sparkle.posts.models import Mention

        async with rt.sessions() as session:
            rows = await session.scalars(
                select(Mention.mentioned_user_id).where(Mention.comment_id == comment_id)
            )
            return set(rows.all())

    async def test_recorded_and_announced(self, client, rt, post, owner, other, moderator) -> None:
        text = (
            "@Owner_User look, and @nobody_here too; "
            "not https://youtube.com/@mod_user nor me@other_user"
        )
        with capture_events() as seen:
            r = await client.post(url(post.id), json={"content": text}, headers=other.headers)
        assert r.status_code == 201
        comment_id = uuid.UUID(r.json()["id"])
        assert await self._mentions(rt, comment_id) == {owner.id}
        assert [e.payload for e in seen if e.name == "user:mentioned"] == [
            {
                "userId": str(owner.id),
                "authorId": str(other.id),
                "postId": str(post.id),
                "commentId": str(comment_id),
            }
        ]

    async def test_edit_updates_mentions(self, client, rt, post, owner, other, moderator) -> None:
        r = await client.post(
            url(post.id), json={"content": "hi @owner_user"}, headers=other.headers
        )
        comment_id = r.json()["id"]
        with capture_events() as seen:
            r = await client.patch(
                f"/api/comments/{comment_id}",
                json={"content": "hi @mod_user"},
                headers=other.headers,
            )
        assert r.status_code == 200
        assert await self._mentions(rt, uuid.UUID(comment_id)) == {moderator.id}
        assert [e.payload["userId"] for e in seen if e.name == "user:mentioned"] == [
            str(moderator.id)
        ]
