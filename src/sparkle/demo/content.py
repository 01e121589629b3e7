"""Demo content for `sparkle seed-demo`: a bulk load of categories, tags, rich posts, threaded
comments and reactions with every denormalised counter exact, written through the owning
domains' bulk imports."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from rich.progress import Progress, TaskID
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sparkle.accounts.models import User
from sparkle.comments import bulk as comments_bulk
from sparkle.core.db import session_scope
from sparkle.core.db.base import new_id
from sparkle.demo.vocabulary import CATEGORIES, TAGS, Vocabulary
from sparkle.posts import bulk as posts_bulk
from sparkle.posts.models import PostStatus
from sparkle.posts.tags import MAX_TAGS, slugify
from sparkle.reactions import bulk as reactions_bulk
from sparkle.reactions.models import ReactionType

# Rows generated between two writes (each write is its own transaction).
ROWS_PER_INSERT = 1000
SPREAD = timedelta(days=60)
MAX_REPLY_DEPTH = 3
REACTION_TYPES = [t.value for t in ReactionType]
REACTION_WEIGHTS = [50, 20, 12, 8, 6, 4]
SLUG_CHARS = string.ascii_lowercase + string.digits


@dataclass
class ContentReport:
    categories: int = 0
    tags: int = 0
    posts: int = 0
    comments: int = 0
    reactions: int = 0
    long_thread: str | None = None  # the slug of the post given a long thread


@dataclass(slots=True)
class _Target:
    """A post or comment that receives comments or reactions, with how many it will get."""

    id: uuid.UUID
    created_at: datetime
    reactions: int = 0
    comments: int = 0


@dataclass(slots=True)
class _PlannedPost:
    target: _Target
    title: str
    slug: str
    status: PostStatus
    published_at: datetime | None


def _weights(rng: random.Random, n: int, alpha: float) -> list[float]:
    # Pareto weights, capped: a few authors, posts and comments draw most of the attention,
    # but no single one draws nearly all of it.
    return list(accumulate(min(50.0, rng.paretovariate(alpha)) for _ in range(n)))


def _counts(
    rng: random.Random, n: int, total: int, cum_weights: Sequence[float], cap: int | None = None
) -> list[int]:
    """Deal `total` items among `n` slots by weight, at most `cap` per slot (what does not fit
    is dealt again among the slots with room)."""
    counts = [0] * n
    if not n:
        return counts
    for i in rng.choices(range(n), cum_weights=cum_weights, k=total):
        counts[i] += 1
    if cap is None:
        return counts
    overflow = sum(max(0, c - cap) for c in counts)
    counts = [min(c, cap) for c in counts]
    room = [i for i in range(n) if counts[i] < cap]
    while overflow and room:
        i = rng.choice(room)
        counts[i] += 1
        overflow -= 1
        if counts[i] == cap:
            room.remove(i)
    return counts


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=rng.uniform(0, span))


class ContentSeeder:
    """Loads content through the domains' bulk imports (multi-row INSERTs, without the per-row
    services' events): the counters a service would keep are computed while generating, then
    checked against aggregates at the end."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        seed: int,
        media_origin: str,
        progress: Progress,
        now: datetime | None = None,
    ) -> None:
        self.sessions = sessions
        self.rng = random.Random(seed ^ 0x5EED)  # noqa: S311 - reproducible demo data
        self.seed = seed
        self.media_origin = media_origin
        self.progress = progress
        self.now = now or datetime.now(UTC)
        self.report = ContentReport()
        self.long_thread_post: uuid.UUID | None = None

    async def run(
        self, *, posts: int, comments: int, reactions: int, long_thread: int
    ) -> ContentReport:
        async with session_scope(self.sessions) as session:
            users = list(
                (await session.scalars(select(User.id).where(User.deleted_at.is_(None)))).all()
            )
        if not users:
            return self.report
        users.sort()  # the same seed picks the same people whatever order the database returns
        vocab = Vocabulary(self.rng, self.seed, self.media_origin) if posts or comments else None
        async with session_scope(self.sessions) as session:
            before = await reactions_bulk.count(session)
            categories = await self._categories(session)
            tags, self.report.tags = await posts_bulk.import_tags(session, TAGS)
        planned = await self._plan_posts(vocab, posts) if posts else []
        targets = [p.target for p in planned if p.status == PostStatus.PUBLISHED]
        targets = targets or await self._published_posts()
        comment_reactions = round(reactions * 0.35) if comments and targets else 0
        # Every count is decided before the rows are written, so that each row carries its
        # final counters: a later UPDATE would rewrite (and re-index) every post.
        self._deal_comments(targets, comments, long_thread)
        self._deal_reactions(users, targets, reactions - comment_reactions)
        if planned:
            await self._insert_posts(vocab, users, planned, categories, tags)
        comment_targets = await self._comments(users, vocab, targets, comment_reactions)
        await self._reactions(users, targets, "post_id", "Post reactions")
        await self._reactions(users, comment_targets, "comment_id", "Comment reactions")
        await self.recount()
        async with session_scope(self.sessions) as session:
            after = await reactions_bulk.count(session)
        # Reactions an earlier run already made are skipped by the unique constraint.
        self.report.reactions = after - before
        return self.report

    async def _categories(self, session: AsyncSession) -> list[uuid.UUID]:
        existing = await posts_bulk.category_ids(session)
        if existing:
            return existing
        rows: list[dict[str, Any]] = []
        for position, (name, icon, color, description, children) in enumerate(CATEGORIES):
            parent = new_id()
            rows.append(self._category(parent, name, None, position, icon, color, description))
            for i, child in enumerate(children):
                rows.append(self._category(new_id(), child, parent, i, icon, color, None))
        await posts_bulk.import_categories(session, rows)
        self.report.categories = len(rows)
        return [r["id"] for r in rows]

    def _category(
        self, ident: uuid.UUID, name: str, parent: uuid.UUID | None, position: int,
        icon: str, color: str, description: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "id": ident,
            "name": name,
            "slug": slugify(name, 50),
            "description": description,
            "parent_id": parent,
            "icon": icon,
            "color": color,
            "position": position,
            "created_at": self.now - SPREAD,
        }

    async def _plan_posts(self, vocab: Vocabulary | None, count: int) -> list[_PlannedPost]:
        """Titles, unique slugs, statuses and dates of `count` new posts."""
        assert vocab is not None
        rng = self.rng
        async with session_scope(self.sessions) as session:
            taken = await posts_bulk.taken_slugs(session)
        planned: list[_PlannedPost] = []
        for _ in range(count):
            title = vocab.title()
            base = slugify(title, 80) or "post"
            slug = f"{base}-{''.join(rng.choices(SLUG_CHARS, k=6))}"
            while slug in taken:
                slug = f"{base}-{''.join(rng.choices(SLUG_CHARS, k=6))}"
            taken.add(slug)
            roll = rng.random()
            status = (
                PostStatus.PUBLISHED if roll < 0.94 else PostStatus.DRAFT if roll < 0.98
                else PostStatus.ARCHIVED
            )  # fmt: skip
            published_at = None if status == PostStatus.DRAFT else self.now - rng.random() * SPREAD
            created_at = (published_at or self.now - rng.random() * SPREAD) - timedelta(
                minutes=rng.uniform(5, 2880)
            )
            target = _Target(new_id(), published_at or created_at)
            planned.append(_PlannedPost(target, title, slug, status, published_at))
        return planned

    def _deal_comments(self, posts: list[_Target], count: int, long_thread: int) -> None:
        """Share `count` comments among `posts`, a few posts drawing most of them."""
        if not count or not posts:
            return
        rng = self.rng
        per_post = _counts(rng, len(posts), count, _weights(rng, len(posts), 1.2))
        if long_thread and count >= 2 * long_thread and len(posts) > 1:
            # The newest post gets a long thread of exactly `long_thread` comments, to show (and
            # measure) a busy post page; its share goes to, or comes from, the other posts.
            hot = max(range(len(posts)), key=lambda i: posts[i].created_at)
            spare, per_post[hot] = per_post[hot] - long_thread, long_thread
            others = [i for i in range(len(posts)) if i != hot]
            for i in rng.choices(others, k=max(0, spare)):
                per_post[i] += 1
            for _ in range(max(0, -spare)):
                i = rng.choice(others)
                while per_post[i] == 0:
                    i = rng.choice(others)
                per_post[i] -= 1
            self.long_thread_post = posts[hot].id
        for post, n in zip(posts, per_post, strict=True):
            post.comments = n

    def _deal_reactions(self, users: list[uuid.UUID], targets: list[_Target], total: int) -> None:
        if not total or not targets:
            return
        capacity = len(users) * len(REACTION_TYPES)
        weights = _weights(self.rng, len(targets), 1.2)
        counts = _counts(self.rng, len(targets), total, weights, capacity)
        for target, n in zip(targets, counts, strict=True):
            target.reactions = n

    async def _insert_posts(
        self,
        vocab: Vocabulary | None,
        users: list[uuid.UUID],
        planned: list[_PlannedPost],
        categories: list[uuid.UUID],
        tags: list[uuid.UUID],
    ) -> None:
        """Insert the planned posts with their tags and final counters."""
        assert vocab is not None
        rng = self.rng
        authors = _weights(rng, len(users), 1.5)
        tag_weights = list(accumulate(1 / (i + 1) for i in range(len(tags))))
        task = self.progress.add_task("Posts", total=len(planned))
        step = ROWS_PER_INSERT * 5
        for start in range(0, len(planned), step):
            post_rows: list[dict[str, Any]] = []
            tag_rows: list[dict[str, Any]] = []
            for plan in planned[start : start + step]:
                post_rows.append(self._post_row(vocab, plan, users, authors, categories))
                chosen = rng.choices(tags, cum_weights=tag_weights, k=rng.randint(0, MAX_TAGS))
                for position, tag_id in enumerate(dict.fromkeys(chosen)):
                    tag_rows.append(
                        {"post_id": plan.target.id, "tag_id": tag_id, "position": position}
                    )
            async with session_scope(self.sessions) as session:
                await posts_bulk.import_posts(session, post_rows, tag_rows)
            self.progress.advance(task, len(post_rows))
        self.report.posts = len(planned)

    def _post_row(
        self,
        vocab: Vocabulary,
        plan: _PlannedPost,
        users: list[uuid.UUID],
        authors: list[float],
        categories: list[uuid.UUID],
    ) -> dict[str, Any]:
        rng = self.rng
        doc, rendered = rng.choice(vocab.documents)
        created_at = plan.target.created_at
        if plan.published_at is not None:
            created_at -= timedelta(minutes=rng.uniform(5, 2880))
        return {
            "id": plan.target.id,
            "author_id": rng.choices(users, cum_weights=authors)[0],
            "title": plan.title,
            "slug": plan.slug,
            "content": doc,
            "content_html": rendered.html,
            "content_text": rendered.text,
            "excerpt": rendered.excerpt or None,
            "cover_image": None,
            "category_id": rng.choice(categories) if categories and rng.random() < 0.8 else None,
            "status": plan.status.value,
            "published_at": plan.published_at,
            "featured_at": None,
            "view_count": int(rng.lognormvariate(3.5, 1.2)),
            "share_count": int(rng.expovariate(0.5)),
            "comment_count": plan.target.comments,
            "reaction_count": plan.target.reactions,
            "reading_time": rendered.reading_time,
            "sentiment": None,
            "ai_suggestions": None,
            "nft_token_id": None,
            "revision": 1,
            "created_at": created_at,
            "updated_at": plan.target.created_at,
            "deleted_at": None,
        }

    async def _published_posts(self) -> list[_Target]:
        async with session_scope(self.sessions) as session:
            rows = await posts_bulk.published(session)
        # A published post always has its publication time.
        return [_Target(pid, when, 0) for pid, when in rows if when is not None]

    async def _comments(
        self,
        users: list[uuid.UUID],
        vocab: Vocabulary | None,
        posts: list[_Target],
        reactions: int,
    ) -> list[_Target]:
        """Insert the comments dealt to `posts`, threaded; return those that will receive some
        of `reactions` (decided now, so that `reaction_count` is written with the row)."""
        count = sum(p.comments for p in posts)
        if not count:
            return []
        assert vocab is not None
        if self.long_thread_post is not None:
            async with session_scope(self.sessions) as session:
                self.report.long_thread = await posts_bulk.slug_of(session, self.long_thread_post)
        capacity = len(users) * len(REACTION_TYPES)
        weights = _weights(self.rng, count, 1.3)
        reaction_counts = _counts(self.rng, count, reactions, weights, capacity)
        targets: list[_Target] = []
        task = self.progress.add_task("Comments", total=count)
        batch: list[dict[str, Any]] = []
        ordinal = 0
        for post in posts:
            thread = self._thread(vocab, users, post, reaction_counts, ordinal)
            ordinal += post.comments
            batch.extend(thread)
            targets.extend(
                _Target(c["id"], c["created_at"], c["reaction_count"])
                for c in thread
                if c["reaction_count"]
            )
            if len(batch) >= ROWS_PER_INSERT * 10:
                await self._flush_comments(batch, task)
                batch = []
        await self._flush_comments(batch, task)
        self.report.comments = count
        return targets

    def _thread(
        self,
        vocab: Vocabulary,
        users: list[uuid.UUID],
        post: _Target,
        reaction_counts: list[int],
        ordinal: int,
    ) -> list[dict[str, Any]]:
        """A post's `n` comments in time order: most start a thread, some answer an earlier
        comment (depth at most 3), with the parent's `reply_count` kept."""
        rng = self.rng
        times = sorted(_between(rng, post.created_at, self.now) for _ in range(post.comments))
        thread: list[dict[str, Any]] = []
        for k, created_at in enumerate(times):
            parent = rng.choice(thread) if thread and rng.random() < 0.35 else None
            if parent is not None and parent["depth"] >= MAX_REPLY_DEPTH:
                parent = None
            if parent is not None:
                parent["reply_count"] += 1
            thread.append(
                {
                    "id": new_id(),
                    "post_id": post.id,
                    "author_id": rng.choice(users),
                    "parent_id": parent["id"] if parent else None,
                    "depth": parent["depth"] + 1 if parent else 0,
                    "content": vocab.text(1, 4),
                    "reaction_count": reaction_counts[ordinal + k],
                    "reply_count": 0,
                    "edited_at": None,
                    "created_at": created_at,
                    "deleted_at": None,
                }
            )
        return thread

    async def _flush_comments(self, batch: list[dict[str, Any]], task: TaskID) -> None:
        if not batch:
            return
        async with session_scope(self.sessions) as session:
            await comments_bulk.import_comments(session, batch)
        self.progress.advance(task, len(batch))

    async def _reactions(
        self,
        users: list[uuid.UUID],
        targets: list[_Target],
        column: str,
        label: str,
    ) -> None:
        """Insert reactions, unique per (target, user, type): each target's count is fixed
        first, then that many distinct (user, type) pairs are drawn for it."""
        total = sum(t.reactions for t in targets)
        if not total:
            return
        rng = self.rng
        task = self.progress.add_task(label, total=total)
        type_cum = list(accumulate(REACTION_WEIGHTS))
        rows: list[dict[str, Any]] = []
        other = "comment_id" if column == "post_id" else "post_id"
        for target in targets:
            pairs: set[tuple[int, int]] = set()
            while len(pairs) < target.reactions:
                user = rng.randrange(len(users))
                kind = rng.choices(range(len(REACTION_TYPES)), cum_weights=type_cum)[0]
                if (user, kind) in pairs:
                    kind = rng.randrange(len(REACTION_TYPES))
                pairs.add((user, kind))
            for user, kind in pairs:
                rows.append(
                    {
                        "id": new_id(),
                        "user_id": users[user],
                        column: target.id,
                        other: None,
                        "reaction_type": REACTION_TYPES[kind],
                        "created_at": _between(rng, target.created_at, self.now),
                    }
                )
            if len(rows) >= ROWS_PER_INSERT * 10:
                await self._flush_reactions(rows, task)
                rows = []
        await self._flush_reactions(rows, task)

    async def _flush_reactions(self, rows: list[dict[str, Any]], task: TaskID) -> None:
        if not rows:
            return
        # Targets from an earlier run may already carry some of these reactions.
        async with session_scope(self.sessions) as session:
            await reactions_bulk.import_reactions(session, rows)
        self.progress.advance(task, len(rows))

    async def recount(self) -> None:
        """Make every denormalised counter equal to its aggregate (each domain recounts its
        own), in one transaction."""
        recounts = [posts_bulk.recount, comments_bulk.recount]
        task = self.progress.add_task("Counters", total=len(recounts))
        async with session_scope(self.sessions) as session:
            for recount in recounts:
                await recount(session)
                self.progress.advance(task)
