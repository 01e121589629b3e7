"""Imports every domain's job handlers so the registry is complete in any process."""

import sparkle.accounts.jobs
import sparkle.core.queue.maintenance
import sparkle.email.jobs
import sparkle.feed.jobs
import sparkle.leaderboards.jobs
import sparkle.media.jobs
import sparkle.messaging.jobs
import sparkle.notifications.jobs
import sparkle.watchparties.jobs  # noqa: F401
