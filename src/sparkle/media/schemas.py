"""Media schemas (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from sparkle.core.schemas import InputSchema, Schema
from sparkle.media.policy import Category


class Dimensions(Schema):
    width: int
    height: int


class UploadRead(Schema):
    """An uploaded file. Private files' URLs are signed and expire after a few minutes."""

    id: uuid.UUID
    url: str
    cdn_url: str | None = None
    thumbnail_url: str | None = None
    file_size: int
    mime_type: str
    file_type: Literal["image", "video", "document"]
    category: str
    original_name: str
    dimensions: Dimensions | None = None
    duration: float | None = None
    blurhash: str | None = None
    variants: dict[str, str] = Field(default_factory=dict)
    is_public: bool
    status: Literal["processing", "ready"]
    pages: int | None = None
    animated: bool = False
    codec: str | None = None
    created_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0193a5c2-1f00-7c4e-8d2a-5b6f7e8d9c0a",
                "url": "/media/post/0193a5c2-.../0193a5c2-.../original.jpg",
                "cdnUrl": "/media/post/0193a5c2-.../0193a5c2-.../original.jpg",
                "thumbnailUrl": "/media/post/0193a5c2-.../0193a5c2-.../thumbnail.webp",
                "fileSize": 2481934,
                "mimeType": "image/jpeg",
                "fileType": "image",
                "category": "post",
                "originalName": "sunset.jpg",
                "dimensions": {"width": 4000, "height": 3000},
                "blurhash": "LKO2?U%2Tw=w]~RBVZRi};RPxuwH",
                "variants": {"thumbnail": "...", "small": "...", "medium": "...", "large": "..."},
                "isPublic": True,
                "status": "ready",
                "createdAt": "2026-11-22T10:00:00Z",
            }
        }
    )


class UploadPage(Schema):
    items: list[UploadRead]
    next_cursor: str | None = None


class UploadProgress(Schema):
    upload_id: uuid.UUID
    progress: int = Field(ge=0, le=100)
    status: Literal["preparing", "uploading", "processing", "completed", "failed"]
    error: str | None = None


class PresignRequest(InputSchema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100)
    size: int = Field(gt=0)
    category: Category
    is_public: bool = True

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "filename": "sunset.jpg",
                "contentType": "image/jpeg",
                "size": 2481934,
                "category": "post",
            }
        }
    )


class PresignRead(Schema):
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    file_id: uuid.UUID
    key: str
    expires_at: datetime
