"""What may be uploaded where: categories, allowed types (as sniffed from the bytes), size
limits per category and the request-body limits the upload routes need."""

from __future__ import annotations

from typing import Literal

from sparkle.core.config import Settings

Category = Literal["avatar", "banner", "post", "cover", "message", "document", "video"]
CATEGORIES: tuple[str, ...] = ("avatar", "banner", "post", "cover", "message", "document", "video")

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm"}
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
EXTENSIONS = {**IMAGE_TYPES, **VIDEO_TYPES, **DOCUMENT_TYPES}
# Extensions a client may give a file of each type (the stored key uses the first).
ALIASES = {
    "image/jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "video/mp4": {"mp4", "m4v"},
    "video/webm": {"webm"},
    "application/pdf": {"pdf"},
    "application/msword": {"doc"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
}
KNOWN_EXTENSIONS = {ext for exts in ALIASES.values() for ext in exts}

# Which kinds of file each category accepts.
CATEGORY_KINDS: dict[str, set[str]] = {
    "avatar": {"image"},
    "banner": {"image"},
    "cover": {"image"},
    "post": {"image", "video"},
    "message": {"image", "video", "document"},
    "document": {"document"},
    "video": {"video"},
}
# Served inline; everything else is sent as an attachment.
INLINE_TYPES = set(IMAGE_TYPES) | set(VIDEO_TYPES)
# Room for the multipart envelope (boundaries, part headers and the small form fields).
MULTIPART_SLACK = 64 * 1024

# Image variants: fit inside a box of this many pixels, never enlarged.
VARIANTS: dict[str, int] = {"thumbnail": 150, "small": 320, "medium": 640, "large": 1280}
VARIANT_QUALITY = 80
MIME_BY_EXTENSION = {ext: mime for mime, ext in EXTENSIONS.items()} | {"json": "application/json"}


def kind_of(mime: str) -> str | None:
    if mime in IMAGE_TYPES:
        return "image"
    if mime in VIDEO_TYPES:
        return "video"
    if mime in DOCUMENT_TYPES:
        return "document"
    return None


def max_bytes(settings: Settings, category: str) -> int:
    return settings.media_category_max_bytes.get(category, settings.media_max_bytes)


def largest_limit(settings: Settings) -> int:
    return max(max_bytes(settings, c) for c in CATEGORIES)


def body_limits(settings: Settings) -> list[tuple[str, int]]:
    """Path prefixes of the upload routes and the request body each may carry (the global
    limit would refuse any real file)."""
    limit = largest_limit(settings) + MULTIPART_SLACK
    return [("/api/uploads", limit), ("/media/upload/", limit)]
