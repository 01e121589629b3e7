"""Searching posts: weighted ranking, query syntax, snippets, typo tolerance, visibility,
index upkeep and paging — the same contract on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sparkle.core.db import utcnow
from sparkle.posts.models import PostStatus
from sparkle.search import postgres
from tests.search.helpers import (
    delete_user,
    make_post,
    make_user,
    search,
    titles,
    update_post,
    walk,
)


class TestRanking:
    async def test_title_match_beats_excerpt_beats_body(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Glitter guide", body="How to care for a nebula telescope.")
        await make_post(rt, owner.user, "Nebula nights", body="Stars over the hills.")
        await make_post(
            rt, owner.user, "Field notes", excerpt="A nebula seen from the roof", body="Cold night."
        )
        body = await search(client, "nebula")
        assert [i["title"] for i in body["items"]] == [
            "Nebula nights",
            "Field notes",
            "Glitter guide",
        ]
        ranks = [i["rank"] for i in body["items"]]
        assert ranks == sorted(ranks, reverse=True) and ranks[-1] > 0

    async def test_result_shape(self, client: httpx.AsyncClient, rt, owner) -> None:
        post = await make_post(
            rt, owner.user, "Sparkle meetup", excerpt="See you there", body="Meetup at noon."
        )
        body = await search(client, "meetup")
        assert body["query"] == "meetup" and body["type"] == "posts" and body["nextCursor"] is None
        [item] = body["items"]
        assert item["id"] == str(post.id) and item["slug"] == post.slug
        assert item["title"] == "Sparkle meetup" and item["excerpt"] == "See you there"
        assert item["author"] == {
            "username": "owner_user",
            "displayName": "owner_user",
            "avatarUrl": None,
        }
        assert item["publishedAt"] is not None and isinstance(item["rank"], float)
        assert "<mark>" in item["snippet"]

    async def test_words_are_stemmed(self, client: httpx.AsyncClient, rt, owner) -> None:
        await make_post(rt, owner.user, "Morning routine", body="She was running along the river.")
        assert await titles(client, "runs") == ["Morning routine"]

    async def test_whitespace_is_normalised_in_the_echoed_query(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await search(client, "  sparkle \t  universe "))["query"] == "sparkle universe"


class TestSyntax:
    async def test_quoted_phrase(self, client: httpx.AsyncClient, rt, owner) -> None:
        await make_post(rt, owner.user, "Night sky", body="The purple comet crossed the sky.")
        await make_post(rt, owner.user, "Comet colours", body="A comet that looked purple to some.")
        assert await titles(client, '"purple comet"') == ["Night sky"]
        assert sorted(await titles(client, "purple comet")) == ["Comet colours", "Night sky"]

    async def test_exclusion_and_or(self, client: httpx.AsyncClient, rt, owner) -> None:
        await make_post(rt, owner.user, "Baking bread", body="Flour, water and yeast.")
        await make_post(rt, owner.user, "Baking cakes", body="Flour, sugar and eggs.")
        await make_post(rt, owner.user, "Painting", body="Water colours on paper.")
        assert await titles(client, "flour -yeast") == ["Baking cakes"]
        assert sorted(await titles(client, "yeast or paper")) == ["Baking bread", "Painting"]

    async def test_search_syntax_of_the_engine_is_only_text(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Column title", body="near the end")
        for q in [
            "title:column",
            "NEAR(near end)",
            '"unbalanced',
            "a AND",
            "*",
            "^near",
            "(",
            "-",
            "OR",
            "- -x",
            "'; DROP TABLE posts; --",
            "\\",
            '""',
        ]:
            await search(client, q)
        assert await titles(client, "title:column") == ["Column title"]


class TestSnippets:
    async def test_matches_are_marked_and_html_is_escaped(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        body = (
            'Intro <script>alert("x")</script> the sparkle begins '
            "<img src=x onerror=alert(1)> & more."
        )
        await make_post(rt, owner.user, "Safe snippets", body=body)
        [item] = (await search(client, "sparkle"))["items"]
        snippet = item["snippet"]
        assert "<mark>sparkle</mark>" in snippet
        # PostgreSQL's parser drops what it reads as tags; whatever is kept is escaped.
        assert "&lt;img" in snippet and "&amp;" in snippet
        assert "<script" not in snippet and "<img" not in snippet
        assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0

    async def test_delimiter_characters_in_content_cannot_forge_markup(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(
            rt, owner.user, "Control characters", body="odd \x02<b>bold</b>\x03 sparkle text"
        )
        [item] = (await search(client, "sparkle"))["items"]
        stripped = item["snippet"].replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and "<b>" not in item["snippet"]

    async def test_excerpt_is_the_snippet_when_there_is_no_body(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Short one", excerpt="Only a glowing excerpt")
        [item] = (await search(client, "glowing"))["items"]
        assert "<mark>glowing</mark>" in item["snippet"]


class TestTypos:
    async def test_misspelt_word_finds_the_title(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Sparkle Universe launch party", body="Join us.")
        await make_post(rt, owner.user, "Gardening", body="Tomatoes.")
        body = await search(client, "sparkel")
        assert [i["title"] for i in body["items"]] == ["Sparkle Universe launch party"]
        assert (
            "<mark>" not in body["items"][0]["snippet"]
            and body["items"][0]["snippet"] == "Join us."
        )

    async def test_similar_titles_follow_full_text_matches(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Sparkle tips", body="Shine.")
        await make_post(rt, owner.user, "Notes", body="About the sparkel typo.")
        assert await titles(client, "sparkel") == ["Notes", "Sparkle tips"]

    async def test_no_similar_titles_when_full_text_finds_enough(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        for n in range(5):
            await make_post(rt, owner.user, f"Sparkle diary {n}", body="sparkel")
        await make_post(rt, owner.user, "Sparkle tips", body="Shine.")
        found = await titles(client, "sparkel")
        assert len(found) == 5 and "Sparkle tips" not in found


class TestVisibility:
    async def test_only_published_live_posts_of_live_authors(
        self, client: httpx.AsyncClient, rt, owner, make_account
    ) -> None:
        gone = await make_account(username="gone_author")
        await make_post(rt, owner.user, "Aurora published", body="aurora")
        await make_post(rt, owner.user, "Aurora draft", body="aurora", status=PostStatus.DRAFT)
        await make_post(
            rt, owner.user, "Aurora archived", body="aurora", status=PostStatus.ARCHIVED
        )
        await make_post(rt, owner.user, "Aurora removed", body="aurora", status=PostStatus.REMOVED)
        await make_post(rt, owner.user, "Aurora deleted", body="aurora", deleted=True)
        await make_post(rt, gone.user, "Aurora orphan", body="aurora")
        await delete_user(rt, gone.user.id)
        assert await titles(client, "aurora") == ["Aurora published"]
        # Nor through typo tolerance, nor with the viewer signed in as the author.
        assert await titles(client, "aurorra") == ["Aurora published"]
        client.headers.update(owner.headers)
        assert await titles(client, "aurora") == ["Aurora published"]


class TestIndexUpkeep:
    async def test_edits_publishing_and_deletion_are_reflected(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        post = await make_post(
            rt, owner.user, "Original headline", body="plain words", status=PostStatus.DRAFT
        )
        assert await titles(client, "headline") == []
        await update_post(rt, post.id, status=PostStatus.PUBLISHED.value, published_at=utcnow())
        assert await titles(client, "headline") == ["Original headline"]
        await update_post(rt, post.id, title="Renamed moonlight story")
        assert await titles(client, "headline") == []
        assert await titles(client, "moonlight") == ["Renamed moonlight story"]
        assert await titles(client, "mooonlight") == ["Renamed moonlight story"]
        await update_post(rt, post.id, content_text="fresh wording", excerpt="an excerpt")
        assert await titles(client, "plain") == [] and await titles(client, "fresh") == [
            "Renamed moonlight story"
        ]
        await update_post(rt, post.id, view_count=7)
        assert await titles(client, "excerpt") == ["Renamed moonlight story"]
        await update_post(rt, post.id, deleted_at=utcnow())
        assert await titles(client, "moonlight") == [] and await titles(client, "mooonlight") == []


class TestPaging:
    async def test_pages_cover_every_match_once_in_rank_order(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        for n in range(7):
            await make_post(rt, owner.user, f"Comet {n}", body="comet " * n)
        pages = await walk(client, "comet", limit=3)
        assert [len(p) for p in pages] == [3, 3, 1]
        items = [i for p in pages for i in p]
        assert len({i["id"] for i in items}) == 7
        first = await search(client, "comet", limit=7)
        assert [i["id"] for i in items] == [i["id"] for i in first["items"]]

    async def test_pages_run_from_full_text_into_similar_titles(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        await make_post(rt, owner.user, "Diary", body="my sparkel notes")
        await make_post(rt, owner.user, "Log", body="another sparkel entry")
        for n in range(3):
            await make_post(rt, owner.user, f"Sparkle story {n}", body="Nothing here.")
        pages = await walk(client, "sparkel", limit=2)
        assert [len(p) for p in pages] == [2, 2, 1]
        found = [i["title"] for p in pages for i in p]
        assert sorted(found[:2]) == ["Diary", "Log"]
        assert sorted(found[2:]) == ["Sparkle story 0", "Sparkle story 1", "Sparkle story 2"]

    async def test_a_common_word_ranks_only_its_newest_matches(
        self,
        client: httpx.AsyncClient,
        rt,
        owner,
        engine: AsyncEngine,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        if engine.dialect.name != "postgresql":
            pytest.skip("the ranking cap is PostgreSQL's")
        monkeypatch.setattr(postgres, "RANKED_CANDIDATES", 3)
        now = utcnow()
        for n in range(5):
            # Older posts mention the word more often, so they would rank higher uncapped.
            post = await make_post(rt, owner.user, f"Nova {n}", body="nova " * (n + 1))
            await update_post(rt, post.id, published_at=now - timedelta(days=n))
        pages = await walk(client, "nova", limit=2)
        assert [len(p) for p in pages] == [2, 1]
        assert [i["title"] for p in pages for i in p] == ["Nova 2", "Nova 1", "Nova 0"]

    async def test_a_cursor_only_continues_its_own_search(
        self, client: httpx.AsyncClient, rt, owner
    ) -> None:
        for n in range(3):
            await make_post(rt, owner.user, f"Galaxy {n}", body="galaxy")
        cursor = (await search(client, "galaxy", limit=1))["nextCursor"]
        resp = await client.get("/api/search", params={"q": "comet", "cursor": cursor})
        assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "cursor"
        resp = await client.get(
            "/api/search", params={"q": "galaxy", "type": "users", "cursor": cursor}
        )
        assert resp.status_code == 400


async def test_private_profiles_still_author_searchable_posts(
    client: httpx.AsyncClient, rt
) -> None:
    author = await make_user(rt, "quiet_one", "Quiet One", public=False)
    await make_post(rt, author, "Whisper", body="hello")
    [item] = (await search(client, "whisper"))["items"]
    assert item["author"]["displayName"] == "Quiet One"
