"""Socket routes of the reactions domain: `reactionAdded` / `reactionRemoved` with fresh counts
to the post's room."""

from __future__ import annotations

from typing import Any

from sparkle import realtime
from sparkle.reactions import service
from sparkle.reactions.events import ReactionAdded, ReactionEvent, ReactionRemoved
from sparkle.realtime.schemas import ReactionAddedOut, ReactionOut, ReactionRemovedOut


async def _counts(ctx: Any, event: ReactionEvent) -> dict[str, int]:
    async with ctx.sessions() as session:
        summary = await service.summary(session, event.target_type, event.target_id, None)
    return summary.reaction_counts


@realtime.route(ReactionAdded)
async def _added(ctx: Any, event: ReactionAdded) -> None:
    out = ReactionAddedOut(
        entity_type=event.target_type,
        entity_id=event.target_id,
        post_id=event.post_id,
        reaction=ReactionOut(user_id=event.user_id, type=event.type),
        counts=await _counts(ctx, event),
    )
    await ctx.emit("reactionAdded", out.wire(), f"post:{event.post_id}")


@realtime.route(ReactionRemoved)
async def _removed(ctx: Any, event: ReactionRemoved) -> None:
    out = ReactionRemovedOut(
        entity_type=event.target_type,
        entity_id=event.target_id,
        post_id=event.post_id,
        reaction_type=event.type,
        user_id=event.user_id,
        counts=await _counts(ctx, event),
    )
    await ctx.emit("reactionRemoved", out.wire(), f"post:{event.post_id}")
