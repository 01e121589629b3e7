"""Notifications benchmark on PostgreSQL: a system notification to 10,000 users, and 1,000 likes
on one post by 1,000 users, grouped into one notification.

    uv run python bench/notifications_bench.py [--users 10000] [--likers 1000] [--concurrency 16]

Creates a fresh `sparkle_notify_bench` database, migrates it and runs the real services and
jobs in this process (the in-process job runner, inline), so the numbers are the database
work of the notification path itself, not a broker's queueing latency:

1. broadcast: `POST /api/admin/notifications`'s service call; its `notification.broadcast_batch`
   jobs write the rows 500 recipients at a time and publish `notification:created` for each
   (what the realtime layer pushes). Timed until the last row is written and published.
2. likes: each like is `reactions.react` in its own transaction (as the API does), then the
   `notification.reaction_added` job it triggers, with `--concurrency` likes in flight. The
   same likes on a second post with the notification route detached give the baseline.

Prints a table and writes it to bench/results/notifications.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "notifications.md"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DATABASE = "sparkle_notify_bench"
DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"
console = Console(width=max(Console().width, 100))
EMAIL_JOBS = [0]

import sparkle.domains  # noqa: F401  (registers every job and event route)
from sparkle.accounts.models import Profile, Role, User
from sparkle.core import events, jobs, runtime
from sparkle.core.config import Settings
from sparkle.core.db import create_engine, session_scope, utcnow
from sparkle.core.db.base import new_id
from sparkle.core.db.engine import sessionmaker
from sparkle.core.mail import Mailer
from sparkle.core.ratelimit import Limiter
from sparkle.notifications import service
from sparkle.notifications.events import NotificationCreated
from sparkle.notifications.models import Notification
from sparkle.notifications.schemas import BroadcastCreate
from sparkle.posts.models import Post, PostStatus
from sparkle.reactions import service as reactions_service
from sparkle.reactions.events import ReactionAdded
from sparkle.reactions.models import ReactionType


@dataclass
class Row:
    name: str
    count: int
    seconds: float
    unit: str
    latencies: list[float] = field(default_factory=list)
    note: str = ""

    def percentile(self, q: float) -> str:
        if not self.latencies:
            return "–"
        ordered = sorted(self.latencies)
        return f"{ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000:,.1f}"


async def recreate_database() -> None:
    engine = create_engine(ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    finally:
        await engine.dispose()


def migrate(data_dir: Path) -> None:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "SPARKLE_DATA_DIR": str(data_dir)}
    env.update(
        SPARKLE_ENV="development", LOG_LEVEL="WARNING", SECRET_KEY="notify-bench-" + "x" * 32
    )
    subprocess.run([sys.executable, "-m", "sparkle.cli", "migrate", "up"], env=env, check=True)


async def seed_users(sessions, n: int) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    """`n` users with profiles, inserted in bulk (the bench measures notifications, not sign-up)."""
    ids = [new_id() for _ in range(n)]
    now = utcnow()
    async with session_scope(sessions) as session:
        for start in range(0, n, 2000):
            chunk = ids[start : start + 2000]
            await session.execute(
                insert(User),
                [
                    {
                        "id": uid,
                        "email": f"bench{start + i}@example.com",
                        "username": f"bench{start + i}",
                        "role": Role.USER.value,
                        "total_points": 0,
                        "email_verified": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, uid in enumerate(chunk)
                ],
            )
            await session.execute(
                insert(Profile),
                [
                    {"id": new_id(), "user_id": uid, "display_name": f"Bench {start + i}"}
                    for i, uid in enumerate(chunk)
                ],
            )
    return ids


async def make_post(sessions, author_id: uuid.UUID, title: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    async with session_scope(sessions) as session:
        post = Post(
            author_id=author_id,
            title=title,
            slug=f"bench-{uuid.uuid4().hex[:10]}",
            content={"type": "doc", "content": []},
            status=PostStatus.PUBLISHED.value,
            published_at=utcnow(),
        )
        session.add(post)
    return post.id


async def broadcast(sessions, users: int) -> Row:  # type: ignore[no-untyped-def]
    pushed = 0
    done = asyncio.Event()
    finished_at = 0.0

    async def count(_event: NotificationCreated) -> None:
        nonlocal pushed, finished_at
        pushed += 1
        if pushed == users:
            finished_at = time.perf_counter()
            done.set()

    events.after_commit(NotificationCreated, count, kind="bench", owner=__name__)
    try:
        started = time.perf_counter()
        async with session_scope(sessions) as session:
            service.start_broadcast(
                session, BroadcastCreate(title="Maintenance tonight", content="Back at 03:00 UTC.")
            )
        await asyncio.wait_for(done.wait(), timeout=600)
    finally:
        consumers = events.AFTER_COMMIT[NotificationCreated.name]
        consumers[:] = [c for c in consumers if c.handler is not count]
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.type == "SYSTEM")
        )
    assert rows == users, (rows, users)
    seconds = finished_at - started
    batch = runtime.get().settings.notification_broadcast_batch
    note = f"{-(-users // batch)} batches of {batch}; email jobs queued: {EMAIL_JOBS[0]:,}"
    return Row("system notification, written + published", users, seconds, "rows", note=note)


async def likes(
    sessions, author: User, likers: list[User], concurrency: int, *, notify: bool
) -> Row:  # type: ignore[no-untyped-def]
    post_id = await make_post(sessions, author.id, "Bench post")
    routes = events.JOB_ROUTES[ReactionAdded.name]
    kept = list(routes)
    if not notify:
        routes.clear()  # the like's notification job is not enqueued
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    mails_before = EMAIL_JOBS[0]

    async def like(user: User) -> None:
        async with gate:
            t0 = time.perf_counter()
            async with session_scope(sessions) as session:
                await reactions_service.react(session, user, "post", post_id, ReactionType.LIKE)
            latencies.append(time.perf_counter() - t0)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(like(u) for u in likers))
        seconds = time.perf_counter() - started
    finally:
        routes[:] = kept
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(Notification).where(
                    Notification.user_id == author.id, Notification.target_id == post_id
                )
            )
        ).all()
    if notify:
        assert len(rows) == 1, len(rows)
        assert rows[0].actor_count == len(likers), rows[0].actor_count
        name = "likes on one post → 1 notification"
        note = (
            f"actorCount {rows[0].actor_count}, rows 1; "
            f"email requests {EMAIL_JOBS[0] - mails_before:,} (one waiting job per recipient)"
        )
    else:
        assert rows == []
        name, note = "likes on one post, no notification (baseline)", "notification route detached"
    return Row(name, len(likers), seconds, "likes", latencies, note)


async def load_users(sessions, ids: list[uuid.UUID]) -> list[User]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        found = (await session.scalars(select(User).where(User.id.in_(ids)))).all()
    order = {uid: i for i, uid in enumerate(ids)}
    return sorted(found, key=lambda u: order[u.id])


async def run(args: argparse.Namespace, data_dir: Path) -> list[Row]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        SPARKLE_ENV="development",
        SPARKLE_DATA_DIR=str(data_dir),
        DATABASE_URL=DATABASE_URL,
        SECRET_KEY="notify-bench-" + "x" * 32,
        LOG_LEVEL="WARNING",
        SPARKLE_RATE_LIMITS="0",
    )
    engine = create_engine(DATABASE_URL)
    sessions = sessionmaker(engine)
    runtime.install(
        runtime.Runtime(
            settings=settings,
            engine=engine,
            sessions=sessions,
            limiter=Limiter.from_url(None, enabled=False),
            mailer=Mailer.from_settings(settings),
        )
    )
    jobs.configure(inline=True)
    jobs.install(None)
    # Mail is the email domain's cost: its jobs are counted here, not run or held in the
    # in-process runner (whose de-duplication scan is linear in the jobs waiting).
    dispatch = jobs.dispatch

    async def count_mail(name, payload, *, delay=0, key=None):  # type: ignore[no-untyped-def]
        if name == "email.notification":
            EMAIL_JOBS[0] += 1
            return None
        return await dispatch(name, payload, delay=delay, key=key)

    jobs.dispatch = count_mail  # type: ignore[assignment]
    try:
        console.print(f"Seeding {args.users:,} users ...")
        ids = await seed_users(sessions, args.users)
        out = [await broadcast(sessions, args.users)]
        jobs.runner.reset()
        people = await load_users(sessions, ids[: 2 * args.likers + 1])
        author = people[0]
        console.print(f"{args.likers:,} likes, {args.concurrency} in flight ...")
        out.append(
            await likes(
                sessions, author, people[1 : args.likers + 1], args.concurrency, notify=True
            )
        )
        out.append(
            await likes(sessions, author, people[args.likers + 1 :], args.concurrency, notify=False)
        )
        return out
    finally:
        jobs.runner.reset()
        jobs.dispatch = dispatch  # type: ignore[assignment]
        await engine.dispose()


def render(rows: list[Row], meta: dict[str, str]) -> tuple[Table, str]:
    table = Table(title="Sparkle notifications benchmark (PostgreSQL)", title_justify="left")
    headers = ["scenario", "count", "total s", "per second", "ms each", "p50 ms", "p99 ms", "notes"]
    for h in headers:
        table.add_column(h, justify="left" if h in ("scenario", "notes") else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = [
            r.name,
            f"{r.count:,}",
            f"{r.seconds:,.2f}",
            f"{r.count / r.seconds:,.0f} {r.unit}/s",
            f"{r.seconds * 1000 / r.count:,.2f}",
            r.percentile(0.5),
            r.percentile(0.99),
            r.note,
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *(f"- {k}: {v}" for k, v in meta.items())]
    return table, "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--likers", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if 2 * args.likers + 1 > args.users:
        parser.error("--users must be at least 2 × --likers + 1")
    load = os.getloadavg()
    asyncio.run(recreate_database())
    with tempfile.TemporaryDirectory(prefix="sparkle-notify-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        migrate(data_dir)
        rows = asyncio.run(run(args, data_dir))
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load average before": ", ".join(f"{x:.2f}" for x in load),
        "database": "PostgreSQL on loopback (asyncpg)",
        "job runner": "in-process, inline (no broker latency); email.notification jobs counted, not run",
        "like concurrency": str(args.concurrency),
    }
    table, markdown = render(rows, meta)
    console.print(table)
    for k, v in meta.items():
        console.print(f"[dim]{k}: {v}[/dim]")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Notifications benchmark\n\n" + markdown)
    console.print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
