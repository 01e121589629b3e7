"""Rebuilding the search index: what a lost index held is found again, nothing more."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from sparkle.posts.models import PostStatus
from sparkle.search import maintenance
from tests.search.helpers import make_post, make_tag, make_user, search


async def _reindex(rt: Runtime) -> dict[str, int]:
    async with session_scope(rt.sessions) as db:
        return {item.index: item.rows for item in await maintenance.reindex(db)}


async def test_reindex_restores_a_lost_index(client: httpx.AsyncClient, rt: Runtime) -> None:
    author = await make_user(rt, "glitter_author", "Glitter Author")
    await make_post(rt, author, "Holographic nail art")
    await make_post(rt, author, "Holographic draft", status=PostStatus.DRAFT)
    await make_post(rt, author, "Holographic removed", deleted=True)
    await make_tag(rt, "holographic")
    sqlite = rt.engine.dialect.name == "sqlite"
    if sqlite:  # what a rowid renumbering does to an external-content index
        async with session_scope(rt.sessions) as db:
            for fts in (
                "search_posts",
                "search_post_titles",
                "search_usernames",
                "search_tag_names",
            ):
                await db.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))
        assert (await search(client, "holographic"))["items"] == []

    rows = await _reindex(rt)

    assert rows["search_posts" if sqlite else "ix_posts_search_vector"] == (1 if sqlite else 3)
    titles = [item["title"] for item in (await search(client, "holographic"))["items"]]
    assert titles == ["Holographic nail art"]
    assert [i["username"] for i in (await search(client, "glitter_autor", "users"))["items"]] == [
        "glitter_author"
    ]
    assert [i["name"] for i in (await search(client, "holografic", "tags"))["items"]] == [
        "holographic"
    ]


async def test_reindex_twice_is_harmless(client: httpx.AsyncClient, rt: Runtime) -> None:
    author = await make_user(rt, "twice_author")
    await make_post(rt, author, "Sparkle tutorial")
    await _reindex(rt)
    await _reindex(rt)
    assert len((await search(client, "tutorial"))["items"]) == 1
