"""Media uploads: validate the bytes, process, store every object, then record the file — and
on any failure remove what was stored, so nothing is left half done."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.core import events, runtime
from sparkle.core.config import Settings
from sparkle.core.db import keyset_page, utcnow
from sparkle.core.db.base import new_id
from sparkle.core.errors import SparkleError
from sparkle.media import policy, processing, progress, repository
from sparkle.media import storage as storage_mod
from sparkle.media.errors import (
    FileTooLarge,
    InvalidUpload,
    MediaNotFound,
    QuotaExceeded,
    StorageUnavailable,
    UnsupportedMediaType,
)
from sparkle.media.events import FileUploaded
from sparkle.media.models import MediaFile
from sparkle.media.schemas import Dimensions, PresignRead, PresignRequest, UploadPage, UploadRead
from sparkle.media.storage import PRESIGN_SECONDS, Storage

log = structlog.get_logger(__name__)

PROCESS_VIDEO = "media.process_video"
DELETE_OBJECTS = "media.delete_objects"


# --- temp files ---------------------------------------------------------------------------


def temp_dir(settings: Settings) -> Path:
    path = settings.media_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Received:
    """A file streamed to a temp file, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str
    filename: str
    content_type: str | None


def new_temp(settings: Settings, suffix: str = ".upload") -> Path:
    fd, name = tempfile.mkstemp(dir=temp_dir(settings), suffix=suffix)
    os.close(fd)
    return Path(name)


async def hash_file(path: Path) -> tuple[int, str]:
    def digest() -> tuple[int, str]:
        h = hashlib.sha256()
        size = 0
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        return size, h.hexdigest()

    return await asyncio.to_thread(digest)


# --- reading ------------------------------------------------------------------------------


def _can_manage(actor: User, media: MediaFile) -> bool:
    return media.user_id == actor.id or actor.role == Role.ADMIN


async def access(session: AsyncSession, actor: User, file_id: uuid.UUID) -> MediaFile:
    """The file, for its owner or an admin; anyone else gets the same 404 as for no file."""
    media = await repository.get(session, file_id)
    if media is None or not _can_manage(actor, media):
        raise MediaNotFound()
    return media


async def _link(media: MediaFile, key: str, store: Storage, settings: Settings) -> str:
    """A URL reading `key` of `media`: public, or signed afresh when the file is private."""
    if media.is_public:
        return store.public_url(key)
    return await store.signed_url(key, settings.media_signed_url_seconds)


async def to_read(media: MediaFile, store: Storage, settings: Settings) -> UploadRead:
    meta = media.meta or {}
    variants: dict[str, str] = meta.get("variants") or {}
    url = await _link(media, media.storage_path, store, settings)
    urls = {name: await _link(media, key, store, settings) for name, key in variants.items()}
    return UploadRead(
        id=media.id,
        url=url,
        cdn_url=url if media.is_public else None,
        thumbnail_url=urls.get("thumbnail"),
        file_size=media.file_size,
        mime_type=media.mime_type,
        file_type=media.file_type,
        category=media.category,
        original_name=media.original_name,
        dimensions=Dimensions(**media.dimensions) if media.dimensions else None,
        duration=media.duration,
        blurhash=media.blurhash,
        variants=urls,
        is_public=media.is_public,
        status="ready" if media.processed_at else "processing",
        pages=meta.get("pages"),
        animated=bool(meta.get("animated")),
        codec=meta.get("codec"),
        created_at=media.created_at,
    )


async def url_for(
    session: AsyncSession, file_id: uuid.UUID, variant: str | None = None
) -> str | None:
    """A URL reading the file (or one of its variants), freshly signed when it is private; None
    when there is no such file or variant. For domains that checked who may see it."""
    media = await repository.get(session, file_id)
    if media is None:
        return None
    variants: dict[str, str] = (media.meta or {}).get("variants") or {}
    key = media.storage_path if variant is None else variants.get(variant)
    if key is None:
        return None
    return await _link(media, key, storage_mod.get(), runtime.get().settings)


