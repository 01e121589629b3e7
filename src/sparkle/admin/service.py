"""Administration of users: listing and searching them, changing a role or a ban. The accounts
domain applies the change; every change is written to the audit log."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.errors import UserNotFound
from sparkle.admin.errors import SelfChange
from sparkle.audit import service as audit_service

if TYPE_CHECKING:
    from sparkle.accounts.models import User
    from sparkle.accounts.schemas import AdminUserUpdate


async def list_users(
    session: AsyncSession, *, query: str | None, role: str | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """Users matching `query` (part of an email or username) and `role`, newest first."""
    return await accounts_service.search(
        session, query=query, role=role, cursor=cursor, limit=limit
    )


async def update_user(
    session: AsyncSession, actor: User, user_id: uuid.UUID, data: AdminUserUpdate, *, ip: str | None
) -> User:
    """Change a user's role or ban; every change is audited."""
    user = await accounts_service.get(session, user_id)
    if user is None:
        raise UserNotFound()
    changes = data.model_dump(exclude_unset=True)
    if changes.get("role", "") is None:
        del changes["role"]  # a role cannot be removed; null leaves it as it is
    if user.id == actor.id and (
        ("role" in changes and changes["role"] != user.role) or changes.get("banned_until")
    ):
        raise SelfChange()
    diff = await accounts_service.change_standing(session, user, changes)
    if diff:
        await audit_service.record(
            session, actor_id=actor.id, action="user.update", target_id=user.id, changes=diff, ip=ip
        )
    return user
