"""Demo data for `sparkle seed-demo`, above the domains like the CLI: realistic people created
through the accounts service, and a bulk load of content through the domains' bulk imports."""

from sparkle.demo.content import ContentReport, ContentSeeder
from sparkle.demo.people import DEMO_PASSWORD, DemoPerson, demo_people, progress_bar, seed_users

__all__ = [
    "DEMO_PASSWORD",
    "ContentReport",
    "ContentSeeder",
    "DemoPerson",
    "demo_people",
    "progress_bar",
    "seed_users",
]