async def read(session: AsyncSession, actor: User, file_id: uuid.UUID) -> UploadRead:
    media = await access(session, actor, file_id)
    rt = runtime.get()
    return await to_read(media, storage_mod.get(), rt.settings)


async def list_own(
    session: AsyncSession, user: User, *, cursor: str | None, limit: int
) -> UploadPage:
    """The caller's files, newest first, keyset-paged."""
    rows, next_cursor = await keyset_page(
        session,
        repository.owned_by(user.id),
        sort_col=MediaFile.created_at,
        id_col=MediaFile.id,
        cursor=cursor,
        limit=limit,
    )
    rt = runtime.get()
    store = storage_mod.get()
    items = [await to_read(m, store, rt.settings) for m in rows]
    return UploadPage(items=items, next_cursor=next_cursor)


async def get_progress(session: AsyncSession, user: User, upload_id: uuid.UUID) -> dict[str, Any]:
    entry = await progress.get(upload_id)
    if entry is not None:
        if entry["userId"] != str(user.id) and user.role != Role.ADMIN:
            raise MediaNotFound()
        return {k: v for k, v in entry.items() if k != "userId"}
    media = await access(session, user, upload_id)
    done = media.processed_at is not None
    return {
        "uploadId": str(media.id),
        "progress": 100 if done else 90,
        "status": "completed" if done else "processing",
        "error": None,
    }


# --- uploading ----------------------------------------------------------------------------


def check_size(settings: Settings, category: str, size: int) -> None:
    limit = policy.max_bytes(settings, category)
    if size > limit:
        raise FileTooLarge(limit, category)


async def check_quota(session: AsyncSession, settings: Settings, user: User, size: int) -> None:
    quota = settings.media_user_quota_bytes
    used = await repository.used_bytes(session, user.id)
    if used + size > quota:
        raise QuotaExceeded(size, max(quota - used, 0), quota)


class Writer:
    """Stores objects and remembers their keys, so a failure can remove all of them."""

    def __init__(self, store: Storage) -> None:
        self.store = store
        self.keys: list[str] = []

    async def put(self, key: str, data: bytes | Path, content_type: str) -> None:
        try:
            if isinstance(data, Path):
                await self.store.put_file(key, data, content_type)
            else:
                await self.store.put_bytes(key, data, content_type)
        except Exception as exc:
            log.warning("media_store_failed", key=key, error=str(exc))
            raise StorageUnavailable("The file could not be stored; please try again") from exc
        self.keys.append(key)

    async def discard(self) -> None:
        if not self.keys:
            return
        try:
            await self.store.delete(list(self.keys))
        except Exception:
            # The cleanup job removes objects no record refers to.
            log.exception("media_discard_failed", keys=self.keys)
        self.keys.clear()


async def upload(
    session: AsyncSession,
    user: User,
    received: Received,
    *,
    category: str,
    is_public: bool,
    file_id: uuid.UUID | None = None,
) -> tuple[MediaFile, bool]:
    """Validate, process and store `received`; `(file, created)` — a file this user already
    uploaded (same SHA-256) is returned as it is, with `created` False."""
    rt = runtime.get()
    settings = rt.settings
    if category not in policy.CATEGORIES:
        raise InvalidUpload(fields={"category": f"One of {', '.join(policy.CATEGORIES)}"})
    check_size(settings, category, received.size)
    file_id = file_id or new_id()
    await progress.update(file_id, user.id, 30, "processing")
    try:
        media, created = await _upload(session, user, received, category, is_public, file_id)
    except SparkleError as exc:
        await progress.update(file_id, user.id, 0, "failed", exc.detail)
        raise
    except Exception:
        await progress.update(file_id, user.id, 0, "failed", "Upload failed")
        raise
    if created and media.processed_at is None:
        await progress.update(media.id, user.id, 90, "processing")
    else:
        await progress.update(media.id, user.id, 100, "completed")
    return media, created


