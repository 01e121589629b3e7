"""Searching users (username and display name) and tags: prefix and trigram similarity,
typo tolerance, paging, and who may be found."""

from __future__ import annotations

import httpx

from tests.search.helpers import delete_user, make_tag, make_user, search, walk


async def usernames(client: httpx.AsyncClient, q: str) -> list[str]:
    return [i["username"] for i in (await search(client, q, "users"))["items"]]


async def tag_names(client: httpx.AsyncClient, q: str) -> list[str]:
    return [i["name"] for i in (await search(client, q, "tags"))["items"]]


class TestUsers:
    async def test_exact_then_prefix_then_similar(self, client: httpx.AsyncClient, rt) -> None:
        await make_user(rt, "lunaverse")
        await make_user(rt, "luna")
        await make_user(rt, "lunar_lady")
        await make_user(rt, "solstice")
        found = await usernames(client, "luna")
        assert found[0] == "luna"
        assert set(found) == {"luna", "lunaverse", "lunar_lady"}

    async def test_item_shape(self, client: httpx.AsyncClient, rt) -> None:
        user = await make_user(rt, "stargazer", "Star Gazer")
        body = await search(client, "stargazer", "users")
        assert body["type"] == "users"
        assert body["items"] == [
            {
                "id": str(user.id),
                "username": "stargazer",
                "displayName": "Star Gazer",
                "avatarUrl": None,
            }
        ]

    async def test_typo_in_username(self, client: httpx.AsyncClient, rt) -> None:
        await make_user(rt, "sparklefan")
        await make_user(rt, "gardener")
        assert await usernames(client, "sparkelfan") == ["sparklefan"]

    async def test_by_display_name_with_a_typo(self, client: httpx.AsyncClient, rt) -> None:
        await make_user(rt, "user_4711", "Celestine Moonwhisper")
        assert await usernames(client, "moonwhisper") == ["user_4711"]
        assert await usernames(client, "Moonwhispr") == ["user_4711"]
        assert await usernames(client, "celest") == ["user_4711"]

    async def test_private_profiles_are_found_deleted_users_are_not(
        self, client: httpx.AsyncClient, rt
    ) -> None:
        await make_user(rt, "hidden_comet", "Hidden Comet", public=False)
        gone = await make_user(rt, "gone_comet", "Gone Comet")
        await delete_user(rt, gone.id)
        assert await usernames(client, "comet") == ["hidden_comet"]
        assert "gone_comet" not in await usernames(client, "gone_comet")

    async def test_like_wildcards_are_plain_characters(self, client: httpx.AsyncClient, rt) -> None:
        await make_user(rt, "xyzqwe")
        assert await usernames(client, "%qwe") == []
        assert await usernames(client, "xyz") == ["xyzqwe"]

    async def test_paging(self, client: httpx.AsyncClient, rt) -> None:
        for n in range(5):
            await make_user(rt, f"nova{n}")
        pages = await walk(client, "nova", "users", limit=2)
        assert [len(p) for p in pages] == [2, 2, 1]
        assert sorted(i["username"] for p in pages for i in p) == [f"nova{n}" for n in range(5)]


class TestTags:
    async def test_prefix_and_typo(self, client: httpx.AsyncClient, rt) -> None:
        await make_tag(rt, "sparkle", usage_count=12)
        await make_tag(rt, "sparkles-fanart", usage_count=3)
        await make_tag(rt, "gardening")
        assert await tag_names(client, "sparkle") == ["sparkle", "sparkles-fanart"]
        assert (await tag_names(client, "sparkel"))[0] == "sparkle"
        assert await tag_names(client, "Gard") == ["gardening"]

    async def test_item_shape(self, client: httpx.AsyncClient, rt) -> None:
        await make_tag(rt, "aurora", usage_count=4)
        body = await search(client, "aurora", "tags")
        assert body["items"] == [{"name": "aurora", "slug": "aurora", "usageCount": 4}]

    async def test_paging(self, client: httpx.AsyncClient, rt) -> None:
        for n in range(3):
            await make_tag(rt, f"meteor{n}")
        pages = await walk(client, "meteor", "tags", limit=2)
        assert [len(p) for p in pages] == [2, 1]
        assert sorted(i["name"] for p in pages for i in p) == ["meteor0", "meteor1", "meteor2"]
