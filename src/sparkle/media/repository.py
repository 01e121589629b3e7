"""Queries of `media_files`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.media.models import MediaFile


async def get(session: AsyncSession, file_id: uuid.UUID) -> MediaFile | None:
    return await session.get(MediaFile, file_id)


async def by_hash(session: AsyncSession, user_id: uuid.UUID, sha256: str) -> MediaFile | None:
    stmt = select(MediaFile).where(MediaFile.user_id == user_id, MediaFile.sha256 == sha256)
    return (await session.scalars(stmt)).first()


async def used_bytes(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.sum(MediaFile.file_size), 0)).where(
        MediaFile.user_id == user_id
    )
    return int((await session.execute(stmt)).scalar_one())


def owned_by(user_id: uuid.UUID) -> Select[MediaFile]:
    return select(MediaFile).where(MediaFile.user_id == user_id)


async def existing_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(ids)
    if not ids:
        return set()
    rows = await session.scalars(select(MediaFile.id).where(MediaFile.id.in_(ids)))
    return set(rows.all())
