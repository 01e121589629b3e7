"""What is refused: types sniffed from the bytes (415), sizes, pixels and quota (413) — and
that a refused upload leaves nothing behind. Storage-independent: local backend only."""

from __future__ import annotations

import pytest

from tests.media import samples
from tests.media.conftest import all_keys, upload


@pytest.fixture
def storage_backend() -> str:
    return "local"


@pytest.fixture
def media_settings() -> dict[str, object]:
    return {
        "MEDIA_CATEGORY_MAX_BYTES": {"avatar": 60_000, "banner": 60_000},
        "MEDIA_MAX_PIXELS": 4_000_000,
        "MEDIA_USER_QUOTA_BYTES": 400_000,
    }


def temp_files(settings) -> list[str]:  # type: ignore[no-untyped-def]
    tmp = settings.media_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


class TestTypes:
    @pytest.mark.parametrize(
        ("data", "filename", "declared", "category", "message"),
        [
            (
                samples.png(),
                "photo.png",
                "image/jpeg",
                "post",
                "sent as image/jpeg but its content is image/png",
            ),
            (
                samples.png(),
                "photo.jpg",
                "image/png",
                "post",
                "name ends in .jpg but its content is image/png",
            ),
            (samples.EXE, "cute-cat.jpg", "image/jpeg", "post", "Executable"),
            (samples.SVG, "logo.svg", "image/svg+xml", "post", "SVG"),
            (samples.SVG, "logo.png", "image/png", "post", "SVG"),
            (b"just some words\n" * 20, "notes.txt", "text/plain", "document", "text/plain"),
            (samples.pdf(), "cv.pdf", "application/pdf", "avatar", "avatar uploads accept image"),
            (samples.zip_bytes(), "a.zip", "application/zip", "message", "not accepted"),
        ],
        ids=["declared", "extension", "exe", "svg", "svg-renamed", "text", "category", "zip"],
    )
    async def test_refused(
        self, client, owner, store, settings, data, filename, declared, category, message
    ) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client, owner.headers, data, filename=filename, content_type=declared, category=category
        )
        assert r.status_code == 415, r.text
        problem = r.json()
        assert problem["code"] == "unsupported_media_type"
        assert message in problem["detail"]
        assert problem["errors"][0]["field"] == "file"
        assert await all_keys(store) == []
        assert temp_files(settings) == []

    @pytest.mark.parametrize(
        ("data", "filename", "declared"),
        [
            (samples.jpeg(200, 200) + samples.zip_bytes(), "a.jpg", "image/jpeg"),
            (
                samples.gif_animated(2) + b"<script>alert(document.cookie)</script>",
                "a.gif",
                "image/gif",
            ),
            (b"GIF89a" + b"\x00" * 10 + b"<html><body>hello</body></html>", "b.gif", "image/gif"),
            (
                samples.pdf().replace(
                    b"/Type /Catalog",
                    b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
                ),
                "x.pdf",
                "application/pdf",
            ),
        ],
        ids=["jpeg+zip", "gif+script", "gif-html", "pdf-js"],
    )
    async def test_polyglots_refused(self, client, owner, store, data, filename, declared) -> None:  # type: ignore[no-untyped-def]
        category = "document" if filename.endswith(".pdf") else "post"
        r = await upload(
            client, owner.headers, data, filename=filename, content_type=declared, category=category
        )
        assert r.status_code == 415, r.text
        assert await all_keys(store) == []

    async def test_undeclared_type_is_sniffed(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client,
            owner.headers,
            samples.png(),
            filename="blob",
            content_type="application/octet-stream",
        )
        assert r.status_code == 201, r.text
        assert r.json()["mimeType"] == "image/png"

    async def test_corrupt_image(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        data = samples.jpeg(400, 300)[:600]
        r = await upload(client, owner.headers, data)
        assert r.status_code == 415, r.text
        assert await all_keys(store) == []

    async def test_unknown_category(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client,
            owner.headers,
            samples.png(),
            filename="a.png",
            content_type="image/png",
            category="wallpaper",
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "category"


class TestSizes:
    async def test_category_limit(self, client, owner, store, settings) -> None:  # type: ignore[no-untyped-def]
        big = samples.jpeg(1200, 900, quality=100)
        assert len(big) > 60_000
        r = await upload(client, owner.headers, big, category="avatar")
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "file_too_large"
        assert r.json()["maxBytes"] == 60_000
        assert temp_files(settings) == [] and await all_keys(store) == []
        # The same file is fine where the default limit applies.
        assert (await upload(client, owner.headers, big, category="post")).status_code == 201

    async def test_refused_before_the_whole_body_is_read(self, client, owner, settings) -> None:  # type: ignore[no-untyped-def]
        """The body is streamed: the 413 comes once the limit is crossed, not at the end."""
        boundary = "sparkleboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\navatar\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        sent = 0
        total_chunks = 400  # 400 × 16 KB = 6.4 MB

        async def body():  # type: ignore[no-untyped-def]
            nonlocal sent
            yield head
            for _ in range(total_chunks):
                sent += 1
                yield b"\xff" * 16384
            yield f"\r\n--{boundary}--\r\n".encode()

        r = await client.post(
            "/api/uploads",
            content=body(),
            headers={**owner.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 413
        assert sent < 10  # 60 KB limit: a handful of chunks, not 6.4 MB
        assert temp_files(settings) == []

    async def test_declared_length_over_the_upload_limit(self, client, owner, settings) -> None:  # type: ignore[no-untyped-def]
        limit = 50 * 1024 * 1024 + 64 * 1024
        r = await client.post(
            "/api/uploads",
            content=b"x",
            headers={
                **owner.headers,
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(limit + 1),
            },
        )
        assert r.status_code == 413

    async def test_other_routes_keep_the_global_limit(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await client.patch(
            "/api/users/me/profile",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={**owner.headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 413

    async def test_decompression_bomb(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        # 2,500 × 2,000 = 5 MP > the 4 MP configured here; a flat PNG compresses to a few KB.
        data = samples.png(2500, 2000)
        assert len(data) < 60_000
        r = await upload(client, owner.headers, data, filename="bomb.png", content_type="image/png")
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "image_too_large"
        assert await all_keys(store) == []

    async def test_quota(self, client, owner, other, store) -> None:  # type: ignore[no-untyped-def]
        first = samples.jpeg(1000, 800, quality=95)
        second = samples.jpeg(1000, 800, quality=96)
        assert len(first) + len(second) > 200_000 and len(first) < 200_000
        assert (await upload(client, owner.headers, first)).status_code == 201
        third = samples.jpeg(1000, 800, quality=97, color=(9, 9, 9))
        total = len(first)
        extra = [second, third]
        statuses = []
        for data in extra:
            r = await upload(client, owner.headers, data)
            statuses.append(r.status_code)
            if r.status_code == 201:
                total += len(data)
            else:
                assert r.status_code == 413
                body = r.json()
                assert body["code"] == "quota_exceeded"
                assert body["remainingQuota"] == 400_000 - total
                assert body["quota"] == 400_000
        assert 413 in statuses
        # Someone else's quota is their own.
        assert (await upload(client, other.headers, third)).status_code == 201
