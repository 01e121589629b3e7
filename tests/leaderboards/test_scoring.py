"""Scoring rules: what earns points, with which weights, and what never counts."""

from __future__ import annotations

from sparkle.accounts.models import User
from sparkle.comments import service as comments_service
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from sparkle.leaderboards.scoring import (
    COMMENT_POINTS,
    FOLLOWER_POINTS,
    POST_POINTS,
    REACTION_POINTS,
)
from sparkle.posts.models import Post, PostStatus
from tests.conftest import Account
from tests.factories.content import create_comment, create_post, set_post_status
from tests.leaderboards.helpers import follow, move, react, recompute, scores, standings


async def test_each_kind_of_activity_earns_its_weight(rt: Runtime, make_account) -> None:  # type: ignore[no-untyped-def]
    star = await make_account(username="lb_star")
    fan = await make_account(username="lb_fan")
    post = await create_post(rt, star.user)
    assert await recompute(rt)
    assert await scores(rt) == {"lb_star": POST_POINTS}

    await react(rt, fan.user, post.id)
    await follow(rt, fan.user, star.user)
    comment = await create_comment(rt, fan.user, post.id, "Love it")
    await react(rt, star.user, comment.id, kind="comment")
    await recompute(rt)
    assert await scores(rt) == {
        "lb_star": POST_POINTS + REACTION_POINTS + FOLLOWER_POINTS + COMMENT_POINTS,
        "lb_fan": REACTION_POINTS,  # the star liked the fan's comment
    }


async def test_self_actions_never_count(rt: Runtime, owner: Account, other: Account) -> None:
    post = await create_post(rt, owner.user)
    await react(rt, owner.user, post.id)
    await react(rt, owner.user, post.id, type="LOVE")
    mine = await create_comment(rt, owner.user, post.id, "My own comment")
    await react(rt, owner.user, mine.id, kind="comment")
    await recompute(rt)
    assert await scores(rt) == {"owner_user": POST_POINTS}
    # The other user's comment on the same post counts, but not their like on their own comment.
    theirs = await create_comment(rt, other.user, post.id, "Nice")
    await react(rt, other.user, theirs.id, kind="comment")
    await recompute(rt)
    assert await scores(rt) == {"owner_user": POST_POINTS + COMMENT_POINTS}


async def test_one_person_counts_once_per_post_whatever_the_reaction_types(
    rt: Runtime,
    owner: Account,
    other: Account,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    post = await create_post(rt, owner.user)
    for kind in ("LIKE", "LOVE", "WOW", "LAUGH"):
        await react(rt, other.user, post.id, type=kind)
    third = await make_account(username="lb_third")
    await react(rt, third.user, post.id)
    await recompute(rt)
    assert (await scores(rt))["owner_user"] == POST_POINTS + 2 * REACTION_POINTS


async def test_deleted_and_removed_content_counts_for_nothing(
    rt: Runtime, owner: Account, other: Account
) -> None:
    kept = await create_post(rt, owner.user)
    removed = await create_post(rt, owner.user)
    deleted = await create_post(rt, owner.user)
    for post in (kept, removed, deleted):
        await react(rt, other.user, post.id)
        await create_comment(rt, other.user, post.id, "Great")
    dropped = await create_comment(rt, owner.user, kept.id, "Thanks!")
    await react(rt, other.user, dropped.id, kind="comment")
    await recompute(rt)
    per_post = POST_POINTS + REACTION_POINTS + COMMENT_POINTS
    assert await scores(rt) == {"owner_user": 3 * per_post + REACTION_POINTS}

    await set_post_status(rt, removed.id, PostStatus.REMOVED)
    await move(rt, Post, deleted.id, deleted_at=utcnow())
    async with session_scope(rt.sessions) as session:
        await comments_service.delete(session, owner.user, dropped.id)
    await recompute(rt)
    assert await scores(rt) == {"owner_user": per_post}


async def test_deleted_comment_earns_the_post_author_nothing(
    rt: Runtime, owner: Account, other: Account
) -> None:
    post = await create_post(rt, owner.user)
    comment = await create_comment(rt, other.user, post.id, "First!")
    async with session_scope(rt.sessions) as session:
        await comments_service.delete(session, other.user, comment.id)
    await recompute(rt)
    assert await scores(rt) == {"owner_user": POST_POINTS}


async def test_drafts_score_nothing_and_archived_posts_keep_their_points(
    rt: Runtime, owner: Account, other: Account
) -> None:
    await create_post(rt, owner.user, status=PostStatus.DRAFT)
    archived = await create_post(rt, owner.user)
    await react(rt, other.user, archived.id)
    await set_post_status(rt, archived.id, PostStatus.ARCHIVED)
    await recompute(rt)
    assert await scores(rt) == {"owner_user": POST_POINTS + REACTION_POINTS}


async def test_deleted_accounts_neither_rank_nor_give_points(
    rt: Runtime,
    owner: Account,
    other: Account,
    make_account,  # type: ignore[no-untyped-def]
) -> None:
    post = await create_post(rt, owner.user)
    gone = await make_account(username="lb_gone")
    await react(rt, gone.user, post.id)
    await follow(rt, gone.user, owner.user)
    await create_comment(rt, gone.user, post.id, "Bye")
    await create_post(rt, gone.user)
    await react(rt, other.user, post.id)
    await recompute(rt)
    assert set(await scores(rt)) == {"owner_user", "lb_gone"}

    await move(rt, User, gone.id, deleted_at=utcnow())
    await recompute(rt)
    assert await scores(rt) == {"owner_user": POST_POINTS + REACTION_POINTS}


async def test_ties_share_a_rank(rt: Runtime, make_account) -> None:  # type: ignore[no-untyped-def]
    a, b, c, d = [await make_account(username=f"lb_tie_{n}") for n in "abcd"]
    for author, posts in ((a, 3), (b, 2), (c, 2), (d, 1)):
        for _ in range(posts):
            await create_post(rt, author.user)
    await recompute(rt)
    board = await standings(rt)
    assert board == {
        "lb_tie_a": (1, 3 * POST_POINTS),
        "lb_tie_b": (2, 2 * POST_POINTS),
        "lb_tie_c": (2, 2 * POST_POINTS),
        "lb_tie_d": (4, POST_POINTS),
    }
    order = list(board)
    assert order[0] == "lb_tie_a" and order[3] == "lb_tie_d"
