"""Demo data for `sparkle seed-demo`: realistic people, and a bulk load of categories, tags, rich
posts, threaded comments and reactions with every denormalised counter exact."""

from __future__ import annotations

import asyncio
import random
import re
import string
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sparkle.accounts.models import User
from sparkle.comments.models import Comment
from sparkle.core.db.base import Base, new_id
from sparkle.posts import content as post_content
from sparkle.posts.models import Category, Post, PostStatus, PostTag, Tag
from sparkle.posts.tags import MAX_TAGS, TAG_CHARS, slugify
from sparkle.reactions.models import Reaction, ReactionType

DEMO_PASSWORD = "stardust-and-glitter-demo"  # noqa: S105 - the documented demo password
DEMO_BATCH = 100
# Rows per INSERT: large enough to amortise the round trip, small enough for SQLite's limit
# of 32,766 bound parameters (posts have 22 columns).
ROWS_PER_INSERT = 1000
DOCUMENT_TEMPLATES = 400
SENTENCE_POOL = 3000
SPREAD = timedelta(days=60)
MAX_REPLY_DEPTH = 3
REACTION_TYPES = [t.value for t in ReactionType]
REACTION_WEIGHTS = [50, 20, 12, 8, 6, 4]


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


# --- people -----------------------------------------------------------------------------

PRONOUNS = ["she/her", "he/him", "they/them", "she/they", "he/they", None, None]
TIMEZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Stockholm",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Toronto",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Asia/Manila",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Lagos",
    "Africa/Johannesburg",
]
INTERESTS = [
    "fan art",
    "cosplay",
    "lo-fi playlists",
    "speedruns",
    "synthwave",
    "stop-motion",
    "anime",
    "bullet journaling",
    "retro games",
    "photography",
    "baking",
    "K-pop",
    "tabletop RPGs",
    "watch parties",
    "pixel art",
    "video editing",
    "astronomy",
    "skateboarding",
    "poetry",
]


@dataclass
class DemoPerson:
    email: str
    username: str
    profile: dict[str, Any]


