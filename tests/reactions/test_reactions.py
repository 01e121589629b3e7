"""Reactions on posts and comments: who may react, idempotency, exact counts, events, lists."""

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

TYPES = ("LIKE", "LOVE", "LAUGH", "WOW", "SAD", "ANGRY")


def counts(**values: int) -> dict[str, int]:
    return {t: values.get(t, 0) for t in TYPES}


@pytest.fixture
async def comment(rt, post, owner):  # type: ignore[no-untyped-def]
    return await create_comment(rt, owner.user, post.id, "React to me")


@pytest.fixture(params=["post", "comment"])
def target(request, post, comment):  # type: ignore[no-untyped-def]
    """The reaction endpoints of a post and of a comment: the same contract under both."""
    kind = request.param
    target_id = post.id if kind == "post" else comment.id
    return kind, target_id, f"/api/{kind}s/{target_id}/reactions"


async def stored_count(rt, kind, target_id) -> int:  # type: ignore[no-untyped-def]
    row = await (get_post(rt, target_id) if kind == "post" else get_comment(rt, target_id))
    return row.reaction_count


class TestAdd:
    async def test_anonymous(self, client, rt, target) -> None:
        kind, target_id, url = target
        r = await client.post(url, json={"type": "LIKE"})
        assert r.status_code == 401
        assert await stored_count(rt, kind, target_id) == 0

    @pytest.mark.parametrize("who", ["owner", "other", "moderator", "admin"])
    async def test_signed_in(self, client, rt, target, identities, who) -> None:
        kind, target_id, url = target
        account = identities[who]
        with capture_events() as seen:
            r = await client.post(url, json={"type": "LOVE"}, headers=account.headers)
        assert r.status_code == 201, r.text
        assert r.json() == {
            "reactionCounts": counts(LOVE=1),
            "reactionCount": 1,
            "myReactions": ["LOVE"],
        }
        assert await stored_count(rt, kind, target_id) == 1
        [event] = [e for e in seen if e.name == "reaction:added"]
        assert event.payload["targetType"] == kind
        assert event.payload["targetId"] == str(target_id)
        assert event.payload["userId"] == str(account.id)
        assert event.payload["type"] == "LOVE"

    async def test_idempotent(self, client, rt, target, other, admin) -> None:
        kind, target_id, url = target
        assert (
            await client.post(url, json={"type": "LIKE"}, headers=other.headers)
        ).status_code == 201
        with capture_events() as seen:
            r = await client.post(url, json={"type": "LIKE"}, headers=other.headers)
        assert r.status_code == 200
        assert r.json()["reactionCounts"] == counts(LIKE=1)
        assert not [e for e in seen if e.name.startswith("reaction:")]
        assert await stored_count(rt, kind, target_id) == 1

    async def test_counts_exact(self, client, rt, target, owner, other, admin) -> None:
        kind, target_id, url = target
        for account, kind_ in [
            (other, "LIKE"),
            (other, "WOW"),
            (admin, "LIKE"),
            (other, "LIKE"),
            (owner, "SAD"),
        ]:
            await client.post(url, json={"type": kind_}, headers=account.headers)
        r = await client.post(url, json={"type": "WOW"}, headers=other.headers)
        assert r.json() == {
            "reactionCounts": counts(LIKE=2, WOW=1, SAD=1),
            "reactionCount": 4,
            "myReactions": ["LIKE", "WOW"],
        }
        await client.delete(f"{url}/LIKE", headers=admin.headers)
        await client.delete(f"{url}/LIKE", headers=admin.headers)
        r = await client.delete(f"{url}/SAD", headers=owner.headers)
        assert r.json() == {
            "reactionCounts": counts(LIKE=1, WOW=1),
            "reactionCount": 2,
            "myReactions": [],
        }
        assert await stored_count(rt, kind, target_id) == 2

    @pytest.mark.parametrize(
        "payload", [{"type": "like"}, {"type": "BOO"}, {"type": None}, {}, {"type": "LIKE", "x": 1}]
    )
    async def test_bad_type(self, client, rt, target, other, payload) -> None:
        kind, target_id, url = target
        r = await client.post(url, json=payload, headers=other.headers)
        assert r.status_code == 400
        assert {e["field"] for e in r.json()["errors"]} == ({"x"} if "x" in payload else {"type"})
        assert await stored_count(rt, kind, target_id) == 0

    async def test_missing_target(self, client, target, other) -> None:
        kind, _, _ = target
        r = await client.post(
            f"/api/{kind}s/{uuid.uuid4()}/reactions", json={"type": "LIKE"}, headers=other.headers
        )
        assert r.status_code == 404
        assert r.json()["code"] == f"{kind}_not_found"


