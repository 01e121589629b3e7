"""Media test harness: every API test runs against the local directory and against an S3
server (moto's, a separate HTTP server on loopback), with a bucket of its own."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sparkle.core import runtime
from sparkle.media import storage as storage_mod
from sparkle.media.storage import Storage

_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def public_policy(bucket: str) -> dict[str, object]:
    """Anyone may read the public categories' objects; private/ and incoming/ stay private."""
    from sparkle.media.policy import CATEGORIES

    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"{arn}/{category}/*" for category in CATEGORIES],
            }
        ],
    }


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def media_settings() -> dict[str, object]:
    """Override in a test module for media settings of its own."""
    return {}


@pytest.fixture
def settings_overrides(
    storage_backend: str, media_settings: dict[str, object], request: pytest.FixtureRequest
) -> dict[str, object]:
    values: dict[str, object] = dict(media_settings)
    if storage_backend == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = f"sparkle-test-{next(_buckets)}-{id(request) % 100000}"
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=bucket)
        # As documented for production: everything is readable except private/ and incoming/.
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
        values.update(
            MEDIA_STORAGE="s3",
            S3_ENDPOINT_URL=endpoint,
            S3_BUCKET=bucket,
            S3_ACCESS_KEY_ID="testing",
            S3_SECRET_ACCESS_KEY="testing",
        )
    return values


@pytest.fixture
def store(rt: runtime.Runtime) -> Storage:
    return storage_mod.get()


async def all_keys(store: Storage) -> list[str]:
    return sorted([obj.key async for obj in store.list()])


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    category: str = "post",
    is_public: bool = True,
) -> httpx.Response:
    form: dict[str, Any] = {"category": category, "isPublic": "true" if is_public else "false"}
    files = {"file": (filename, data, content_type)}
    return await client.post("/api/uploads", data=form, files=files, headers=headers)


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET a media URL: our own `/media/...` through the app, an S3 URL over the network."""
    if url.startswith(("/", "http://testserver")):
        return await client.get(url)
    async with httpx.AsyncClient() as net:
        return await net.get(url)
