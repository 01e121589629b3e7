"""Uploaded images used elsewhere: profile avatars and banners, post covers and images."""

from __future__ import annotations

import pytest

from tests.media import samples
from tests.media.conftest import upload


@pytest.fixture
def storage_backend() -> str:
    return "local"


async def test_profile_takes_an_uploaded_avatar(client, owner) -> None:  # type: ignore[no-untyped-def]
    body = (await upload(client, owner.headers, samples.jpeg(500, 500), category="avatar")).json()
    avatar = body["variants"]["small"]
    banner = (
        await upload(
            client, owner.headers, samples.jpeg(1600, 500, color=(5, 5, 5)), category="banner"
        )
    ).json()
    r = await client.patch(
        "/api/users/me/profile",
        json={"avatarUrl": avatar, "bannerUrl": banner["variants"]["large"]},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["avatarUrl"] == avatar
    public = (await client.get(f"/api/users/{owner.user.username}")).json()
    assert public["avatarUrl"] == avatar
    assert (await client.get(avatar)).status_code == 200


@pytest.mark.parametrize(
    "bad", ["/media/../secret", "javascript:alert(1)", "/etc/passwd", '/media/a b"c']
)
async def test_profile_refuses_other_paths(client, owner, bad) -> None:  # type: ignore[no-untyped-def]
    r = await client.patch("/api/users/me/profile", json={"avatarUrl": bad}, headers=owner.headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "avatarUrl"


async def test_post_cover_and_inline_image(client, owner) -> None:  # type: ignore[no-untyped-def]
    cover = (await upload(client, owner.headers, samples.jpeg(1400, 700), category="cover")).json()
    image = (
        await upload(
            client, owner.headers, samples.png(700, 300), filename="i.png", content_type="image/png"
        )
    ).json()
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Look:"}]},
            {"type": "image", "attrs": {"src": image["variants"]["large"], "alt": "glitter"}},
        ],
    }
    r = await client.post(
        "/api/posts",
        json={
            "title": "With pictures",
            "content": doc,
            "coverImage": cover["variants"]["large"],
            "status": "PUBLISHED",
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert post["coverImage"] == cover["variants"]["large"]
    assert f'src="{image["variants"]["large"]}"' in post["contentHtml"]