def demo_people(count: int, seed: int) -> Iterator[DemoPerson]:
    """`count` distinct, realistic people; the same seed yields the same people in order."""
    from faker import Faker

    fake = Faker(["en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "ja_JP", "pt_BR"])
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - seeded for reproducible demo data, not secrets
    seen: set[str] = set()
    while len(seen) < count:
        locale = fake[rng.choice(fake.locales)]
        if hasattr(locale, "first_romanized_name"):  # ja_JP: usernames need Latin letters
            first, last = locale.first_romanized_name(), locale.last_romanized_name()
        else:
            first, last = locale.first_name(), locale.last_name()
        base = (
            _slug(f"{first}_{last}")
            if rng.random() < 0.5
            else _slug(f"{first}{rng.randint(1, 999)}")
        )
        if len(base) < 3:
            base = _slug(f"{fake['en_US'].first_name()}_{last}")
        username = base[:30]
        while username.lower() in seen:
            username = f"{base[:25]}{rng.randint(10, 9999)}"
        seen.add(username.lower())
        yield DemoPerson(
            email=f"{username.lower()}@example.{rng.choice(['com', 'org', 'net'])}",
            username=username,
            profile=_demo_profile(fake, locale, rng, username, f"{first} {last}"),
        )


def _slug(value: str) -> str:
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]", "", ascii_).lower()


def _demo_profile(
    fake: Any, locale: Any, rng: random.Random, username: str, name: str
) -> dict[str, Any]:
    likes = rng.sample(INTERESTS, 2)
    bio = (
        f"{fake['en_US'].job()} by day, Sparkle fan since {rng.randint(2015, 2025)}. "
        f"Into {likes[0]} and {likes[1]}."
    )
    profile: dict[str, Any] = {
        "display_name": name[:50],
        "bio": bio[:500],
        "location": f"{locale.city()}, {locale.current_country()}"[:100],
        "pronouns": rng.choice(PRONOUNS),
        "timezone": rng.choice(TIMEZONES),
        "accent_color": f"#{rng.randrange(0x1000000):06x}",
        "theme": rng.choice(["light", "dark", "system"]),
    }
    if rng.random() < 0.6:
        profile["website"] = f"https://{username.lower().replace('_', '-')}.example.com"
    if rng.random() < 0.5:
        profile["social_links"] = {"youtube": f"https://www.youtube.com/@{username}"}
    return profile


async def seed_users(rt: Any, count: int, seed: int, progress: Progress) -> tuple[int, int]:
    """Create `count` verified demo users through the accounts service (its rules, its
    profiles); usernames that exist are skipped. Returns (created, skipped)."""
    from sparkle.accounts import service as accounts_service
    from sparkle.accounts.schemas import ProfileUpdate
    from sparkle.core import security
    from sparkle.core.db import session_scope
    from sparkle.core.errors import Conflict

    # One argon2 hash for everyone: the demo password is shared and hashing is the slow part.
    hashed = await asyncio.to_thread(security.hash_password, rt.settings, DEMO_PASSWORD)
    people = list(demo_people(count, seed))
    created = skipped = 0
    task = progress.add_task("Users", total=len(people))
    for start in range(0, len(people), DEMO_BATCH):
        async with session_scope(rt.sessions) as session:
            for person in people[start : start + DEMO_BATCH]:
                try:
                    user = await accounts_service.create(
                        session,
                        email=person.email,
                        username=person.username,
                        hashed_password=hashed,
                        verified=True,
                    )
                except Conflict:
                    skipped += 1
                else:
                    update_ = ProfileUpdate(**person.profile)
                    await accounts_service.update_profile(session, user, user, update_)
                    created += 1
                progress.advance(task)
    return created, skipped


# --- content vocabulary -----------------------------------------------------------------

# (name, icon, colour, description, children)
CATEGORIES: list[tuple[str, str, str, str, list[str]]] = [
    ("Announcements", "megaphone", "#f59e0b", "News from the Sparkle team.", []),
    (
        "Fan Creations",
        "palette",
        "#ec4899",
        "Art, cosplay, music and stories made by the community.",
        ["Fan Art", "Cosplay", "Music & Covers", "Fan Fiction"],
    ),
    (
        "Discussion",
        "messages",
        "#6366f1",
        "Episodes, lore and everything in between.",
        ["Theories", "Episode Talk", "Off-Topic"],
    ),
    (
        "Community",
        "users",
        "#10b981",
        "Say hello, meet up, ask for help.",
        ["Introductions", "Meetups & Events", "Help & Feedback"],
    ),
]
TAGS = [
    "sparkle", "fan-art", "cosplay", "glitter", "theories", "episode-recap", "lore", "music",
    "covers", "merch", "meetup", "con-report", "stardust", "moonlight", "fanfic", "ships",
    "behind-the-scenes", "collab", "tutorial", "lofi", "synthwave", "kpop", "anime",
    "retro-games", "pixel-art", "photography", "baking", "watch-party", "tabletop",
    "art-challenge", "sketchbook", "nail-art", "makeup", "diy", "crafts", "playlist",
    "concert", "livestream", "memes", "announcements", "feedback", "help", "introductions",
    "weekly-thread", "spoilers", "no-spoilers", "season-3", "trailer", "soundtrack",
    "dance-cover", "choreography", "edits", "amv", "wallpapers", "icons", "zine", "charity",
    "speedrun", "stop-motion", "digital-art", "traditional-art", "wip", "commissions",
]  # fmt: skip
FANDOM_WORDS = [
    "Sparkle", "sparkle", "glitter", "stardust", "moonlight", "the finale", "the new season",
    "fan art", "cosplay", "the soundtrack", "the Sparkle crew", "the comet arc", "the lore",
    "the convention", "the livestream", "the dance cover", "the trailer", "the zine",
]  # fmt: skip
TITLE_PATTERNS = [
    "My {adj} {thing} for {event}",
    "{adj} {thing}: a thread",
    "Finally finished my {thing}!",
    "Theory: {sentence}",
    "How I made a {adj} {thing} in a weekend",
    "{sentence}",
    "Weekly {thing} thread — share yours",
    "Unpopular opinion about {event}",
    "{adj} {thing} inspired by {event}",
    "Is anyone else obsessed with {event}?",
]
ADJECTIVES = [
    "glittery", "cosmic", "tiny", "cozy", "chaotic", "pastel", "neon", "hand-drawn",
    "holographic", "midnight", "dreamy", "retro", "sparkly", "moonlit", "wholesome",
]  # fmt: skip
THINGS = [
    "fan art", "cosplay", "playlist", "sketch", "zine", "dance cover", "wallpaper",
    "pixel art piece", "comic", "figure repaint", "nail art set", "cake", "AMV", "speedrun",
    "watch party", "theory board", "embroidery", "costume prop",
]  # fmt: skip
EVENTS = [
    "the finale", "the comet arc", "Sparkle Con", "the anniversary stream", "season 3",
    "the soundtrack drop", "the winter special", "the glitter festival", "the new trailer",
]  # fmt: skip


class Vocabulary:
    """Pools of sentences, titles, comment bodies and rendered documents, built once per run:
    generating and rendering 100,000 documents one by one would dominate the load."""

    def __init__(self, rng: random.Random, seed: int, media_origin: str) -> None:
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.rng = rng
        self.sentences = [self._sentence(fake) for _ in range(SENTENCE_POOL)]
        self.documents = [self._document(media_origin) for _ in range(DOCUMENT_TEMPLATES)]

    def _sentence(self, fake: Any) -> str:
        words = fake.sentence(nb_words=self.rng.randint(6, 16)).rstrip(".").split()
        if self.rng.random() < 0.5:
            words.insert(self.rng.randrange(1, len(words) + 1), self.rng.choice(FANDOM_WORDS))
        return " ".join(words) + self.rng.choice([".", ".", ".", "!", "?"])

    def text(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(self.sentences) for _ in range(self.rng.randint(low, high)))

    def title(self) -> str:
        pattern = self.rng.choice(TITLE_PATTERNS)
        return pattern.format(
            adj=self.rng.choice(ADJECTIVES),
            thing=self.rng.choice(THINGS),
            event=self.rng.choice(EVENTS),
            sentence=self.rng.choice(self.sentences).rstrip(".!?"),
        )[:200]

    def _inline(self, sentences: int) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for _ in range(sentences):
            sentence = self.rng.choice(self.sentences)
            roll = self.rng.random()
            if roll < 0.2:
                head, _, tail = sentence.partition(" ")
                nodes.append({"type": "text", "text": head, "marks": [{"type": "bold"}]})
                nodes.append({"type": "text", "text": f" {tail} "})
            elif roll < 0.3:
                nodes.append({"type": "text", "text": sentence, "marks": [{"type": "italic"}]})
                nodes.append({"type": "text", "text": " "})
            elif roll < 0.35:
                link = {"type": "link", "attrs": {"href": "https://sparkle.example.com/wiki"}}
                nodes.append({"type": "text", "text": sentence, "marks": [link]})
                nodes.append({"type": "text", "text": " "})
            else:
                nodes.append({"type": "text", "text": f"{sentence} "})
        nodes[-1]["text"] = nodes[-1]["text"].rstrip() or "."
        return nodes

    def _paragraph(self) -> dict[str, Any]:
        return {"type": "paragraph", "content": self._inline(self.rng.randint(1, 4))}

    def _document(self, media_origin: str) -> tuple[dict[str, Any], post_content.Document]:
        blocks: list[dict[str, Any]] = [self._paragraph()]
        for _ in range(self.rng.randint(1, 5)):
            roll = self.rng.random()
            if roll < 0.2:
                heading = self.rng.choice(self.sentences).rstrip(".!?")
                blocks.append(
                    {
                        "type": "heading",
                        "attrs": {"level": self.rng.choice([2, 2, 3])},
                        "content": [{"type": "text", "text": heading}],
                    }
                )
            elif roll < 0.35:
                items = [
                    {"type": "listItem", "content": [self._paragraph()]}
                    for _ in range(self.rng.randint(2, 5))
                ]
                blocks.append({"type": "bulletList", "content": items})
            elif roll < 0.42:
                blocks.append({"type": "blockquote", "content": [self._paragraph()]})
            blocks.append(self._paragraph())
        doc = {"type": "doc", "content": blocks}
        return doc, post_content.parse(doc, media_origin=media_origin)


# --- bulk load --------------------------------------------------------------------------


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


async def _insert(conn: AsyncConnection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await conn.execute(insert(model), rows[start : start + ROWS_PER_INSERT])


class ContentSeeder:
    """Loads content with multi-row INSERTs, bypassing the per-row services (and their events):
    the counters a service would keep are computed while generating, then checked against
    aggregates at the end."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        seed: int,
        media_origin: str,
        progress: Progress,
        now: datetime | None = None,
    ) -> None:
        self.engine = engine
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
        async with self.engine.connect() as conn:
            users = list(
                (await conn.scalars(select(User.id).where(User.deleted_at.is_(None)))).all()
            )
        if not users:
            return self.report
        users.sort()  # the same seed picks the same people whatever order the database returns
        vocab = Vocabulary(self.rng, self.seed, self.media_origin) if posts or comments else None
        async with self.engine.begin() as conn:
            before = await conn.scalar(select(func.count()).select_from(Reaction))
            categories = await self._categories(conn)
            tags = await self._tags(conn)
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
        await self._reactions(users, targets, Reaction.post_id, "Post reactions")
        await self._reactions(users, comment_targets, Reaction.comment_id, "Comment reactions")
        await self.recount()
        async with self.engine.connect() as conn:
            after = await conn.scalar(select(func.count()).select_from(Reaction))
        # Reactions an earlier run already made are skipped by the unique constraint.
        self.report.reactions = int(after or 0) - int(before or 0)
        return self.report

    async def _categories(self, conn: AsyncConnection) -> list[uuid.UUID]:
        existing = list((await conn.scalars(select(Category.id).order_by(Category.name))).all())
        if existing:
            return existing
        rows: list[dict[str, Any]] = []
        for position, (name, icon, color, description, children) in enumerate(CATEGORIES):
            parent = new_id()
            rows.append(self._category(parent, name, None, position, icon, color, description))
            for i, child in enumerate(children):
                rows.append(self._category(new_id(), child, parent, i, icon, color, None))
        await _insert(conn, Category, rows)
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

    async def _tags(self, conn: AsyncConnection) -> list[uuid.UUID]:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        before = await conn.scalar(select(func.count()).select_from(Tag))
        rows = [{"id": new_id(), "name": s, "slug": s[:TAG_CHARS], "usage_count": 0} for s in TAGS]
        await conn.execute(dialect.insert(Tag).values(rows).on_conflict_do_nothing())
        by_slug = dict(
            (await conn.execute(select(Tag.slug, Tag.id).where(Tag.slug.in_(TAGS)))).all()
        )
        self.report.tags = int(await conn.scalar(select(func.count()).select_from(Tag)) or 0) - int(
            before or 0
        )
        return [by_slug[s] for s in TAGS]

    async def _plan_posts(self, vocab: Vocabulary | None, count: int) -> list[_PlannedPost]:
        """Titles, unique slugs, statuses and dates of `count` new posts."""
        assert vocab is not None
        rng = self.rng
        async with self.engine.connect() as conn:
            taken = set((await conn.scalars(select(Post.slug))).all())
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
            async with self.engine.begin() as conn:
                await _insert(conn, Post, post_rows)
                await _insert(conn, PostTag, tag_rows)
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
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Post.id, Post.published_at)
                .where(Post.status == PostStatus.PUBLISHED.value, Post.deleted_at.is_(None))
                .order_by(Post.id)
            )
            # A published post always has its publication time.
            return [_Target(pid, when, 0) for pid, when in rows.all() if when is not None]

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
            async with self.engine.connect() as conn:
                self.report.long_thread = await conn.scalar(
                    select(Post.slug).where(Post.id == self.long_thread_post)
                )
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
        async with self.engine.begin() as conn:
            await _insert(conn, Comment, batch)
        self.progress.advance(task, len(batch))

    async def _reactions(
        self,
        users: list[uuid.UUID],
        targets: list[_Target],
        column: Any,
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
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        rows: list[dict[str, Any]] = []
        other = Reaction.comment_id if column is Reaction.post_id else Reaction.post_id
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
                        column.key: target.id,
                        other.key: None,
                        "reaction_type": REACTION_TYPES[kind],
                        "created_at": _between(rng, target.created_at, self.now),
                    }
                )
            if len(rows) >= ROWS_PER_INSERT * 10:
                await self._flush_reactions(dialect, rows, task)
                rows = []
        await self._flush_reactions(dialect, rows, task)

    async def _flush_reactions(
        self, dialect: Any, rows: list[dict[str, Any]], task: TaskID
    ) -> None:
        if not rows:
            return
        # Targets from an earlier run may already carry some of these reactions.
        stmt = dialect.insert(Reaction).on_conflict_do_nothing()
        async with self.engine.begin() as conn:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                await conn.execute(stmt, rows[start : start + ROWS_PER_INSERT])
        self.progress.advance(task, len(rows))

    async def recount(self) -> None:
        """Make every denormalised counter equal to its aggregate. Only rows that differ are
        written: on PostgreSQL an UPDATE rewrites the row and recomputes its search vector."""
        task = self.progress.add_task("Counters", total=len(COUNTERS))
        async with self.engine.begin() as conn:
            for table, column, aggregate in COUNTERS:
                value = func.coalesce(aggregate().scalar_subquery(), 0)
                await conn.execute(update(table).where(column != value).values({column: value}))
                self.progress.advance(task)


def _post_comments() -> Any:
    return select(func.count()).where(Comment.post_id == Post.id, Comment.deleted_at.is_(None))


def _post_reactions() -> Any:
    return select(func.count()).where(Reaction.post_id == Post.id)


def _comment_reactions() -> Any:
    reaction = Reaction.__table__.alias("r")
    return select(func.count()).select_from(reaction).where(reaction.c.comment_id == Comment.id)


def _comment_replies() -> Any:
    reply = Comment.__table__.alias("reply")
    return select(func.count()).select_from(reply).where(reply.c.parent_id == Comment.id)


def _tag_usage() -> Any:
    return (
        select(func.count())
        .select_from(PostTag)
        .join(Post, Post.id == PostTag.post_id)
        .where(
            PostTag.tag_id == Tag.id,
            Post.status == PostStatus.PUBLISHED.value,
            Post.deleted_at.is_(None),
        )
    )


COUNTERS: list[tuple[Any, Any, Callable[[], Any]]] = [
    (Post, Post.comment_count, _post_comments),
    (Post, Post.reaction_count, _post_reactions),
    (Comment, Comment.reaction_count, _comment_reactions),
    (Comment, Comment.reply_count, _comment_replies),
    (Tag, Tag.usage_count, _tag_usage),
]
SLUG_CHARS = string.ascii_lowercase + string.digits
