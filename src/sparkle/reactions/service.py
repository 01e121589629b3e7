"""Reactions on posts and comments: idempotent add and remove, exact counters, counts per type
and who reacted.

Adding inserts with ON CONFLICT DO NOTHING against the schema's unique constraints and counters
move only when a row was really inserted or deleted, so repeated or concurrent identical
requests leave the same state as one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.core.schemas import CursorPage
from sparkle.posts import service as posts_service
from sparkle.reactions import repository
from sparkle.reactions.events import ReactionAdded, ReactionRemoved
from sparkle.reactions.models import ReactionType
from sparkle.reactions.repository import TargetKind
from sparkle.reactions.schemas import ReactionSummary, ReactionUserRead, ReactorRead

__all__ = [
    "TargetKind",
    "list_reactors",
    "react",
    "register_target",
    "summaries",
    "summary",
    "unreact",
]


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: uuid.UUID
    post_id: uuid.UUID


# (session, viewer, target id, react) -> the target's post id, raising the owner's errors.
AccessTarget = Callable[[AsyncSession, User | None, uuid.UUID, bool], Awaitable[uuid.UUID]]
# (session, target id, delta): keeps the target's reaction counter exact.
AdjustCount = Callable[[AsyncSession, uuid.UUID, int], Awaitable[None]]


@dataclass(frozen=True)
class _TargetType:
    access: AccessTarget
    adjust_count: AdjustCount


# Targets owned by domains above reactions (comments), which register themselves here so that
# reactions need not import them.
_TARGETS: dict[TargetKind, _TargetType] = {}


def register_target(kind: TargetKind, *, access: AccessTarget, adjust_count: AdjustCount) -> None:
    """Let members react to targets of `kind`: `access` checks that the viewer may react
    (`react=True`) or only see the target and returns its post id; `adjust_count` moves its
    reaction counter."""
    _TARGETS[kind] = _TargetType(access, adjust_count)


async def _access(
    session: AsyncSession,
    viewer: User | None,
    kind: TargetKind,
    target_id: uuid.UUID,
    *,
    react: bool,
) -> Target:
    """Reacting needs a published post (and a live comment); removing a reaction or listing
    them needs only a readable one."""
    if kind == "post":
        access = posts_service.access_interactive if react else posts_service.access_readable
        post = await access(session, viewer, target_id)
        return Target("post", post.id, post.id)
    post_id = await _TARGETS[kind].access(session, viewer, target_id, react)
    return Target(kind, target_id, post_id)


async def _count(session: AsyncSession, target: Target, delta: int) -> None:
    if target.kind == "post":
        await posts_service.adjust_counters(session, target.id, reactions=delta)
    else:
        await _TARGETS[target.kind].adjust_count(session, target.id, delta)


def _event(target: Target, user: User, reaction_type: ReactionType) -> dict[str, Any]:
    return {
        "target_type": target.kind,
        "target_id": target.id,
        "post_id": target.post_id,
        "comment_id": target.id if target.kind == "comment" else None,
        "user_id": user.id,
        "type": reaction_type.value,
    }


async def react(
    session: AsyncSession,
    user: User,
    kind: TargetKind,
    target_id: uuid.UUID,
    reaction_type: ReactionType,
) -> tuple[ReactionSummary, bool]:
    """Add `user`'s reaction of `reaction_type`; returns fresh counts and whether it is new."""
    target = await _access(session, user, kind, target_id, react=True)
    added = await repository.insert(session, kind, target.id, user.id, reaction_type.value)
    if added:
        await _count(session, target, +1)
        events.publish(session, ReactionAdded(**_event(target, user, reaction_type)))
    return await summary(session, kind, target.id, user), added


async def unreact(
    session: AsyncSession,
    user: User,
    kind: TargetKind,
    target_id: uuid.UUID,
    reaction_type: ReactionType,
) -> tuple[ReactionSummary, bool]:
    """Remove `user`'s reaction of `reaction_type` if present; returns fresh counts and whether
    one was removed."""
    target = await _access(session, user, kind, target_id, react=False)
    removed = await repository.remove(session, kind, target.id, user.id, reaction_type.value)
    if removed:
        await _count(session, target, -1)
        events.publish(session, ReactionRemoved(**_event(target, user, reaction_type)))
    return await summary(session, kind, target.id, user), removed


async def summaries(
    session: AsyncSession, kind: TargetKind, target_ids: Sequence[uuid.UUID], viewer: User | None
) -> dict[uuid.UUID, ReactionSummary]:
    """Counts per type and the viewer's own reactions for many posts or comments, in one query.
    Every requested id has an entry."""
    out = {tid: ReactionSummary() for tid in target_ids}
    if not target_ids:
        return out
    rows = await repository.counts(session, kind, list(out), viewer.id if viewer else None)
    for target_id, reaction_type, count, mine in rows:
        entry = out[target_id]
        entry.reaction_counts[reaction_type] = count
        entry.reaction_count += count
        if mine:
            entry.my_reactions.append(reaction_type)
    order = list(ReactionType)
    for entry in out.values():
        entry.my_reactions.sort(key=lambda t: order.index(ReactionType(t)))
    return out


async def summary(
    session: AsyncSession, kind: TargetKind, target_id: uuid.UUID, viewer: User | None
) -> ReactionSummary:
    return (await summaries(session, kind, [target_id], viewer))[target_id]


async def list_reactors(
    session: AsyncSession,
    viewer: User | None,
    kind: TargetKind,
    target_id: uuid.UUID,
    reaction_type: ReactionType | None,
    *,
    cursor: str | None,
    limit: int,
) -> CursorPage[ReactorRead]:
    """Who reacted to a readable post or comment (of one type or all), newest first."""
    target = await _access(session, viewer, kind, target_id, react=False)
    rows, next_cursor = await repository.reactors(
        session,
        kind,
        target.id,
        reaction_type.value if reaction_type else None,
        cursor=cursor,
        limit=limit,
    )
    items = [
        ReactorRead(
            user=ReactionUserRead(
                id=reaction.user_id,
                username=username,
                display_name=display_name or username,
                avatar_url=avatar,
            ),
            type=reaction.reaction_type,
            created_at=reaction.created_at,
        )
        for reaction, username, display_name, avatar in rows
    ]
    return CursorPage[ReactorRead](items=items, next_cursor=next_cursor)
