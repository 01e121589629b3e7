"""Accounts and profiles: creation, lookup, profile edits, visibility, purge of deleted accounts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import repository
from sparkle.accounts.errors import ProfileForbidden, UserExists, UserNotFound
from sparkle.accounts.events import UserBanned, UserRegistered, UserUpdated
from sparkle.accounts.models import Profile, Role, User
from sparkle.accounts.schemas import (
    ProfileRead,
    ProfileUpdate,
    PublicProfileRead,
    UserRead,
    UserRef,
)
from sparkle.audit import service as audit_service
from sparkle.core import events
from sparkle.core.db import keyset_page, utcnow


async def create(
    session: AsyncSession,
    *,
    email: str,
    username: str,
    hashed_password: str | None,
    role: Role = Role.USER,
    verified: bool = False,
) -> User:
    """Create a user and their profile (display name = username) in the caller's transaction."""
    fields = {}
    if await repository.email_taken(session, email):
        fields["email"] = "An account with this email already exists"
    if await repository.username_taken(session, username):
        fields["username"] = "This username is taken"
    if fields:
        raise UserExists(
            "User with this " + " and ".join(fields) + " already exists", fields=fields
        )
    user = User(
        email=email,
        username=username,
        hashed_password=hashed_password,
        role=role.value,
        email_verified=utcnow() if verified else None,
    )
    user.profile = Profile(display_name=username)
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:  # lost a race with a concurrent registration
        fields = {}
        if await repository.email_taken(session, email):
            fields["email"] = "An account with this email already exists"
        if await repository.username_taken(session, username):
            fields["username"] = "This username is taken"
        raise UserExists(fields=fields) from exc
    events.publish(session, UserRegistered(user_id=user.id, username=username))
    return user


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await repository.get(session, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await repository.get_by_email(session, email)


async def user_refs(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, UserRef]:
    """id → `UserRef` of the live accounts among `ids` (deleted ones are left out), one query."""
    rows = await repository.refs(session, set(ids))
    return {
        uid: UserRef(id=uid, username=name, display_name=shown, avatar_url=avatar)
        for uid, name, shown, avatar in rows.values()
    }


async def ids_by_username(
    session: AsyncSession, usernames: Collection[str]
) -> dict[str, uuid.UUID]:
    """`{username: id}` of the live accounts among `usernames`, matched case-insensitively;
    the keys are spelled as asked."""
    return await repository.ids_by_username(session, usernames)


async def access_by_username(session: AsyncSession, username: str) -> User:
    user = await repository.get_by_username(session, username)
    if user is None:
        raise UserNotFound()
    return user


def to_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        username=user.username,
        role=user.role,
        email_verified=user.email_verified,
        two_factor_enabled=user.totp_enabled_at is not None,
        total_points=user.total_points,
        created_at=user.created_at,
        profile=ProfileRead.model_validate(user.profile),
    )


def _privileged(user: User, viewer: User | None) -> bool:
    return viewer is not None and (viewer.id == user.id or viewer.role == Role.ADMIN)


def profile_visible(user: User, viewer: User | None) -> bool:
    """Whether `viewer` sees more of `user` than username, display name and avatar."""
    return user.profile.is_public or _privileged(user, viewer)


def public_view(user: User, viewer: User | None) -> PublicProfileRead:
    """A private profile shows only username, display name and avatar to others."""
    p = user.profile
    privileged = _privileged(user, viewer)
    base = PublicProfileRead(
        id=user.id,
        username=user.username,
        display_name=p.display_name,
        avatar_url=p.avatar_url,
        is_public=p.is_public,
    )
    if not p.is_public and not privileged:
        return base
    return base.model_copy(
        update={
            "email": user.email if (p.show_email or privileged) else None,
            "role": user.role,
            "created_at": user.created_at,
            "bio": p.bio,
            "banner_url": p.banner_url,
            "location": p.location,
            "website": p.website,
            "pronouns": p.pronouns,
            "timezone": p.timezone,
            "social_links": p.social_links,
            "accent_color": p.accent_color,
        }
    )


async def access_for_profile_edit(session: AsyncSession, actor: User, user_id: uuid.UUID) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise UserNotFound()
    if actor.id != user.id and actor.role != Role.ADMIN:
        raise ProfileForbidden()
    return user


async def update_profile(
    session: AsyncSession, actor: User, user: User, data: ProfileUpdate, *, ip: str | None = None
) -> User:
    """Apply a validated partial update to `user`'s profile."""
    changes = data.changes()
    nullable = {
        "bio",
        "avatar_url",
        "banner_url",
        "location",
        "website",
        "pronouns",
        "social_links",
    }
    for key, value in changes.items():
        if value is None and key not in nullable:
            continue  # a null for a required field leaves it unchanged
        setattr(user.profile, key, value)
    user.updated_at = utcnow()
    await session.flush()
    if actor.id != user.id:
        await audit_service.record(
            session,
            actor_id=actor.id,
            action="profile.update",
            target_id=user.id,
            changes=changes,
            ip=ip,
        )
    events.publish(session, UserUpdated(user_id=user.id))
    return user


async def search(
    session: AsyncSession, *, query: str | None, role: str | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """One keyset page of the users whose email or username contains `query`, of `role`,
    newest first (the administration's user list)."""
    stmt = repository.search_statement(query, role)
    return await keyset_page(
        session, stmt, sort_col=User.created_at, id_col=User.id, cursor=cursor, limit=limit
    )


async def change_standing(
    session: AsyncSession, user: User, changes: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Apply an administrator's `changes` to `user`'s `role` and `banned_until`; returns what
    really changed, `{field: {"from": old, "to": new}}` (nothing is written when it is empty).
    A ban that is in force publishes `user:banned`. The caller checks who may do this."""
    diff = {
        k: {"from": getattr(user, k), "to": v} for k, v in changes.items() if getattr(user, k) != v
    }
    if not diff:
        return diff
    for key, change in diff.items():
        setattr(user, key, change["to"])
    user.updated_at = utcnow()
    await session.flush()
    if "banned_until" in changes and user.banned_until and user.banned_until > utcnow():
        events.publish(session, UserBanned(user_id=user.id))
    return diff


async def purge_deleted(
    session: AsyncSession, *, grace_days: int, now: datetime | None = None
) -> int:
    """Free the usernames and emails of accounts deleted more than `grace_days` ago."""
    cutoff = (now or utcnow()) - timedelta(days=grace_days)
    users = await repository.deleted_before(session, cutoff)
    for user in users:
        tag = user.id.hex[:12]
        user.username = f"deleted-{tag}"
        user.email = f"deleted+{user.id.hex}@invalid.sparkle"
        user.deleted_username = None
        user.hashed_password = None
    await session.flush()
    return len(users)