async def _upload(
    session: AsyncSession,
    user: User,
    received: Received,
    category: str,
    is_public: bool,
    file_id: uuid.UUID,
) -> tuple[MediaFile, bool]:
    settings = runtime.get().settings
    head = await asyncio.to_thread(_head, received.path)
    sniffed = processing.check_type(
        head, declared=received.content_type, filename=received.filename, category=category
    )
    await asyncio.to_thread(processing.check_polyglot, received.path, sniffed)
    existing = await repository.by_hash(session, user.id, received.sha256)
    if existing is not None:
        return existing, False
    await check_quota(session, settings, user, received.size)

    base = f"{'' if is_public else 'private/'}{category}/{user.id}/{file_id}"
    writer = Writer(storage_mod.get())
    media = MediaFile(
        id=file_id,
        user_id=user.id,
        file_type=sniffed.kind,
        category=category,
        file_size=received.size,
        mime_type=sniffed.mime,
        original_name=_clean_name(received.filename, sniffed.ext),
        storage_path=f"{base}/original.{sniffed.ext}",
        sha256=received.sha256,
        is_public=is_public,
        meta={"hash": received.sha256},
    )
    try:
        if sniffed.kind == "image":
            await _store_image(media, received.path, writer, base, settings)
        elif sniffed.kind == "video":
            await writer.put(media.storage_path, received.path, sniffed.mime)
            media.meta = {**media.meta, "keys": list(writer.keys)}
        else:
            await writer.put(media.storage_path, received.path, sniffed.mime)
            pages = (
                await asyncio.to_thread(processing.pdf_pages, received.path)
                if sniffed.ext == "pdf"
                else None
            )
            media.meta = {**media.meta, "keys": list(writer.keys), "pages": pages}
            media.processed_at = utcnow()
        if media.is_public:
            store = writer.store
            media.cdn_url = store.public_url(media.storage_path)
            thumb = (media.meta.get("variants") or {}).get("thumbnail")
            media.thumbnail_url = store.public_url(thumb) if thumb else None
        async with session.begin_nested():
            session.add(media)
            await session.flush()
    except IntegrityError:
        # The same file finished uploading in a concurrent request first.
        await writer.discard()
        existing = await repository.by_hash(session, user.id, received.sha256)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        await writer.discard()
        raise
    if sniffed.kind == "video":
        events.enqueue(session, PROCESS_VIDEO, {"fileId": str(media.id)})
    events.publish(
        session,
        FileUploaded(user_id=user.id, file_id=media.id, file_type=category),
    )
    return media, True


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(processing.SNIFF_BYTES)


def _clean_name(filename: str, ext: str) -> str:
    name = "".join(ch for ch in Path(filename.replace("\\", "/")).name if ch.isprintable())
    return (name or f"upload.{ext}")[:255]


async def _store_image(
    media: MediaFile, path: Path, writer: Writer, base: str, settings: Settings, *, prefix: str = ""
) -> processing.ImageResult:
    """Process an image (or a video's poster frame) and store its variants; fills `media`."""
    result = await asyncio.to_thread(
        processing.process_image,
        path,
        "image/png" if prefix else media.mime_type,
        max_pixels=settings.media_max_pixels,
    )
    keys: dict[str, str] = {}
    for variant in result.variants:
        key = f"{base}/{prefix}{variant.name}.{variant.ext}"
        await writer.put(key, variant.data, variant.mime)
        keys[variant.name] = key
    if not prefix:
        await writer.put(media.storage_path, result.original.data, result.original.mime)
        media.dimensions = {"width": result.width, "height": result.height}
        media.processed_at = utcnow()
    media.blurhash = result.blurhash
    media.meta = {
        **(media.meta or {}),
        "variants": {name: keys[target] for name, target in result.names.items()},
        "keys": list(writer.keys),
        "animated": result.animated,
        "frames": result.frames,
    }
    return result


# --- video --------------------------------------------------------------------------------


