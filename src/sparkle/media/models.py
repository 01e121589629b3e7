"""Uploaded media files (seed 003's `media_files`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparkle.core.db import Base, UUIDPrimaryKey, utcnow
from sparkle.core.db.base import JSONType


class MediaFile(UUIDPrimaryKey, Base):
    __tablename__ = "media_files"
    __table_args__ = (
        # Dedup: one record per user and content; also the lookup of a re-upload.
        Index("uq_media_files_user_id_sha256", "user_id", "sha256", unique=True),
        Index("ix_media_files_user_id_created_at_id", "user_id", "created_at", "id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    file_type: Mapped[str] = mapped_column(String(16))  # image | video | document
    category: Mapped[str] = mapped_column(String(16))
    file_size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(Text)
    cdn_url: Mapped[str | None] = mapped_column(Text)
    thumbnail_url: Mapped[str | None] = mapped_column(Text)
    blurhash: Mapped[str | None] = mapped_column(String(64))
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    duration: Mapped[float | None] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    # {hash, variants: {name: key}, keys: [every stored key], ...}; `metadata` is taken by
    # SQLAlchemy's declarative base, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    is_public: Mapped[bool] = mapped_column(default=True)
    processed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
