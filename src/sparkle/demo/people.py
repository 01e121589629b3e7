"""Demo people for `sparkle seed-demo`: realistic, reproducible names and profiles, created
through the accounts service (its rules, its profiles)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sparkle.accounts import service as accounts_service
from sparkle.accounts.schemas import ProfileUpdate
from sparkle.core import security
from sparkle.core.db import session_scope
from sparkle.core.errors import Conflict

DEMO_PASSWORD = "stardust-and-glitter-demo"  # noqa: S105 - the documented demo password
DEMO_BATCH = 100


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


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
