"""PATCH and DELETE /api/comments/{id}: identity matrices, editedAt, soft deletion, counters."""

from __future__ import annotations

import uuid

import pytest

from sparkle.core.events import capture_events
from sparkle.posts.models import PostStatus
from tests.factories.content import (
    create_comment,
    create_post,
    get_comment,
    get_post,
    set_post_status,
)


@pytest.fixture
async def comment(rt, post, other):  # type: ignore[no-untyped-def]
    return await create_comment(rt, other.user, post.id, "Original text")


def url(comment_id: object) -> str:
    return f"/api/comments/{comment_id}"


class TestUpdate:
    async def test_anonymous(self, client, comment) -> None:
        r = await client.patch(url(comment.id), json={"content": "hijack"})
        assert r.status_code == 401

    async def test_other_user(self, client, rt, comment, owner) -> None:
        # `owner` wrote the post, not the comment.
        r = await client.patch(url(comment.id), json={"content": "hijack"}, headers=owner.headers)
        assert r.status_code == 403
        assert (await get_comment(rt, comment.id)).content == "Original text"

    @pytest.mark.parametrize("role", ["moderator", "admin"])
    async def test_staff_may_not_rewrite(self, client, rt, comment, role, identities) -> None:
        staff = identities[role]
        r = await client.patch(
            url(comment.id), json={"content": "rewritten"}, headers=staff.headers
        )
        assert r.status_code == 403
        assert r.json()["code"] == "comment_forbidden"

    async def test_owner(self, client, rt, comment, other) -> None:
        with capture_events() as seen:
            r = await client.patch(
                url(comment.id), json={"content": " Better text "}, headers=other.headers
            )
        assert r.status_code == 200, r.text
        assert r.json()["content"] == "Better text"
        assert r.json()["editedAt"] is not None
        stored = await get_comment(rt, comment.id)
        assert stored.content == "Better text" and stored.edited_at is not None
        assert [e.payload for e in seen if e.name == "comment:updated"] == [
            {
                "commentId": str(comment.id),
                "postId": str(comment.post_id),
                "authorId": str(other.id),
            }
        ]

    async def test_same_text_is_not_an_edit(self, client, rt, comment, other) -> None:
        with capture_events() as seen:
            r = await client.patch(
                url(comment.id), json={"content": "Original text"}, headers=other.headers
            )
        assert r.status_code == 200
        assert r.json()["editedAt"] is None
        assert not [e for e in seen if e.name == "comment:updated"]

    @pytest.mark.parametrize(
        "payload", [{"content": ""}, {"content": " "}, {"content": "y" * 10_001}, {}]
    )
    async def test_bad_input(self, client, rt, comment, other, payload) -> None:
        r = await client.patch(url(comment.id), json=payload, headers=other.headers)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "content"
        assert (await get_comment(rt, comment.id)).content == "Original text"

    async def test_missing(self, client, other) -> None:
        r = await client.patch(url(uuid.uuid4()), json={"content": "x"}, headers=other.headers)
        assert r.status_code == 404
        assert r.json()["code"] == "comment_not_found"

    async def test_deleted(self, client, comment, other) -> None:
        assert (await client.delete(url(comment.id), headers=other.headers)).status_code == 204
        r = await client.patch(url(comment.id), json={"content": "back"}, headers=other.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "comment_deleted"

    async def test_post_no_longer_published(self, client, rt, owner, other) -> None:
        post = await create_post(rt, owner.user)
        mine = await create_comment(rt, owner.user, post.id)
        theirs = await create_comment(rt, other.user, post.id)
        await set_post_status(rt, post.id, PostStatus.ARCHIVED)
        # The post's author still sees the archived post, but its comments are closed.
        r = await client.patch(url(mine.id), json={"content": "late edit"}, headers=owner.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "post_not_published"
        # Anyone else no longer sees the post at all.
        r = await client.patch(url(theirs.id), json={"content": "late edit"}, headers=other.headers)
        assert r.status_code == 404


class TestDelete:
    async def test_anonymous(self, client, rt, comment) -> None:
        assert (await client.delete(url(comment.id))).status_code == 401
        assert (await get_comment(rt, comment.id)).deleted_at is None

    async def test_other_user(self, client, rt, comment, make_account) -> None:
        stranger = await make_account(username="stranger")
        r = await client.delete(url(comment.id), headers=stranger.headers)
        assert r.status_code == 403
        assert (await get_comment(rt, comment.id)).deleted_at is None
        assert (await get_post(rt, comment.post_id)).comment_count == 1

    @pytest.mark.parametrize("role", ["other", "moderator", "admin"])
    async def test_author_and_staff(self, client, rt, comment, role, identities) -> None:
        actor = identities[role]
        with capture_events() as seen:
            r = await client.delete(url(comment.id), headers=actor.headers)
        assert r.status_code == 204
        assert (await get_comment(rt, comment.id)).deleted_at is not None
        assert (await get_post(rt, comment.post_id)).comment_count == 0
        [event] = [e for e in seen if e.name == "comment:deleted"]
        assert event.payload["commentId"] == str(comment.id)
        assert event.payload["deletedBy"] == str(actor.id)

    async def test_twice_counts_once(self, client, rt, post, comment, other, owner) -> None:
        await create_comment(rt, owner.user, post.id, "another")
        assert (await client.delete(url(comment.id), headers=other.headers)).status_code == 204
        with capture_events() as seen:
            assert (await client.delete(url(comment.id), headers=other.headers)).status_code == 204
        assert not seen
        assert (await get_post(rt, post.id)).comment_count == 1

    async def test_shows_placeholder(self, client, comment, other) -> None:
        await client.delete(url(comment.id), headers=other.headers)
        r = await client.get(url(comment.id))
        assert r.status_code == 200
        body = r.json()
        assert body["deleted"] is True
        assert body["content"] == "[deleted]"
        assert body["author"] is None
        assert "Original text" not in r.text

    async def test_missing(self, client, other) -> None:
        assert (await client.delete(url(uuid.uuid4()), headers=other.headers)).status_code == 404

    async def test_comment_on_unreadable_post(self, client, rt, owner, other) -> None:
        post = await create_post(rt, owner.user)
        comment = await create_comment(rt, owner.user, post.id)
        await set_post_status(rt, post.id, PostStatus.DRAFT)
        # Only the post's author and moderators see it now; for anyone else it does not exist.
        assert (await client.get(url(comment.id), headers=other.headers)).status_code == 404
        assert (await client.delete(url(comment.id), headers=other.headers)).status_code == 404
        assert (await client.get(url(comment.id), headers=owner.headers)).status_code == 200
