"""Account jobs."""

from __future__ import annotations

from pydantic import BaseModel

from sparkle.accounts import service
from sparkle.core import runtime
from sparkle.core.db import session_scope
from sparkle.core.jobs import cron, job


class PurgeDeleted(BaseModel):
    pass


@job("accounts.purge_deleted", queue="cleanup", payload=PurgeDeleted)
async def purge_deleted(payload: PurgeDeleted) -> None:
    """Free usernames and emails of accounts deleted longer ago than the grace period."""
    rt = runtime.get()
    async with session_scope(rt.sessions) as session:
        await service.purge_deleted(session, grace_days=rt.settings.account_deletion_grace_days)


cron(
    "accounts.purge_deleted", "30 4 * * *", description="Free deleted accounts' names, daily 04:30"
)
