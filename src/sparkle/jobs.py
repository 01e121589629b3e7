"""Imports every domain's job handlers so the registry is complete in any process."""

import sparkle.accounts.jobs  # noqa: F401
import sparkle.email.jobs  # noqa: F401
import sparkle.feed.jobs  # noqa: F401
