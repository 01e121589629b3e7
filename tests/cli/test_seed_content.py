"""`sparkle seed-demo` with content: exact row counts, valid documents, well-formed threads and
unique reactions, and every denormalised counter equal to its aggregate, on both backends."""

# The CLI fixtures (a database of each backend, the environment, the runner) come from
# test_cli by import, so their names are parameters here as well.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sparkle.comments.models import Comment
from sparkle.core import runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.posts import content
from sparkle.posts.models import Category, Post, PostStatus, PostTag, Tag
from sparkle.reactions.models import Reaction
from tests.cli.test_cli import (  # noqa: F401  (fixtures)
    Env,
    Invoke,
    database_url,
    env,
    migrated,
    run_async,
    settings_for,
    sparkle,
)

pytestmark = pytest.mark.usefixtures("migrated")


async def snapshot(env: Env) -> dict[str, Any]:
    """Every content row the checks need, read back through the models."""
    rt = runtime.build(settings_for(env))
    try:
        async with session_scope(rt.sessions) as session:
            return {
                "posts": list((await session.scalars(select(Post))).all()),
                "comments": list((await session.scalars(select(Comment))).all()),
                "reactions": list((await session.scalars(select(Reaction))).all()),
                "tags": list((await session.scalars(select(Tag))).all()),
                "post_tags": list((await session.scalars(select(PostTag))).all()),
                "categories": list((await session.scalars(select(Category))).all()),
                "base_url": rt.settings.base_url,
            }
    finally:
        await rt.close()


def assert_counters_exact(data: dict[str, Any]) -> None:
    posts = {p.id: p for p in data["posts"]}
    comments = {c.id: c for c in data["comments"]}
    live_comments = Counter(c.post_id for c in comments.values() if c.deleted_at is None)
    replies = Counter(c.parent_id for c in comments.values() if c.parent_id)
    on_posts = Counter(r.post_id for r in data["reactions"] if r.post_id)
    on_comments = Counter(r.comment_id for r in data["reactions"] if r.comment_id)
    for post in posts.values():
        assert post.comment_count == live_comments[post.id]
        assert post.reaction_count == on_posts[post.id]
    for comment in comments.values():
        assert comment.reaction_count == on_comments[comment.id]
        assert comment.reply_count == replies[comment.id]
    counted = Counter(
        pt.tag_id
        for pt in data["post_tags"]
        if posts[pt.post_id].status == PostStatus.PUBLISHED and posts[pt.post_id].deleted_at is None
    )
    for tag in data["tags"]:
        assert tag.usage_count == counted[tag.id], tag.slug


def test_seeds_realistic_content_with_exact_counters(sparkle: Invoke, env: Env) -> None:
    result = sparkle(
        "seed-demo", "--users", "8", "--posts", "40", "--comments", "150",
        "--reactions", "300", "--long-thread", "30", "--seed", "7",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Added 40 post(s), 150 comment(s) and 300 reaction(s)" in result.output
    for phase in ("Users", "Posts", "Comments", "Post reactions", "Comment reactions"):
        assert phase in result.output
    data = run_async(snapshot(env))
    posts = {p.id: p for p in data["posts"]}
    assert (len(posts), len(data["comments"]), len(data["reactions"])) == (40, 150, 300)

    # Documents pass the editor's validator and carry what it derives from them.
    now = utcnow()
    for post in posts.values():
        doc = content.parse(post.content, media_origin=data["base_url"])
        assert post.content_html == doc.html and post.content_text == doc.text
        assert post.reading_time == doc.reading_time and post.excerpt
        assert re.fullmatch(r"[\w-]+-[a-z0-9]{6}", post.slug)
        if post.status == PostStatus.DRAFT:
            assert post.published_at is None
        else:
            assert now - timedelta(days=60) <= post.published_at <= now
    assert len({p.slug for p in posts.values()}) == 40
    kinds = {node["type"] for p in posts.values() for node in p.content["content"]}
    assert {"paragraph", "heading", "bulletList"} <= kinds

    # Tags: at most five a post; categories: a hierarchy, used by posts.
    per_post = Counter(pt.post_id for pt in data["post_tags"])
    assert max(per_post.values()) <= 5
    categories = {c.id: c for c in data["categories"]}
    assert any(c.parent_id in categories for c in categories.values())
    assert {p.category_id for p in posts.values()} - {None} <= set(categories)

    # Threads: replies stay on their parent's post, one level deeper (at most 3), and later.
    comments = {c.id: c for c in data["comments"]}
    assert any(c.parent_id for c in comments.values())
    for comment in comments.values():
        assert posts[comment.post_id].status == PostStatus.PUBLISHED
        parent = comments.get(comment.parent_id) if comment.parent_id else None
        if parent is None:
            assert comment.parent_id is None and comment.depth == 0
        else:
            assert parent.post_id == comment.post_id and comment.depth == parent.depth + 1
            assert comment.created_at >= parent.created_at
        assert comment.depth <= 3 and comment.content.strip()

    # The long thread: the newest published post, exactly 30 comments.
    slug = re.search(r"Long thread: (\S+)", result.output).group(1)  # type: ignore[union-attr]
    hot = next(p for p in posts.values() if p.slug == slug)
    assert hot.comment_count == 30
    reactions = data["reactions"]
    assert all((r.post_id is None) != (r.comment_id is None) and r.reaction_type for r in reactions)
    assert all(posts[r.post_id].status == PostStatus.PUBLISHED for r in reactions if r.post_id)
    assert_counters_exact(data)


def test_a_rerun_adds_content_on_top(sparkle: Invoke, env: Env) -> None:
    first = sparkle(
        "seed-demo", "--users", "6", "--posts", "20", "--comments", "60", "--reactions", "120"
    )
    assert first.exit_code == 0, first.output
    categories = len(run_async(snapshot(env))["categories"])

    again = sparkle(
        "seed-demo", "--users", "6", "--posts", "10", "--comments", "40", "--reactions", "80"
    )
    assert again.exit_code == 0, again.output
    assert "Created 0 demo user(s); skipped 6" in again.output
    data = run_async(snapshot(env))
    assert (len(data["posts"]), len(data["comments"])) == (30, 100)
    assert len(data["reactions"]) == 200
    assert len({p.slug for p in data["posts"]}) == 30
    assert len(data["categories"]) == categories  # the hierarchy is created once
    assert_counters_exact(data)


def test_comments_and_reactions_on_existing_posts(sparkle: Invoke, env: Env) -> None:
    assert sparkle("seed-demo", "--users", "5", "--posts", "12").exit_code == 0
    result = sparkle("seed-demo", "--users", "0", "--comments", "25", "--reactions", "40")
    assert result.exit_code == 0, result.output
    again = sparkle("seed-demo", "--users", "0", "--reactions", "40")
    assert again.exit_code == 0, again.output
    data = run_async(snapshot(env))
    assert (len(data["posts"]), len(data["comments"])) == (12, 25)
    # Reactions an earlier run made are not repeated (the unique constraint holds them off).
    assert 40 < len(data["reactions"]) <= 80
    assert_counters_exact(data)


def test_content_needs_users(sparkle: Invoke) -> None:
    result = sparkle("seed-demo", "--users", "0", "--posts", "5")
    assert result.exit_code == 0, result.output
    assert "Nothing to add content to" in result.output
