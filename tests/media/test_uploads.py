"""`POST /api/uploads` and reading, listing and deleting uploads, on both storage backends."""

from __future__ import annotations

import io

from PIL import Image

from tests.media import samples
from tests.media.conftest import all_keys, fetch, upload


class TestUpload:
    async def test_anonymous(self, client) -> None:  # type: ignore[no-untyped-def]
        r = await upload(client, {}, samples.jpeg())
        assert r.status_code == 401

    async def test_image_variants_and_blurhash(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        r = await upload(client, owner.headers, samples.jpeg(1600, 1200), filename="sunset.jpg")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["mimeType"] == "image/jpeg"
        assert body["fileType"] == "image"
        assert body["dimensions"] == {"width": 1600, "height": 1200}
        assert body["status"] == "ready"
        assert body["originalName"] == "sunset.jpg"
        assert set(body["variants"]) == {"thumbnail", "small", "medium", "large"}
        assert body["thumbnailUrl"] == body["variants"]["thumbnail"]
        # A real 4×3 blurhash: size flag 'K' ((4-1) + (3-1)*9 = 21 → 'L'), 28 characters.
        assert len(body["blurhash"]) == 4 + 2 * 4 * 3
        import blurhash

        assert blurhash.components(body["blurhash"]) == (4, 3)
        boxes = {"thumbnail": 150, "small": 320, "medium": 640, "large": 1280}
        for name, url in body["variants"].items():
            got = await fetch(client, url)
            assert got.status_code == 200
            im = Image.open(io.BytesIO(got.content))
            assert im.format == "WEBP"
            assert max(im.size) == boxes[name]
            assert abs(im.size[0] / im.size[1] - 4 / 3) < 0.02
        original = await fetch(client, body["url"])
        assert original.status_code == 200
        assert Image.open(io.BytesIO(original.content)).size == (1600, 1200)
        keys = await all_keys(store)
        assert len(keys) == 5
        assert all(k.startswith(f"post/{owner.id}/{body['id']}/") for k in keys)

    async def test_blurhash_decodes_to_the_image_colours(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        import blurhash

        r = await upload(
            client,
            owner.headers,
            samples.png(300, 200),
            filename="green.png",
            content_type="image/png",
        )
        assert r.status_code == 201, r.text
        pixels = blurhash.decode(r.json()["blurhash"], 4, 4)
        r_, g, b = pixels[2][2][:3]
        assert g > 150 and r_ < 60 and b < 130  # the sample is (10, 200, 90)

    async def test_small_image_is_never_enlarged(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client,
            owner.headers,
            samples.png(100, 80),
            filename="tiny.png",
            content_type="image/png",
        )
        assert r.status_code == 201, r.text
        body = r.json()
        urls = set(body["variants"].values())
        assert len(urls) == 1  # one 100×80 file serves every variant
        im = Image.open(io.BytesIO((await fetch(client, urls.pop())).content))
        assert im.size == (100, 80)
        assert len(await all_keys(store)) == 2

    async def test_png_keeps_alpha(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client,
            owner.headers,
            samples.png(400, 400, alpha=True),
            filename="a.png",
            content_type="image/png",
        )
        assert r.status_code == 201, r.text
        im = Image.open(io.BytesIO((await fetch(client, r.json()["variants"]["small"])).content))
        assert im.mode == "RGBA"

    async def test_animated_gif_keeps_frames(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client,
            owner.headers,
            samples.gif_animated(4),
            filename="anim.gif",
            content_type="image/gif",
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["animated"] is True
        original = Image.open(io.BytesIO((await fetch(client, body["url"])).content))
        assert original.format == "GIF" and original.n_frames == 4
        still = Image.open(io.BytesIO((await fetch(client, body["variants"]["thumbnail"])).content))
        assert getattr(still, "n_frames", 1) == 1 and still.size == (150, 150)

    async def test_same_file_twice_returns_the_existing_record(
        self, client, owner, other, store
    ) -> None:  # type: ignore[no-untyped-def]
        data = samples.jpeg(640, 480)
        first = await upload(client, owner.headers, data)
        again = await upload(client, owner.headers, data, filename="copy.jpg")
        assert first.status_code == 201 and again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        # Per user: another user's identical file is their own record.
        theirs = await upload(client, other.headers, data)
        assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
        assert len(await all_keys(store)) == 2 * 4  # 640×480: large = original size, shared

    async def test_private_file_urls_are_signed(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await upload(client, owner.headers, samples.jpeg(), is_public=False)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["cdnUrl"] is None and body["isPublic"] is False
        assert "/private/" in body["url"] or "private%2F" in body["url"]
        assert (await fetch(client, body["url"])).status_code == 200
        unsigned = body["url"].split("?")[0]
        assert (await fetch(client, unsigned)).status_code in (403, 404)


class TestExif:
    async def test_orientation_applied_and_gps_removed(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        data = samples.jpeg(800, 400, gps=True, orientation=6)
        assert Image.open(io.BytesIO(data)).getexif().get_ifd(samples.GPS_IFD)
        r = await upload(client, owner.headers, data)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["dimensions"] == {"width": 400, "height": 800}  # rotated 90°
        for url in [body["url"], *body["variants"].values()]:
            content = (await fetch(client, url)).content
            im = Image.open(io.BytesIO(content))
            exif = im.getexif()
            assert not exif.get_ifd(samples.GPS_IFD)
            assert 0x0112 not in exif and 0x010F not in exif
            assert b"SparkleCam" not in content
            assert im.size[1] > im.size[0]

    async def test_gps_removed_without_reencoding(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        data = samples.jpeg(800, 600, gps=True)
        r = await upload(client, owner.headers, data)
        assert r.status_code == 201, r.text
        content = (await fetch(client, r.json()["url"])).content
        im = Image.open(io.BytesIO(content))
        assert not im.getexif().get_ifd(samples.GPS_IFD)
        assert b"SparkleCam" not in content and b"Exif" not in content
        # The compressed image data is the same: only the metadata segment went.
        assert len(data) - len(content) < 400
        original = Image.open(io.BytesIO(data))
        assert im.tobytes() == original.tobytes()


class TestReadListDelete:
    async def test_read_owner_other_admin(self, client, owner, other, admin) -> None:  # type: ignore[no-untyped-def]
        file_id = (await upload(client, owner.headers, samples.jpeg())).json()["id"]
        assert (await client.get(f"/api/uploads/{file_id}")).status_code == 401
        assert (
            await client.get(f"/api/uploads/{file_id}", headers=other.headers)
        ).status_code == 404
        mine = await client.get(f"/api/uploads/{file_id}", headers=owner.headers)
        assert mine.status_code == 200 and mine.json()["id"] == file_id
        assert (
            await client.get(f"/api/uploads/{file_id}", headers=admin.headers)
        ).status_code == 200

    async def test_delete_removes_every_object(self, client, owner, other, admin, store) -> None:  # type: ignore[no-untyped-def]
        first = (await upload(client, owner.headers, samples.jpeg(1600, 1200))).json()
        second = (
            await upload(client, owner.headers, samples.jpeg(900, 900, color=(1, 2, 3)))
        ).json()
        assert (await client.delete(f"/api/uploads/{first['id']}")).status_code == 401
        assert (
            await client.delete(f"/api/uploads/{first['id']}", headers=other.headers)
        ).status_code == 404
        assert (
            await client.delete(f"/api/uploads/{first['id']}", headers=owner.headers)
        ).status_code == 204
        assert (
            await client.get(f"/api/uploads/{first['id']}", headers=owner.headers)
        ).status_code == 404
        keys = await all_keys(store)
        assert keys and not [k for k in keys if first["id"] in k]
        assert (await fetch(client, first["variants"]["large"])).status_code in (403, 404)
        assert (
            await client.delete(f"/api/uploads/{second['id']}", headers=admin.headers)
        ).status_code == 204
        assert await all_keys(store) == []

    async def test_list_own_with_cursor(self, client, owner, other) -> None:  # type: ignore[no-untyped-def]
        ids = []
        for i in range(3):
            r = await upload(
                client,
                owner.headers,
                samples.png(20 + i, 20),
                filename=f"{i}.png",
                content_type="image/png",
            )
            ids.append(r.json()["id"])
        await upload(
            client, other.headers, samples.png(50, 50), filename="x.png", content_type="image/png"
        )
        page = (await client.get("/api/uploads?limit=2", headers=owner.headers)).json()
        assert [i["id"] for i in page["items"]] == ids[::-1][:2]
        rest = (
            await client.get(
                f"/api/uploads?limit=2&cursor={page['nextCursor']}", headers=owner.headers
            )
        ).json()
        assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["nextCursor"] is None
        assert (await client.get("/api/uploads")).status_code == 401


class TestDocuments:
    async def test_pdf_stored_as_is_with_page_count(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        data = samples.pdf(3)
        r = await upload(
            client,
            owner.headers,
            data,
            filename="notes.pdf",
            content_type="application/pdf",
            category="document",
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["pages"] == 3 and body["fileType"] == "document" and body["variants"] == {}
        got = await fetch(client, body["url"])
        assert got.content == data

    async def test_docx(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        r = await upload(
            client,
            owner.headers,
            samples.docx(),
            filename="essay.docx",
            content_type=mime,
            category="document",
        )
        assert r.status_code == 201, r.text
        assert r.json()["mimeType"] == mime
