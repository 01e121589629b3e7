"""Transactional email: the `email.send` job and the development outbox viewer.

Other domains send mail by enqueueing `email.send` after commit, for example
`events.enqueue(session, "email.send", {"to": ..., "template": "verification",
"context": {"username": ..., "url": ..., "expires_hours": 24}})`. Rendering and transports
live in `sparkle.core.mail`.
"""

from sparkle.email import jobs as jobs
from sparkle.email.jobs import TEMPLATES, SendEmail

__all__ = ["TEMPLATES", "SendEmail", "jobs"]
