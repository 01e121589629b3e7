"""Presigned direct uploads on both backends, the local signed PUT route, and the binding of
an S3 presigned URL to key, content type, size and expiry."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.media import samples
from tests.media.conftest import all_keys


async def put(
    client: httpx.AsyncClient, url: str, data: bytes, content_type: str
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if url.startswith(("/", "http://testserver")):
        return await client.put(url, content=data, headers=headers)
    async with httpx.AsyncClient() as net:
        return await net.put(url, content=data, headers=headers)


async def presign(client, account, data: bytes, **overrides):  # type: ignore[no-untyped-def]
    body = {
        "filename": "photo.jpg",
        "contentType": "image/jpeg",
        "size": len(data),
        "category": "post",
    }
    body.update(overrides)
    return await client.post("/api/uploads/presign", json=body, headers=account.headers)


class TestPresignedFlow:
    async def test_presign_put_complete(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        data = samples.jpeg(700, 500, gps=True)
        r = await presign(client, owner, data)
        assert r.status_code == 201, r.text
        ticket = r.json()
        assert ticket["method"] == "PUT" and ticket["headers"] == {"Content-Type": "image/jpeg"}
        assert ticket["key"] == f"incoming/{owner.id}/{ticket['fileId']}/upload"
        progress = await client.get(
            f"/api/uploads/{ticket['fileId']}/progress", headers=owner.headers
        )
        assert progress.json()["status"] == "preparing"

        early = await client.post(
            f"/api/uploads/{ticket['fileId']}/complete", headers=owner.headers
        )
        assert early.status_code == 400

        assert (await put(client, ticket["uploadUrl"], data, "image/jpeg")).status_code == 200
        other_done = await client.post(f"/api/uploads/{ticket['fileId']}/complete", headers={})
        assert other_done.status_code == 401
        done = await client.post(f"/api/uploads/{ticket['fileId']}/complete", headers=owner.headers)
        assert done.status_code == 201, done.text
        body = done.json()
        assert body["id"] == ticket["fileId"]
        assert body["dimensions"] == {"width": 700, "height": 500}
        assert len(body["variants"]) == 4
        keys = await all_keys(store)
        assert not [k for k in keys if k.startswith("incoming/")]
        assert len(keys) == 5
        progress = await client.get(
            f"/api/uploads/{ticket['fileId']}/progress", headers=owner.headers
        )
        assert progress.json() == {
            "uploadId": ticket["fileId"],
            "progress": 100,
            "status": "completed",
            "error": None,
        }

    async def test_invalid_file_is_deleted(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        r = await presign(client, owner, samples.EXE, filename="cat.png", contentType="image/png")
        ticket = r.json()
        assert (await put(client, ticket["uploadUrl"], samples.EXE, "image/png")).status_code == 200
        done = await client.post(f"/api/uploads/{ticket['fileId']}/complete", headers=owner.headers)
        assert done.status_code == 415
        assert "Executable" in done.json()["detail"]
        assert await all_keys(store) == []
        progress = await client.get(
            f"/api/uploads/{ticket['fileId']}/progress", headers=owner.headers
        )
        assert progress.json()["status"] == "failed" and "Executable" in progress.json()["error"]

    async def test_someone_elses_upload(self, client, owner, other) -> None:  # type: ignore[no-untyped-def]
        data = samples.png()
        ticket = (
            await presign(client, owner, data, filename="a.png", contentType="image/png")
        ).json()
        await put(client, ticket["uploadUrl"], data, "image/png")
        r = await client.post(f"/api/uploads/{ticket['fileId']}/complete", headers=other.headers)
        assert r.status_code == 404
        assert (
            await client.get(f"/api/uploads/{ticket['fileId']}/progress", headers=other.headers)
        ).status_code == 404

    async def test_presign_refusals(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        assert (await client.post("/api/uploads/presign", json={})).status_code == 401
        svg = await presign(client, owner, b"x" * 10, filename="a.svg", contentType="image/svg+xml")
        assert svg.status_code == 415
        pdf_avatar = await presign(
            client,
            owner,
            b"x" * 10,
            filename="a.pdf",
            contentType="application/pdf",
            category="avatar",
        )
        assert pdf_avatar.status_code == 415
        too_big = await presign(client, owner, b"", size=6 * 1024 * 1024, category="avatar")
        assert too_big.status_code == 413


class TestLocalSignedUpload:
    @pytest.fixture
    def storage_backend(self) -> str:
        return "local"

    async def test_signature_binds_type_size_and_key(self, client, owner, store) -> None:  # type: ignore[no-untyped-def]
        data = samples.png()
        ticket = (
            await presign(client, owner, data, filename="a.png", contentType="image/png")
        ).json()
        url = ticket["uploadUrl"]
        assert (await put(client, url, data, "image/jpeg")).status_code == 403
        assert (await put(client, url, data + b"!", "image/png")).status_code == 403
        assert (
            await put(client, url.replace("/upload?", "/other?"), data, "image/png")
        ).status_code == 403
        assert (
            await put(client, url.replace("sig=", "sig=0"), data, "image/png")
        ).status_code == 403
        assert await all_keys(store) == [f"incoming/{owner.id}/{ticket['fileId']}/meta.json"]
        assert (await put(client, url, data, "image/png")).status_code == 200

    async def test_expired(self, client, owner, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        import time

        data = samples.png()
        ticket = (
            await presign(client, owner, data, filename="a.png", contentType="image/png")
        ).json()
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 3601)
        assert (await put(client, ticket["uploadUrl"], data, "image/png")).status_code == 403


class TestS3PresignedUrl:
    """moto does not verify presigned signatures, so the binding is checked here: the URL's
    signed headers and expiry, and that the signature is the SigV4 signature of exactly that
    key, type and length (another type or length gives another signature)."""

    @pytest.fixture
    def storage_backend(self) -> str:
        return "s3"

    async def test_binding(self, store, owner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        import botocore.auth
        from botocore.auth import S3SigV4QueryAuth
        from botocore.awsrequest import AWSRequest

        key = f"incoming/{owner.id}/0193/upload"
        url = await store.presign_upload(
            key, content_type="image/png", size=1234, user_id=str(owner.id), expires_in=3600
        )
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert parts.path.endswith(f"/{key}")
        assert query["X-Amz-Expires"] == "3600"
        assert query["X-Amz-SignedHeaders"] == "content-length;content-type;host"

        # Re-sign at the URL's own time: the signer stamps requests with the current time, and
        # a second boundary between presigning and checking would change every signature.
        signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: signed_at)

        def signature(content_type: str, length: int, path: str = parts.path) -> str:
            creds = store.client._request_signer._credentials.get_frozen_credentials()
            request = AWSRequest(
                method="PUT",
                url=f"{parts.scheme}://{parts.netloc}{path}",
                headers={"Content-Type": content_type, "Content-Length": str(length)},
            )
            S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=3600).add_auth(request)
            return parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]

        assert signature("image/png", 1234) == query["X-Amz-Signature"]
        assert signature("image/jpeg", 1234) != query["X-Amz-Signature"]
        assert signature("image/png", 1235) != query["X-Amz-Signature"]
        assert (
            signature("image/png", 1234, parts.path.replace("upload", "other"))
            != query["X-Amz-Signature"]
        )
