"""The `sparkle` command: serve the platform, run migrations, create administrators, seed demo
users and content, and show or check the effective configuration.

`base` holds the application and the plumbing the commands share; each command group has its
module, registered on `app` when imported here (in the order of `sparkle --help`)."""

from sparkle.cli.base import (
    alembic_config,
    app,
    describe,
    err,
    fail,
    load_settings,
    migrations_dir,
    out,
    prepare_database,
    revisions,
    run,
    run_alembic,
    with_runtime,
)
from sparkle.demo import DEMO_PASSWORD, demo_people

# Each module adds its commands to `app` when imported, in the order `sparkle --help` lists.
# isort: off
from sparkle.cli import serve  # noqa: F401
from sparkle.cli import migrate  # noqa: F401
from sparkle.cli import accounts  # noqa: F401
from sparkle.cli import seed  # noqa: F401
from sparkle.cli import check  # noqa: F401
# isort: on

__all__ = [
    "DEMO_PASSWORD",
    "alembic_config",
    "app",
    "demo_people",
    "describe",
    "err",
    "fail",
    "load_settings",
    "migrations_dir",
    "out",
    "prepare_database",
    "revisions",
    "run",
    "run_alembic",
    "with_runtime",
]

# Below `app`, which these modules add their commands to.
from sparkle.core.jobs_cli import install as install_jobs_cli

install_jobs_cli(app)

from sparkle.email.cli import mail_inbound  # noqa: E402

app.command("mail-inbound")(mail_inbound)
