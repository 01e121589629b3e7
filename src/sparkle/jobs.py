"""Imports every domain's job handlers so the registry is complete in any process."""

import sparkle.accounts.jobs  # noqa: F401
import sparkle.core.queue.maintenance  # noqa: F401
import sparkle.email.jobs  # noqa: F401
import sparkle.feed.jobs  # noqa: F401
import sparkle.media.jobs  # noqa: F401
import sparkle.notifications.jobs  # noqa: F401
import sparkle.watchparties.jobs  # noqa: F401