async def process_video(session: AsyncSession, file_id: uuid.UUID) -> None:
    """Probe a stored video, extract and store its poster frame with variants and blurhash.
    A video that cannot be read is removed with everything stored for it."""
    media = await repository.get(session, file_id)
    if media is None or media.processed_at is not None:
        return  # deleted meanwhile, or already done (jobs may run twice)
    settings = runtime.get().settings
    store = storage_mod.get()
    await progress.update(media.id, media.user_id, 92, "processing")
    work = Path(tempfile.mkdtemp(dir=temp_dir(settings), prefix="video-"))
    writer = Writer(store)
    try:
        source = work / f"source.{media.storage_path.rsplit('.', 1)[-1]}"
        await store.download(media.storage_path, source)
        try:
            info = await processing.probe(source)
            poster = work / "poster.png"
            await processing.extract_poster(source, info.duration, poster)
        except processing.VideoError as exc:
            await _fail_video(session, media, str(exc))
            return
        base = media.storage_path.rsplit("/", 1)[0]
        try:
            await _store_image(media, poster, writer, base, settings, prefix="poster_")
        except SparkleError as exc:
            if isinstance(exc, StorageUnavailable):
                raise
            await writer.discard()
            await _fail_video(session, media, exc.detail)
            return
        media.dimensions = {"width": info.width, "height": info.height}
        media.duration = info.duration
        media.meta = {**media.meta, "codec": info.codec, "keys": [media.storage_path, *writer.keys]}
        if media.is_public:
            thumb = media.meta["variants"].get("thumbnail")
            media.thumbnail_url = store.public_url(thumb) if thumb else None
        media.processed_at = utcnow()
        await session.flush()
    except BaseException:
        await writer.discard()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    await progress.update(media.id, media.user_id, 100, "completed")


async def _fail_video(session: AsyncSession, media: MediaFile, reason: str) -> None:
    log.info("media_video_failed", file_id=str(media.id), reason=reason)
    keys = _all_keys(media)
    await session.delete(media)
    await session.flush()
    await storage_mod.get().delete(keys)
    await progress.update(
        media.id, media.user_id, 0, "failed", f"The video cannot be read: {reason}"
    )


# --- deleting -----------------------------------------------------------------------------


def _all_keys(media: MediaFile) -> list[str]:
    keys = set((media.meta or {}).get("keys") or [])
    keys.update((media.meta or {}).get("variants", {}).values())
    keys.add(media.storage_path)
    return sorted(keys)


async def delete(session: AsyncSession, actor: User, file_id: uuid.UUID) -> None:
    """Delete the record now and every stored object right after the commit."""
    media = await access(session, actor, file_id)
    keys = _all_keys(media)
    await session.delete(media)
    await session.flush()
    events.enqueue(session, DELETE_OBJECTS, {"keys": keys})


async def delete_objects(keys: list[str]) -> None:
    await storage_mod.get().delete(keys)


# --- presigned direct uploads -------------------------------------------------------------


def _incoming(user_id: uuid.UUID, file_id: uuid.UUID) -> tuple[str, str]:
    base = f"incoming/{user_id}/{file_id}"
    return f"{base}/upload", f"{base}/meta.json"


async def presign(session: AsyncSession, user: User, data: PresignRequest) -> PresignRead:
    """A URL to PUT the file to directly (S3, or the signed local upload route)."""
    settings = runtime.get().settings
    content_type = data.content_type.split(";")[0].strip().lower()
    content_type = processing.TYPE_ALIASES.get(content_type, content_type)
    kind = policy.kind_of(content_type)
    if kind is None or kind not in policy.CATEGORY_KINDS[data.category]:
        raise UnsupportedMediaType(
            f"{content_type} files are not accepted for {data.category} uploads"
        )
    check_size(settings, data.category, data.size)
    await check_quota(session, settings, user, data.size)
    file_id = new_id()
    key, meta_key = _incoming(user.id, file_id)
    store = storage_mod.get()
    expires_at = utcnow() + timedelta(seconds=PRESIGN_SECONDS)
    url = await store.presign_upload(
        key,
        content_type=content_type,
        size=data.size,
        user_id=str(user.id),
        expires_in=PRESIGN_SECONDS,
    )
    meta = {
        "userId": str(user.id),
        "filename": data.filename,
        "contentType": content_type,
        "size": data.size,
        "category": data.category,
        "isPublic": data.is_public,
        "expiresAt": expires_at.isoformat(),
    }
    try:
        await store.put_bytes(meta_key, json.dumps(meta).encode(), "application/json")
    except Exception as exc:
        raise StorageUnavailable("The upload could not be prepared; please try again") from exc
    await progress.update(file_id, user.id, 0, "preparing")
    return PresignRead(
        upload_url=url,
        headers={"Content-Type": content_type},
        file_id=file_id,
        key=key,
        expires_at=expires_at,
    )


