"""`GET /api/presence`: presence over HTTP, for pages and clients without a socket."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from sparkle import realtime
from sparkle.accounts import service as accounts_service
from sparkle.auth.deps import CurrentUser
from sparkle.core.deps import DbSession
from sparkle.core.errors import Unauthorized, ValidationFailed, problem_responses
from sparkle.core.schemas import Schema
from sparkle.realtime.schemas import MAX_PRESENCE_IDS, PresenceRead

router = APIRouter(prefix="/api", tags=["realtime"])


class PresenceMap(Schema):
    presence: dict[str, PresenceRead]
    usernames: dict[str, uuid.UUID]


def _split(value: str | None, field: str) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(items) > MAX_PRESENCE_IDS:
        raise ValidationFailed("Too many users", fields={field: f"At most {MAX_PRESENCE_IDS}"})
    return items


@router.get(
    "/presence",
    response_model=PresenceMap,
    summary="Presence of many users",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def get_presence(
    user: CurrentUser,
    db: DbSession,
    user_ids: Annotated[
        str | None, Query(alias="userIds", description="Comma-separated user ids")
    ] = None,
    usernames: Annotated[str | None, Query(description="Comma-separated usernames")] = None,
) -> PresenceMap:
    """Status, last seen and device count of up to 500 users, by id and/or username (invisible
    users show as offline). `usernames` maps each found username to its id."""
    try:
        ids = [uuid.UUID(v) for v in _split(user_ids, "userIds")]
    except ValueError:
        raise ValidationFailed("Invalid user id", fields={"userIds": "Must be UUIDs"}) from None
    names = await accounts_service.ids_by_username(db, _split(usernames, "usernames"))
    wanted = list(dict.fromkeys([*ids, *names.values()]))[:MAX_PRESENCE_IDS]
    return PresenceMap(presence=await realtime.get_presence(wanted), usernames=names)
