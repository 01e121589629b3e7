"""`/api/admin/email`: the log of sent mail, for support (ADMIN only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sparkle.auth.deps import AdminUser
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import Forbidden, Unauthorized, ValidationFailed, problem_responses
from sparkle.core.schemas import CursorPage
from sparkle.email import service
from sparkle.email.schemas import EmailLogRead

router = APIRouter(prefix="/api/admin/email", tags=["email"])


@router.get(
    "/log",
    response_model=CursorPage[EmailLogRead],
    summary="List sent, queued and failed mail, newest first",
    responses=problem_responses(ValidationFailed, Unauthorized, Forbidden),
)
async def email_log(
    admin: AdminUser,
    db: DbSession,
    rt: RuntimeDep,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    address: Annotated[
        str | None, Query(max_length=320, description="An address; matched by its hash")
    ] = None,
    status: Literal["queued", "sent", "failed", "bounced", "skipped", "deferred"] | None = None,
    template: Annotated[str | None, Query(max_length=50)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CursorPage[EmailLogRead]:
    rows, next_cursor = await service.list_log(
        db,
        rt,
        user_id=user_id,
        address=address,
        status=status,
        template=template,
        cursor=cursor,
        limit=limit,
    )
    return CursorPage(items=[EmailLogRead.model_validate(r) for r in rows], next_cursor=next_cursor)
