"""Administration of users, and the audit log every administrative change is written to."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.events import UserBanned
from sparkle.admin.models import AuditLog
from sparkle.core import events
from sparkle.core.db import keyset_page, utcnow
from sparkle.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from sparkle.accounts.models import User
    from sparkle.accounts.schemas import AdminUserUpdate


async def record(
    session: AsyncSession,
    *,
    actor: User | None,
    action: str,
    target: User,
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Write one audit entry in the caller's transaction."""
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        action=action,
        target_type="user",
        target_id=str(target.id),
        changes=_jsonable(changes),
        ip_address=ip,
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_users(
    session: AsyncSession, *, query: str | None, role: str | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    from sparkle.accounts import repository as accounts_repository
    from sparkle.accounts.models import User

    stmt = accounts_repository.search_statement(query, role)
    return await keyset_page(
        session, stmt, sort_col=User.created_at, id_col=User.id, cursor=cursor, limit=limit
    )


async def update_user(
    session: AsyncSession, actor: User, user_id: uuid.UUID, data: AdminUserUpdate, *, ip: str | None
) -> User:
    """Change a user's role or ban; every change is audited."""
    from sparkle.accounts import repository as accounts_repository

    user = await accounts_repository.get(session, user_id)
    if user is None:
        raise NotFound("User not found", code="user_not_found")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("role", "") is None:
        del changes["role"]  # a role cannot be removed; null leaves it as it is
    if user.id == actor.id and (
        ("role" in changes and changes["role"] != user.role) or changes.get("banned_until")
    ):
        raise Forbidden("Admins cannot change their own role or ban themselves", code="self_change")
    # Only what actually changes is applied and audited.
    diff = {
        k: {"from": getattr(user, k), "to": v} for k, v in changes.items() if getattr(user, k) != v
    }
    if not diff:
        return user
    for key, change in diff.items():
        setattr(user, key, change["to"])
    user.updated_at = utcnow()
    await session.flush()
    await record(session, actor=actor, action="user.update", target=user, changes=diff, ip=ip)
    if "banned_until" in changes and user.banned_until and user.banned_until > utcnow():
        events.publish(session, UserBanned(user_id=user.id))
    return user


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
