"""Media errors: refused types (415), sizes and quota (413), missing files, storage trouble."""

from __future__ import annotations

from sparkle.core.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    SparkleError,
    ValidationFailed,
)


class UnsupportedMediaType(SparkleError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, fields={"file": detail})


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"

    def __init__(self, limit: int, category: str) -> None:
        super().__init__(
            f"The file is larger than the {_mb(limit)} allowed for {category} uploads",
            fields={"file": f"At most {_mb(limit)}"},
            extra={"maxBytes": limit},
        )


class ImageTooLarge(PayloadTooLarge):
    code = "image_too_large"

    def __init__(self, pixels: int, limit: int) -> None:
        super().__init__(
            f"The image has {pixels:,} pixels; at most {limit:,} are accepted",
            fields={"file": "Too many pixels"},
            extra={"maxPixels": limit},
        )


class QuotaExceeded(PayloadTooLarge):
    code = "quota_exceeded"

    def __init__(self, size: int, remaining: int, quota: int) -> None:
        super().__init__(
            f"This upload ({_mb(size)}) exceeds your remaining storage quota of {_mb(remaining)}",
            extra={"remainingQuota": remaining, "quota": quota},
        )


class MediaNotFound(NotFound):
    code = "media_not_found"
    title = "Upload not found"


class InvalidUpload(ValidationFailed):
    code = "invalid_upload"


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"


def _mb(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.4g} MB"
    return f"{n / 1024:.4g} KB"


class InvalidSignature(Forbidden):
    code, title = "invalid_signature", "The upload URL is invalid or has expired"
