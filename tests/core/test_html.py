"""Image URLs are checked on their decoded form: an encoded dot segment or control character
is refused wherever a member may give an image URL."""

from __future__ import annotations

import pytest

from sparkle.core.html import is_safe_image

ORIGIN = "https://sparkle.example"


class TestIsSafeImage:
    @pytest.mark.parametrize(
        "url",
        [
            "/media/post/u/f/original.png",
            "/media/private/post/u/f/original.png?exp=1&sig=ab",
            f"{ORIGIN}/media/avatar/u/f/small.webp",
            "https://images.example/a%20b.png",
            "https://images.example/x.png?size=2",
        ],
    )
    def test_accepted(self, url: str) -> None:
        assert is_safe_image(url, ORIGIN)

    @pytest.mark.parametrize(
        "url",
        [
            "/media/%2e%2e/private/u/f/original.png",
            "/media/post/%2E%2E/private/u/f/original.png",
            "/media/post/..%2fprivate/u/f/original.png",
            "/media/post/%252e%252e/private/x.png",
            "/media/post/%25252e%25252e%25252fprivate/x.png",
            "/media/post/%c0%ae%c0%ae/private/x.png",
            "/media/post/a%00.png",
            "/media/post/a%5c..%5cx.png",
            f"{ORIGIN}/media/%2e%2e/private/x.png",
            "/media/post/../private/x.png",
            "https://images.example/%2e%2e/x.png",
            "https://images.example/a%0a.png",
            "http://images.example/x.png",
            "javascript:alert(1)",
            "/other/x.png",
        ],
    )
    def test_refused(self, url: str) -> None:
        assert not is_safe_image(url, ORIGIN)


class TestProfileImages:
    async def test_encoded_traversal_in_an_avatar_is_a_400(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        for url in ("/media/%2e%2e/private/a/b/original.png", "/media/post/..%2fprivate/x.png"):
            r = await client.patch(
                "/api/users/me/profile", json={"avatarUrl": url}, headers=owner.headers
            )
            assert r.status_code == 400, (url, r.text)
            assert [e["field"] for e in r.json()["errors"]] == ["avatarUrl"]
