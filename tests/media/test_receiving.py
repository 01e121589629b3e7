"""Malformed multipart bodies to `POST /api/uploads` are a 400 problem naming the file field,
never a 500, and leave no temp file behind."""

from __future__ import annotations

import pytest

from sparkle.media.service import temp_dir
from tests.media import samples

PART = b'--XB\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
MALFORMED = [
    b"--XB\r\nNone--XB--",
    b'--XB\r\nContent-Disposition: form-data; name="category"\rX\r\n\r\npost\r\n--XB--\r\n',
    PART + b"Content-Type: image/jpeg\rX\r\n\r\n" + samples.jpeg() + b"\r\n--XB--\r\n",
    PART + b"Content-Type image/jpeg\r\n\r\n" + samples.jpeg() + b"\r\n--XB--\r\n",
    b"--XB\n\n--XB--",
    b"--XYZ\r\n\r\n",
]


@pytest.fixture
def storage_backend() -> str:
    return "local"


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
async def test_malformed_multipart_is_a_400(client, owner, settings, body) -> None:  # type: ignore[no-untyped-def]
    headers = {**owner.headers, "Content-Type": "multipart/form-data; boundary=XB"}
    r = await client.post("/api/uploads?category=post", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["errors"][0]["field"] == "file"
    assert not [p for p in temp_dir(settings).iterdir() if p.is_file()]
