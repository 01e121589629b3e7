"""Every domain's events and consumers, imported once so that the event catalogue, the route
table (event → jobs, event → socket rooms) and the job registry are complete in any process:
the web app, `sparkle worker` and the CLI."""

import sparkle.accounts.events
import sparkle.accounts.jobs
import sparkle.auth.events
import sparkle.comments.events
import sparkle.comments.sockets
import sparkle.core.queue.maintenance
import sparkle.email.events
import sparkle.email.jobs
import sparkle.feed.jobs
import sparkle.leaderboards.jobs
import sparkle.media.events
import sparkle.media.jobs
import sparkle.messaging.events
import sparkle.messaging.jobs
import sparkle.messaging.sockets
import sparkle.notifications.events
import sparkle.notifications.jobs
import sparkle.notifications.sockets
import sparkle.posts.events
import sparkle.posts.sockets
import sparkle.reactions.events
import sparkle.reactions.sockets
import sparkle.social.events
import sparkle.watchparties.events
import sparkle.watchparties.jobs
import sparkle.watchparties.sockets  # noqa: F401
