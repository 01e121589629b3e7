"""Domain events reach the right rooms after commit: posts, comments, reactions,
notifications, live viewer counts; reactions over the socket go through the same service."""

from __future__ import annotations

import uuid

from sparkle.posts.models import PostStatus
from tests.factories.content import create_post
from tests.realtime.conftest import Live, flush

DOC = {
    "type": "doc",
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hello"}]}],
}


async def test_comments_and_reactions_reach_post_subscribers_only(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("live_author")
    reader = await live.account("live_reader")
    post = await create_post(live.rt, author.user)
    other_post = await create_post(live.rt, author.user)
    watcher = await connect(reader)
    elsewhere = await connect(await live.account("live_elsewhere"))
    await watcher.call("subscribeToPost", str(post.id))
    await elsewhere.call("subscribeToPost", str(other_post.id))
    async with live.http() as http:
        r = await http.post(
            f"/api/posts/{post.id}/comments",
            json={"content": "Live **now**"},
            headers=author.headers,
        )
        assert r.status_code == 201, r.text
        comment_id = r.json()["id"]
        created = await watcher.wait_for("commentCreated")
        assert created["id"] == comment_id and created["postId"] == str(post.id)
        assert created["author"]["username"] == "live_author" and created["commentCount"] == 1
        assert "Live" in created["contentHtml"]

        r = await http.patch(
            f"/api/comments/{comment_id}", json={"content": "Edited"}, headers=author.headers
        )
        assert r.status_code == 200, r.text
        assert (await watcher.wait_for("commentUpdated"))["content"] == "Edited"

        r = await http.post(
            f"/api/posts/{post.id}/reactions", json={"type": "LOVE"}, headers=reader.headers
        )
        assert r.status_code == 201, r.text
        added = await watcher.wait_for("reactionAdded")
        assert added["entityType"] == "post" and added["entityId"] == str(post.id)
        assert added["reaction"] == {"userId": str(reader.id), "type": "LOVE"}
        assert added["counts"]["LOVE"] == 1

        r = await http.delete(f"/api/posts/{post.id}/reactions/LOVE", headers=reader.headers)
        assert r.status_code == 200, r.text
        removed = await watcher.wait_for("reactionRemoved")
        assert removed["reactionType"] == "LOVE" and removed["counts"]["LOVE"] == 0

        r = await http.delete(f"/api/comments/{comment_id}", headers=author.headers)
        assert r.status_code == 204, r.text
        assert await watcher.wait_for("commentDeleted") == comment_id
    names = {e for e, _ in elsewhere.received}
    assert not names & {
        "commentCreated",
        "commentUpdated",
        "reactionAdded",
        "reactionRemoved",
        "commentDeleted",
    }


async def test_reactions_over_the_socket(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("sock_author")
    fan = await live.account("sock_fan")
    post = await create_post(live.rt, author.user)
    watcher = await connect(author)
    await watcher.call("subscribeToPost", str(post.id))
    client = await connect(fan)
    ack = await client.call(
        "addReaction", {"entityType": "post", "entityId": str(post.id), "reactionType": "WOW"}
    )
    assert ack["ok"] is True and ack["counts"]["WOW"] == 1 and ack["myReactions"] == ["WOW"]
    assert (await watcher.wait_for("reactionAdded"))["reaction"]["type"] == "WOW"
    # The same rules as HTTP: the post author is notified (notifications domain) in real time.
    note = await watcher.wait_for("notification", timeout=5)
    assert isinstance(note, dict)
    assert isinstance(await watcher.wait_for("unreadCountUpdate"), int)
    ack = await client.call(
        "removeReaction", {"entityType": "post", "entityId": str(post.id), "reactionType": "WOW"}
    )
    assert ack["ok"] is True and ack["counts"]["WOW"] == 0
    # A draft of somebody else cannot be reacted to.
    draft = await create_post(live.rt, author.user, status=PostStatus.DRAFT)
    ack = await client.call(
        "addReaction", {"entityType": "post", "entityId": str(draft.id), "reactionType": "WOW"}
    )
    assert ack["ok"] is False and ack["error"]["code"] == "REACTION_ADD_FAILED"
    assert (await client.wait_for("error"))["code"] == "REACTION_ADD_FAILED"
    ack = await client.call(
        "addReaction",
        {"entityType": "comment", "entityId": str(uuid.uuid4()), "reactionType": "LIKE"},
    )
    assert ack["error"]["code"] == "REACTION_ADD_FAILED"


async def test_published_post_reaches_followers(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("pub_author")
    fan = await live.account("pub_fan")
    bystander = await live.account("pub_bystander")
    async with live.http() as http:
        assert (
            await http.post(f"/api/users/{author.id}/follow", headers=fan.headers)
        ).status_code == 200
        fan_client = await connect(fan)
        by_client = await connect(bystander)
        r = await http.post(
            "/api/posts",
            json={"title": "Draft first", "content": DOC, "status": "DRAFT"},
            headers=author.headers,
        )
        assert r.status_code == 201, r.text
        post_id = r.json()["id"]
        author_client = await connect(author)
        await author_client.call("subscribeToPost", post_id)
        r = await http.post(f"/api/posts/{post_id}/publish", headers=author.headers)
        assert r.status_code == 200, r.text
        created = await fan_client.wait_for("postCreated")
        assert created["postId"] == post_id and created["title"] == "Draft first"
        # Drafts are nobody's business: the publish is the one postCreated the fan got.
        await flush(fan_client)
        assert len(fan_client.events("postCreated")) == 1
        assert created["authorUsername"] == "pub_author"
        assert (await author_client.wait_for("postUpdated"))["postId"] == post_id
        r = await http.delete(f"/api/posts/{post_id}", headers=author.headers)
        assert r.status_code == 204, r.text
        assert await author_client.wait_for("postDeleted") == post_id
    assert by_client.events("postCreated") == []


async def test_live_viewer_count(live: Live, connect) -> None:  # type: ignore[no-untyped-def]
    author = await live.account("view_author")
    post = await create_post(live.rt, author.user)
    a = await connect(author)
    b = await connect(await live.account("view_b"))
    await a.call("subscribeToPost", str(post.id))
    await b.call("subscribeToPost", str(post.id))
    count = await a.wait_for("liveViewerCount", lambda d: d["count"] == 2, timeout=4)
    assert count == {"entityId": str(post.id), "count": 2}
    await b.close()
    await a.wait_for("liveViewerCount", lambda d: d["count"] == 1, timeout=4)
