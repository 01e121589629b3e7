"""Object storage behind one interface: a local directory (the embedded default, served at
`/media/...`) or an S3-compatible bucket through boto3.

Keys are `category/userId/fileId/variant.ext`; private files live under `private/` so a CDN
or bucket policy can serve everything else and never those. Direct uploads land under
`incoming/userId/fileId/` until they are validated.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sparkle.core.config import Settings
from sparkle.media.policy import MIME_BY_EXTENSION

PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRESIGN_SECONDS = 3600


@dataclass
class StoredObject:
    key: str
    size: int
    modified: datetime


class Storage(ABC):
    """Where media bytes live. Every method is safe to call from the event loop."""

    @abstractmethod
    async def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    @abstractmethod
    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    async def read(self, key: str, length: int | None = None) -> bytes:
        """The object's bytes (only the first `length` if given); FileNotFoundError if absent."""

    @abstractmethod
    async def download(self, key: str, dest: Path) -> None: ...

    @abstractmethod
    async def size(self, key: str) -> int | None: ...

    @abstractmethod
    async def delete(self, keys: list[str]) -> None:
        """Delete `keys`; absent keys are not an error (deletion is retried after failures)."""

    @abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]: ...

    @abstractmethod
    def public_url(self, key: str) -> str: ...

    @abstractmethod
    async def signed_url(self, key: str, expires_in: int) -> str:
        """A short-lived URL reading a private object."""

    @abstractmethod
    async def presign_upload(
        self, key: str, *, content_type: str, size: int, user_id: str, expires_in: int
    ) -> str:
        """A URL the client PUTs the file to; it binds key, content type, size and expiry."""


# A key is what this platform writes: `/`-separated segments of letters, digits, `_`, `-` and
# `.`, never starting with a dot. That leaves out `.`/`..` however they were encoded (`%2e%2e`
# arrives decoded, `%c0%ae` as U+FFFD, `%252e` as a literal `%`), backslashes, NUL and the
# `.name.part` files of unfinished writes.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}){0,7}")


def valid_key(key: str) -> bool:
    """Whether `key` is a storage key as this platform writes them (nothing to normalise)."""
    return _KEY.fullmatch(key) is not None


def check_key(key: str) -> str:
    """`key` itself, or FileNotFoundError for anything that is not a plain storage key."""
    if not valid_key(key):
        raise FileNotFoundError(key)
    return key


def content_type_of(key: str) -> str:
    return MIME_BY_EXTENSION.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


# --- local directory ----------------------------------------------------------------------