class TestRemove:
    async def test_anonymous(self, client, target) -> None:
        _, _, url = target
        assert (await client.delete(f"{url}/LIKE")).status_code == 401

    async def test_only_own_reaction(self, client, rt, target, other, admin) -> None:
        kind, target_id, url = target
        await client.post(url, json={"type": "LIKE"}, headers=other.headers)
        # Another user's DELETE removes their own (absent) reaction, never someone else's.
        r = await client.delete(f"{url}/LIKE", headers=admin.headers)
        assert r.status_code == 200
        assert r.json()["reactionCounts"]["LIKE"] == 1
        assert await stored_count(rt, kind, target_id) == 1

    async def test_idempotent(self, client, rt, target, other) -> None:
        kind, target_id, url = target
        await client.post(url, json={"type": "LAUGH"}, headers=other.headers)
        with capture_events() as seen:
            first = await client.delete(f"{url}/LAUGH", headers=other.headers)
            second = await client.delete(f"{url}/LAUGH", headers=other.headers)
        assert first.status_code == second.status_code == 200
        assert (
            first.json()
            == second.json()
            == {"reactionCounts": counts(), "reactionCount": 0, "myReactions": []}
        )
        assert [e.name for e in seen if e.name.startswith("reaction:")] == ["reaction:removed"]
        [event] = [e for e in seen if e.name == "reaction:removed"]
        assert event.payload["targetType"] == kind and event.payload["type"] == "LAUGH"
        assert await stored_count(rt, kind, target_id) == 0

    async def test_bad_type(self, client, target, other) -> None:
        _, _, url = target
        r = await client.delete(f"{url}/MEH", headers=other.headers)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "type"


class TestTargetState:
    @pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.ARCHIVED, PostStatus.REMOVED])
    async def test_unpublished_post(self, client, rt, owner, other, status) -> None:
        post = await create_post(rt, owner.user)
        comment = await create_comment(rt, owner.user, post.id)
        await set_post_status(rt, post.id, status)
        for url in (f"/api/posts/{post.id}/reactions", f"/api/comments/{comment.id}/reactions"):
            r = await client.post(url, json={"type": "LIKE"}, headers=owner.headers)
            assert r.status_code == 409
            assert r.json()["code"] == "post_not_published"
            # For anyone who may not read the post, it does not exist.
            r = await client.post(url, json={"type": "LIKE"}, headers=other.headers)
            assert r.status_code == 404
        assert (await get_post(rt, post.id)).reaction_count == 0

    async def test_reaction_taken_back_after_archiving(self, client, rt, post, owner) -> None:
        await client.post(
            f"/api/posts/{post.id}/reactions", json={"type": "LIKE"}, headers=owner.headers
        )
        await set_post_status(rt, post.id, PostStatus.ARCHIVED)
        r = await client.delete(f"/api/posts/{post.id}/reactions/LIKE", headers=owner.headers)
        assert r.status_code == 200
        assert (await get_post(rt, post.id)).reaction_count == 0

    async def test_deleted_comment(self, client, rt, comment, owner, other) -> None:
        url = f"/api/comments/{comment.id}/reactions"
        await client.post(url, json={"type": "LIKE"}, headers=other.headers)
        assert (
            await client.delete(f"/api/comments/{comment.id}", headers=owner.headers)
        ).status_code == 204
        r = await client.post(url, json={"type": "LOVE"}, headers=other.headers)
        assert r.status_code == 409
        assert r.json()["code"] == "comment_deleted"
        assert (await client.get(url)).status_code == 404
        assert (await get_comment(rt, comment.id)).reaction_count == 1

    async def test_post_and_comment_counters_are_separate(
        self, client, rt, post, comment, other
    ) -> None:
        await client.post(
            f"/api/comments/{comment.id}/reactions", json={"type": "LIKE"}, headers=other.headers
        )
        assert (await get_post(rt, post.id)).reaction_count == 0
        assert (await get_comment(rt, comment.id)).reaction_count == 1
        r = await client.get(f"/api/posts/{post.id}/reactions")
        assert r.json()["items"] == []


class TestList:
    async def test_who_reacted(self, client, rt, target, owner, other, admin) -> None:
        _, _, url = target
        await client.post(url, json={"type": "LIKE"}, headers=other.headers)
        await client.post(url, json={"type": "LOVE"}, headers=admin.headers)
        await client.post(url, json={"type": "LIKE"}, headers=owner.headers)
        r = await client.get(url)
        assert r.status_code == 200
        assert [(i["user"]["username"], i["type"]) for i in r.json()["items"]] == [
            ("owner_user", "LIKE"),
            ("admin_user", "LOVE"),
            ("other_user", "LIKE"),
        ]
        first = r.json()["items"][0]
        assert first["user"] == {
            "id": str(owner.id),
            "username": "owner_user",
            "displayName": "owner_user",
            "avatarUrl": None,
        }
        assert first["createdAt"]
        r = await client.get(url, params={"type": "LIKE"})
        assert [i["user"]["username"] for i in r.json()["items"]] == ["owner_user", "other_user"]

    async def test_paging(self, client, target, make_account) -> None:
        _, _, url = target
        names = []
        for i in range(5):
            account = await make_account(username=f"fan{i}")
            await client.post(url, json={"type": "WOW"}, headers=account.headers)
            names.append(account.user.username)
        seen: list[str] = []
        cursor = None
        while True:
            r = await client.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
            assert len(r.json()["items"]) <= 2
            seen += [i["user"]["username"] for i in r.json()["items"]]
            cursor = r.json()["nextCursor"]
            if not cursor:
                break
        assert seen == list(reversed(names))

    @pytest.mark.parametrize("params", [{"type": "NOPE"}, {"limit": "0"}, {"cursor": "!!"}])
    async def test_bad_parameters(self, client, target, params) -> None:
        _, _, url = target
        r = await client.get(url, params=params)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == next(iter(params))

    async def test_unreadable_post(self, client, rt, owner, other) -> None:
        post = await create_post(rt, owner.user, status=PostStatus.DRAFT)
        assert (
            await client.get(f"/api/posts/{post.id}/reactions", headers=other.headers)
        ).status_code == 404
        assert (
            await client.get(f"/api/posts/{post.id}/reactions", headers=owner.headers)
        ).status_code == 200
