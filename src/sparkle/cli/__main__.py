"""`python -m sparkle.cli`: the `sparkle` command."""

from sparkle.cli import app

app()
