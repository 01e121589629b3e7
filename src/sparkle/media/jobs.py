"""Media jobs: video posters (`video-processing` queue), deferred object deletion and the
hourly cleanup of temp files and orphaned objects."""

from __future__ import annotations

import uuid

import structlog
from pydantic import BaseModel, ConfigDict, Field

from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope
from sparkle.media import service

log = structlog.get_logger(__name__)


class ProcessVideo(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    file_id: uuid.UUID = Field(alias="fileId")


class DeleteObjects(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[str]


class Cleanup(BaseModel):
    model_config = ConfigDict(extra="forbid")


@jobs.job(
    service.PROCESS_VIDEO, queue="video-processing", payload=ProcessVideo, timeout=900, heartbeat=30
)
async def process_video(payload: ProcessVideo) -> None:
    """Probe the video, store its poster frame's variants and blurhash (idempotent)."""
    async with session_scope(runtime.get().sessions) as session:
        await service.process_video(session, payload.file_id)


@jobs.job(service.DELETE_OBJECTS, queue="cleanup", payload=DeleteObjects)
async def delete_objects(payload: DeleteObjects) -> None:
    """Remove a deleted file's objects (absent keys are fine: the job may run twice)."""
    await service.delete_objects(payload.keys)


@jobs.job("media.cleanup", queue="cleanup", payload=Cleanup, timeout=3600)
async def cleanup(payload: Cleanup) -> None:
    """Temp files older than 24 h, stored objects no record refers to older than 48 h."""
    async with session_scope(runtime.get().sessions, write=False) as session:
        removed = await service.cleanup(session)
    log.info("media_cleanup", **removed)


jobs.cron(
    "media.cleanup",
    "0 * * * *",
    description="Remove stale upload temp files and orphaned media objects",
)