async def complete(session: AsyncSession, user: User, file_id: uuid.UUID) -> tuple[MediaFile, bool]:
    """Validate and process a directly uploaded file exactly like a posted one; an invalid
    file is deleted from storage."""
    settings = runtime.get().settings
    store = storage_mod.get()
    key, meta_key = _incoming(user.id, file_id)
    try:
        meta = json.loads(await store.read(meta_key))
    except FileNotFoundError as exc:
        raise MediaNotFound("No pending upload with this id") from exc
    size = await store.size(key)
    if size is None:
        raise InvalidUpload("The file has not been uploaded yet", fields={"file": "Not uploaded"})
    incoming = [key, meta_key]

    async def refuse(exc: SparkleError) -> SparkleError:
        await store.delete(incoming)
        await progress.update(file_id, user.id, 0, "failed", exc.detail)
        return exc

    if size != meta["size"]:
        raise await refuse(
            InvalidUpload(f"The upload has {size} bytes, not the {meta['size']} announced")
        )
    await progress.update(file_id, user.id, 10, "uploading")
    head = await store.read(key, processing.SNIFF_BYTES)
    try:
        processing.check_type(
            head, declared=meta["contentType"], filename=meta["filename"], category=meta["category"]
        )
    except UnsupportedMediaType as exc:
        raise await refuse(exc) from None
    path = new_temp(settings)
    try:
        await store.download(key, path)
        size, digest = await hash_file(path)
        received = Received(path, size, digest, meta["filename"], meta["contentType"])
        try:
            media, created = await upload(
                session,
                user,
                received,
                category=meta["category"],
                is_public=meta["isPublic"],
                file_id=file_id,
            )
        except SparkleError as exc:
            if exc.status < 500:
                await store.delete(incoming)
            raise
    finally:
        path.unlink(missing_ok=True)
    await store.delete(incoming)
    return media, created


# --- cleanup ------------------------------------------------------------------------------


async def cleanup(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    temp_age: timedelta = timedelta(hours=24),
    orphan_age: timedelta = timedelta(hours=48),
) -> dict[str, int]:
    """Remove temp files older than `temp_age` and stored objects no record refers to that
    are older than `orphan_age` (crashed uploads, abandoned direct uploads)."""
    now = now or utcnow()
    settings = runtime.get().settings
    temps = await asyncio.to_thread(
        _remove_old_temps, temp_dir(settings), (now - temp_age).timestamp()
    )
    store = storage_mod.get()
    cutoff = now - orphan_age
    candidates: dict[uuid.UUID, list[str]] = {}
    removed = 0
    async for obj in store.list():
        if obj.modified > cutoff:
            continue
        file_id = _file_id_of(obj.key)
        if file_id is None:
            continue
        candidates.setdefault(file_id, []).append(obj.key)
        if len(candidates) >= 500:
            removed += await _remove_orphans(session, store, candidates)
            candidates = {}
    removed += await _remove_orphans(session, store, candidates)
    return {"tempFiles": temps, "orphanObjects": removed}


def _file_id_of(key: str) -> uuid.UUID | None:
    parts = key.split("/")
    if parts[0] == "private":
        parts = parts[1:]
    if len(parts) != 4:
        return None
    try:
        return uuid.UUID(parts[2])
    except ValueError:
        return None


async def _remove_orphans(
    session: AsyncSession, store: Storage, candidates: dict[uuid.UUID, list[str]]
) -> int:
    if not candidates:
        return 0
    known = await repository.existing_ids(session, candidates)
    keys = [k for fid, ks in candidates.items() if fid not in known for k in ks]
    if keys:
        await store.delete(keys)
    return len(keys)


def _remove_old_temps(root: Path, before: float) -> int:
    removed = 0
    for path in root.iterdir():
        try:
            if path.stat().st_mtime < before:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
