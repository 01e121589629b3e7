"""Serving local files, failure injection (nothing half stored), the cleanup job and the
video pipeline."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import pytest

from sparkle.core import jobs
from sparkle.core.db import utcnow
from sparkle.media import service
from sparkle.media.models import MediaFile
from tests.media import samples
from tests.media.conftest import all_keys, fetch, upload


class TestLocalServing:
    @pytest.fixture
    def storage_backend(self) -> str:
        return "local"

    async def test_headers(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        body = (await upload(client, owner.headers, samples.jpeg(400, 300))).json()
        assert body["url"].startswith("/media/post/")
        r = await client.get(body["url"])
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]
        variant = await client.get(body["variants"]["small"])
        assert variant.headers["content-type"] == "image/webp"

    async def test_documents_are_attachments(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        body = (
            await upload(
                client,
                owner.headers,
                samples.pdf(),
                filename="a.pdf",
                content_type="application/pdf",
                category="document",
            )
        ).json()
        r = await client.get(body["url"])
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("attachment")

    async def test_private_needs_a_fresh_signature(self, client, owner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        body = (await upload(client, owner.headers, samples.jpeg(), is_public=False)).json()
        signed = await client.get(body["url"])
        assert signed.status_code == 200 and signed.headers["cache-control"].startswith("private")
        assert (await client.get(body["url"].split("?")[0])).status_code == 404
        assert (await client.get(body["url"].replace("sig=", "sig=f"))).status_code == 404
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 301)
        assert (await client.get(body["url"])).status_code == 404

    async def test_no_path_escape_or_incoming(self, client, owner, settings) -> None:  # type: ignore[no-untyped-def]
        (settings.media_dir / "secret.txt").write_text("x")
        assert (await client.get("/media/../secret.txt")).status_code == 404
        assert (await client.get("/media/%2e%2e/secret.txt")).status_code == 404
        assert (await client.get("/media/incoming/x/y/upload")).status_code == 404
        assert (await client.get("/media/post/nothing.jpg")).status_code == 404


class FailingStorage:
    """Wraps a storage and fails the n-th write."""

    def __init__(self, inner, fail_on: int) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.fail_on = fail_on
        self.puts = 0

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    async def _count(self) -> None:
        self.puts += 1
        if self.puts == self.fail_on:
            raise OSError("injected storage failure")

    async def put_bytes(self, key, data, content_type) -> None:  # type: ignore[no-untyped-def]
        await self._count()
        await self.inner.put_bytes(key, data, content_type)

    async def put_file(self, key, path, content_type) -> None:  # type: ignore[no-untyped-def]
        await self._count()
        await self.inner.put_file(key, path, content_type)


class TestNothingLeftBehind:
    async def test_storage_failure_after_the_second_variant(
        self, client, owner, rt, db, store, settings
    ) -> None:  # type: ignore[no-untyped-def]
        failing = FailingStorage(store, fail_on=3)
        rt.extras["media.storage"] = failing
        r = await upload(client, owner.headers, samples.jpeg(1400, 1000))
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "storage_unavailable"
        assert failing.puts == 3  # two variants stored, the third failed
        assert await all_keys(store) == []
        assert (await db.scalars(MediaFile.__table__.select())).all() == []
        assert list((settings.media_dir / "tmp").iterdir()) == []
        # The same file goes through once storage is back.
        rt.extras["media.storage"] = store
        assert (await upload(client, owner.headers, samples.jpeg(1400, 1000))).status_code == 201


class TestCleanup:
    async def test_cron_registered(self) -> None:
        schedule = [s for s in jobs.SCHEDULES if s.name == "media.cleanup"]
        assert schedule and schedule[0].cron == "0 * * * *"
        assert jobs.REGISTRY["media.cleanup"].queue == "cleanup"
        assert jobs.REGISTRY["media.process_video"].queue == "video-processing"

    async def test_removes_old_temps_and_orphans_only(
        self, client, owner, rt, db, store, settings
    ) -> None:  # type: ignore[no-untyped-def]
        kept = (
            await upload(
                client, owner.headers, samples.png(), filename="a.png", content_type="image/png"
            )
        ).json()
        orphan = f"post/{owner.id}/{uuid.uuid4()}/original.jpg"
        await store.put_bytes(orphan, b"orphan", "image/jpeg")
        tmp = settings.media_dir / "tmp"
        old_temp, new_temp = tmp / "old.upload", tmp / "new.upload"
        old_temp.write_bytes(b"x")
        new_temp.write_bytes(b"x")
        day_ago = time.time() - 25 * 3600
        os.utime(old_temp, (day_ago, day_ago))

        # Within 48 h nothing stored is touched (an upload may be in flight).
        result = await service.cleanup(db, now=utcnow())
        assert result == {"tempFiles": 1, "orphanObjects": 0}
        assert not old_temp.exists() and new_temp.exists()
        assert orphan in await all_keys(store)

        result = await service.cleanup(db, now=utcnow() + timedelta(hours=49))
        keys = await all_keys(store)
        assert orphan not in keys
        assert result["orphanObjects"] == 1
        assert len([k for k in keys if kept["id"] in k]) == 2

    async def test_job_runs(self, rt) -> None:  # type: ignore[no-untyped-def]
        await jobs.REGISTRY["media.cleanup"].handler(jobs.REGISTRY["media.cleanup"].payload())


@pytest.fixture(scope="module")
def mp4_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return samples.mp4(tmp_path_factory.mktemp("video"), seconds=3)


class TestVideo:
    async def test_poster_duration_and_variants(self, client, owner, store, mp4_bytes) -> None:  # type: ignore[no-untyped-def]
        r = await upload(
            client, owner.headers, mp4_bytes, filename="clip.mp4", content_type="video/mp4"
        )
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["fileType"] == "video" and first["status"] == "processing"
        # Inline job runner: the video-processing job ran right after the commit.
        body = (await client.get(f"/api/uploads/{first['id']}", headers=owner.headers)).json()
        assert body["status"] == "ready"
        assert body["dimensions"] == {"width": 320, "height": 240}
        assert body["duration"] == pytest.approx(3.0, abs=0.2)
        assert body["codec"] == "h264"
        assert len(body["blurhash"]) == 28
        assert set(body["variants"]) == {"thumbnail", "small", "medium", "large"}
        poster = await fetch(client, body["thumbnailUrl"])
        assert poster.status_code == 200 and poster.content[:4] == b"RIFF"
        progress = (
            await client.get(f"/api/uploads/{first['id']}/progress", headers=owner.headers)
        ).json()
        assert progress["status"] == "completed"
        assert (
            await client.delete(f"/api/uploads/{first['id']}", headers=owner.headers)
        ).status_code == 204
        assert await all_keys(store) == []

    async def test_corrupt_video_fails_and_leaves_nothing(
        self, client, owner, store, db, tmp_path
    ) -> None:  # type: ignore[no-untyped-def]
        # A real MP4 header (sniffs as video/mp4) followed by garbage instead of the streams.
        data = samples.mp4(tmp_path, seconds=1)[:64] + os.urandom(20_000)
        r = await upload(
            client, owner.headers, data, filename="broken.mp4", content_type="video/mp4"
        )
        assert r.status_code == 201, r.text
        file_id = r.json()["id"]
        progress = (
            await client.get(f"/api/uploads/{file_id}/progress", headers=owner.headers)
        ).json()
        assert progress["status"] == "failed"
        assert progress["error"].startswith("The video cannot be read")
        assert (
            await client.get(f"/api/uploads/{file_id}", headers=owner.headers)
        ).status_code == 404
        assert await all_keys(store) == []


class TestEventLoop:
    @pytest.fixture
    def storage_backend(self) -> str:
        return "local"

    async def test_processing_runs_off_the_event_loop(self, client, owner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """Processing waits until another request has been served: were it on the event loop,
        that request could never run and the wait would time out."""
        import asyncio
        import threading

        from sparkle.media import processing

        started, served = threading.Event(), threading.Event()
        waited: list[bool] = []
        real = processing.process_image

        def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
            started.set()
            waited.append(served.wait(timeout=20))
            return real(*args, **kwargs)

        monkeypatch.setattr(processing, "process_image", gated)
        task = asyncio.create_task(upload(client, owner.headers, samples.jpeg(600, 400)))
        while not started.is_set():
            await asyncio.sleep(0.01)
        # Processing has started and is waiting: this request must still be served.
        assert (await client.get("/health")).status_code == 200
        served.set()
        r = await task
        assert r.status_code == 201, r.text
        assert waited == [True]