class LocalStorage(Storage):
    def __init__(self, root: Path, secret: str, base_url: str = "") -> None:
        self.root = root.resolve()
        self.secret = secret.encode()
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise FileNotFoundError(key)
        return path

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(self._copy, path, self.path(key))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _copy(src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)

    @staticmethod
    def _write(dest: Path, data: bytes) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        tmp.write_bytes(data)
        os.replace(tmp, dest)

    async def read(self, key: str, length: int | None = None) -> bytes:
        def read() -> bytes:
            with self.path(key).open("rb") as fh:
                return fh.read() if length is None else fh.read(length)

        return await asyncio.to_thread(read)

    async def download(self, key: str, dest: Path) -> None:
        await asyncio.to_thread(shutil.copyfile, self.path(key), dest)

    async def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    async def delete(self, keys: list[str]) -> None:
        def delete() -> None:
            for key in keys:
                try:
                    path = self.path(key)
                except FileNotFoundError:
                    continue  # not a key this storage writes: nothing of ours to remove
                path.unlink(missing_ok=True)
                # Remove the emptied fileId/userId/category folders.
                for parent in path.parents:
                    if parent == self.root or not parent.is_relative_to(self.root):
                        break
                    try:
                        parent.rmdir()
                    except OSError:
                        break

        await asyncio.to_thread(delete)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        def scan() -> list[StoredObject]:
            found = []
            for dirpath, _dirs, files in os.walk(self.root):
                for name in files:
                    full = Path(dirpath) / name
                    key = full.relative_to(self.root).as_posix()
                    if key.startswith(prefix) and not name.endswith(".part"):
                        st = full.stat()
                        found.append(
                            StoredObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
                        )
            return found

        for item in await asyncio.to_thread(scan):
            yield item

    def public_url(self, key: str) -> str:
        return f"{self.base_url}/media/{quote(key)}"

    def sign(self, *parts: str) -> str:
        return hmac.new(self.secret, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    async def signed_url(self, key: str, expires_in: int) -> str:
        exp = str(int(time.time()) + expires_in)
        query = urlencode({"exp": exp, "sig": self.sign("get", check_key(key), exp)})
        return f"{self.public_url(key)}?{query}"

    def check_get(self, key: str, exp: str | None, sig: str | None) -> bool:
        if not exp or not sig or not exp.isdigit() or int(exp) < time.time():
            return False
        return hmac.compare_digest(sig, self.sign("get", key, exp))

    async def presign_upload(
        self, key: str, *, content_type: str, size: int, user_id: str, expires_in: int
    ) -> str:
        exp = str(int(time.time()) + expires_in)
        sig = self.sign("put", key, content_type, str(size), exp)
        query = urlencode({"type": content_type, "size": size, "exp": exp, "sig": sig})
        return f"{self.base_url}/media/upload/{quote(key)}?{query}"

    def check_put(self, key: str, content_type: str, size: str, exp: str, sig: str) -> bool:
        if not exp.isdigit() or int(exp) < time.time():
            return False
        return hmac.compare_digest(sig, self.sign("put", key, content_type, size, exp))


# --- S3-compatible bucket -----------------------------------------------------------------


class S3Storage(Storage):
    """boto3 is synchronous: each call runs in a worker thread."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.s3_bucket
        self.cdn = (settings.cdn_base_url or "").rstrip("/")
        self.endpoint = (settings.s3_endpoint_url or "").rstrip("/")
        secret = settings.s3_secret_access_key
        self.client = client or boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.upload_file,
            str(path),
            self.bucket,
            check_key(key),
            ExtraArgs=self._extra(key, content_type),
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            **self._extra(key, content_type),
        )

    @staticmethod
    def _extra(key: str, content_type: str) -> dict[str, str]:
        extra = {"ContentType": content_type}
        if not key.startswith(("private/", "incoming/")):
            extra["CacheControl"] = PUBLIC_CACHE
        return extra

    async def read(self, key: str, length: int | None = None) -> bytes:
        def read() -> bytes:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
            if length is not None:
                kwargs["Range"] = f"bytes=0-{max(length - 1, 0)}"
            try:
                return self.client.get_object(**kwargs)["Body"].read()
            except self.client.exceptions.NoSuchKey as exc:
                raise FileNotFoundError(key) from exc

        return await asyncio.to_thread(read)

    async def download(self, key: str, dest: Path) -> None:
        from botocore.exceptions import ClientError

        check_key(key)
        try:
            await asyncio.to_thread(self.client.download_file, self.bucket, key, str(dest))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise FileNotFoundError(key) from exc
            raise

    async def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        if not valid_key(key):
            return None
        try:
            head = await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    async def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            await asyncio.to_thread(
                self.client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                kwargs["ContinuationToken"] = token
            page = await asyncio.to_thread(self.client.list_objects_v2, **kwargs)
            for item in page.get("Contents", []):
                modified = item["LastModified"]
                yield StoredObject(item["Key"], int(item["Size"]), modified.astimezone(UTC))
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def public_url(self, key: str) -> str:
        if self.cdn:
            return f"{self.cdn}/{quote(key)}"
        return f"{self.endpoint}/{self.bucket}/{quote(key)}"

    async def signed_url(self, key: str, expires_in: int) -> str:
        return await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=expires_in,
        )

    async def presign_upload(
        self, key: str, *, content_type: str, size: int, user_id: str, expires_in: int
    ) -> str:
        # ContentType and ContentLength become signed headers: a PUT with another type or
        # size does not match the signature.
        return await asyncio.to_thread(
            self.client.generate_presigned_url,
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "ContentType": content_type,
                "ContentLength": size,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )


def build(settings: Settings) -> Storage:
    if settings.media_storage == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.media_dir / "files", settings.secret_key.get_secret_value())


def get() -> Storage:
    """The runtime's storage, built once per runtime (tests may put their own in `extras`)."""
    from sparkle.core import runtime

    rt = runtime.get()
    storage = rt.extras.get("media.storage")
    if storage is None:
        storage = rt.extras["media.storage"] = build(rt.settings)
    return storage
