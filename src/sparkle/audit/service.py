"""Writing the audit log, in the transaction of the change it records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.audit.models import AuditLog


async def record(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    target_id: uuid.UUID,
    target_type: str = "user",
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Write one audit entry in the caller's transaction."""
    entry = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        changes=_jsonable(changes),
        ip_address=ip,
    )
    session.add(entry)
    await session.flush()
    return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
