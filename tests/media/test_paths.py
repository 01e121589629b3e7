"""Media paths that are not plain keys: traversal in every encoding reaches neither private
files nor other members' unvalidated direct uploads, on the local directory and on S3."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx
import pytest

from sparkle.media.storage import check_key, valid_key
from tests.media import samples
from tests.media.conftest import upload

# Ways to write `..` followed by `/` in a request path. The server decodes the path once, so
# the first four arrive as a real `../`; the others arrive as something that is not a key.
DOT_DOT = [
    "%2e%2e/",
    "%2E%2E/",
    "..%2f",
    "%2e%2e%2f",
    "%c0%ae%c0%ae/",
    "%252e%252e/",
    "..%252f",
    "..%5c",
    "%2e%2e%5c",
    "..\\",
]


async def _private_key(client: httpx.AsyncClient, owner) -> str:  # type: ignore[no-untyped-def]
    body = (await upload(client, owner.headers, samples.jpeg(), is_public=False)).json()
    key = urlsplit(body["url"]).path
    # The local URL is /media/<key>, an S3 one /<bucket>/<key>.
    key = key.removeprefix("/media/") if key.startswith("/media/") else key.split("/", 2)[2]
    assert key.startswith("private/post/")
    return key


async def _incoming_key(client: httpx.AsyncClient, owner) -> str:  # type: ignore[no-untyped-def]
    data = samples.jpeg()
    body = {"filename": "a.jpg", "contentType": "image/jpeg", "size": len(data)}
    ticket = (
        await client.post(
            "/api/uploads/presign", json={**body, "category": "post"}, headers=owner.headers
        )
    ).json()
    url = ticket["uploadUrl"]
    headers = {"Content-Type": "image/jpeg"}
    if url.startswith("/"):
        assert (await client.put(url, content=data, headers=headers)).status_code == 200
    else:
        async with httpx.AsyncClient() as net:
            assert (await net.put(url, content=data, headers=headers)).status_code == 200
    return str(ticket["key"])


class TestLocalTraversal:
    @pytest.fixture
    def storage_backend(self) -> str:
        return "local"

    @pytest.mark.parametrize("dots", DOT_DOT)
    async def test_private_file_needs_its_signature(self, client, owner, dots) -> None:  # type: ignore[no-untyped-def]
        key = await _private_key(client, owner)
        assert (await client.get(f"/media/{key}")).status_code == 404
        r = await client.get(f"/media/post/{dots}{key}")
        assert r.status_code == 404, (dots, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        deeper = await client.get(f"/media/post/{owner.id}/{dots}{dots}{key}")
        assert deeper.status_code == 404

    @pytest.mark.parametrize("dots", DOT_DOT[:4])
    async def test_incoming_uploads_stay_unreachable(self, client, owner, other, dots) -> None:  # type: ignore[no-untyped-def]
        key = await _incoming_key(client, owner)
        for account in (None, other):
            headers = account.headers if account else {}
            r = await client.get(f"/media/post/{dots}{key}", headers=headers)
            assert r.status_code == 404

    async def test_a_private_key_keeps_working_with_its_signature(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        body = (await upload(client, owner.headers, samples.jpeg(), is_public=False)).json()
        assert (await client.get(body["url"])).status_code == 200
        # The signature of the private key does not open the same file through a detour.
        path, query = body["url"].split("?")
        detour = path.replace("/media/private/", "/media/post/%2e%2e/private/")
        assert (await client.get(f"{detour}?{query}")).status_code == 404

    @pytest.mark.parametrize(
        "path",
        ["/media/%00", "/media/post/%00/x.jpg", "/media/post/a%00.jpg", "/media/%5c", "/media/%2e"],
    )
    async def test_nul_and_backslash_are_a_clean_404(self, client, path) -> None:  # type: ignore[no-untyped-def]
        r = await client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"

    async def test_unfinished_writes_are_not_served(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        body = (await upload(client, owner.headers, samples.jpeg())).json()
        key = body["url"].removeprefix("/media/")
        folder, name = key.rsplit("/", 1)
        (store.root / folder / f".{name}.part").write_bytes(b"partial")
        assert (await client.get(f"/media/{folder}/.{name}.part")).status_code == 404

    async def test_signed_upload_refuses_a_detour(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        # Even a correctly signed URL never writes outside `incoming/`.
        key = f"incoming/{owner.id}/../../post/{owner.id}/f/original.jpg"
        url = await store.presign_upload(
            key, content_type="image/jpeg", size=3, user_id=str(owner.id), expires_in=60
        )
        url = url.replace(quote(key), quote(key, safe=""))  # the slashes arrive decoded
        r = await client.put(url, content=b"abc", headers={"Content-Type": "image/jpeg"})
        assert r.status_code == 403
        assert not (store.root / "post" / str(owner.id)).exists()


class TestBothBackends:
    """The rule lives in the storage layer: on S3 as well, no operation takes a key that is not
    a plain one, and the bucket does not hand out a private object through an encoded detour."""

    @pytest.mark.parametrize("dots", ["%2e%2e/", "..%2f", "%c0%ae%c0%ae/", "%252e%252e/"])
    async def test_media_route(self, client, owner, dots) -> None:  # type: ignore[no-untyped-def]
        key = await _private_key(client, owner)
        r = await client.get(f"/media/post/{dots}{key}")
        assert r.status_code == 404

    @pytest.mark.parametrize(
        "key",
        [
            "post/../private/a/b/original.png",
            "post/./a.png",
            "../a.png",
            "post/..\\private/a.png",
            "post\\a.png",
            "post/a\x00.png",
            "post/%2e%2e/a.png",
            "post/\ufffd\ufffd/a.png",
            "/post/a.png",
            "post//a.png",
            "post/a.png/",
            "",
        ],
    )
    async def test_storage_refuses_what_is_not_a_key(self, store, key) -> None:  # type: ignore[no-untyped-def]
        assert not valid_key(key)
        with pytest.raises(FileNotFoundError):
            check_key(key)
        with pytest.raises(FileNotFoundError):
            await store.read(key)
        with pytest.raises(FileNotFoundError):
            await store.put_bytes(key, b"x", "image/png")
        with pytest.raises(FileNotFoundError):
            await store.signed_url(key, 60)
        assert await store.size(key) is None

    async def test_keys_the_platform_writes_are_valid(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        await upload(client, owner.headers, samples.jpeg(), is_public=False)
        await upload(client, owner.headers, samples.jpeg())
        await _incoming_key(client, owner)
        keys = [obj.key async for obj in store.list()]
        assert len(keys) >= 7 and all(valid_key(k) for k in keys), keys


class TestS3Bucket:
    @pytest.fixture
    def storage_backend(self) -> str:
        return "s3"

    @pytest.mark.parametrize("dots", ["%2e%2e/", "..%2f", "%2e%2e%2f", "%c0%ae%c0%ae/"])
    async def test_no_private_object_by_a_detour(self, client, owner, store, dots) -> None:  # type: ignore[no-untyped-def]
        key = await _private_key(client, owner)
        detour = f"{store.endpoint}/{store.bucket}/post/{dots}{key}"
        async with httpx.AsyncClient() as net:
            assert (await net.get(f"{store.endpoint}/{store.bucket}/{key}")).status_code == 403
            r = await net.get(detour)
        assert r.status_code in (403, 404), (dots, r.status_code)
