"""Upload progress: short-lived entries in Redis when there is one (every process sees them),
else in this process; each change is also published as an `uploadProgress` event for the
uploader's `user:{id}` room through the realtime layer. Ephemeral, so it skips the
after-commit buffer."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog

from sparkle import realtime
from sparkle.core import runtime

log = structlog.get_logger(__name__)

TTL_SECONDS = 3600
_memory: dict[str, tuple[float, dict[str, Any]]] = {}


def _key(upload_id: uuid.UUID) -> str:
    return f"media:progress:{upload_id}"


async def update(
    upload_id: uuid.UUID,
    user_id: uuid.UUID,
    progress: int,
    status: str,
    error: str | None = None,
) -> None:
    entry = {
        "uploadId": str(upload_id),
        "userId": str(user_id),
        "progress": max(0, min(100, int(progress))),
        "status": status,
        "error": error,
    }
    now = time.monotonic()
    _memory[str(upload_id)] = (now + TTL_SECONDS, entry)
    for key in [k for k, (exp, _) in _memory.items() if exp < now]:
        _memory.pop(key, None)
    redis = _redis()
    if redis is not None:
        await redis.set(_key(upload_id), json.dumps(entry), ex=TTL_SECONDS)
    payload = {k: v for k, v in entry.items() if k != "userId"}
    try:
        await realtime.emit("uploadProgress", payload, f"user:{user_id}")
    except Exception:  # noqa: BLE001 - progress is best effort: it never fails an upload
        log.warning("upload_progress_emit_failed", upload_id=str(upload_id))


async def get(upload_id: uuid.UUID) -> dict[str, Any] | None:
    redis = _redis()
    if redis is not None:
        raw = await redis.get(_key(upload_id))
        if raw:
            return json.loads(raw)
    item = _memory.get(str(upload_id))
    if item is None or item[0] < time.monotonic():
        return None
    return item[1]


def _redis() -> Any:
    try:
        return runtime.get().redis
    except RuntimeError:
        return None
