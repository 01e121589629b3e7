"""The email service: templates, transports (through `sparkle.core.mail`), the send log,
sending limits, unsubscribe links, tracking, batched notification mail, digests and bulk mail.

Other domains send mail by enqueueing `email.send` after commit, for example
`events.enqueue(session, "email.send", {"to": ..., "template": "verification",
"context": {"username": ..., "url": ..., "expires_hours": 24}})`, or, for a member and a
non-transactional template, `{"userId": ..., "template": "system_notification", "context":
{"notification": {...}}}`. Notification mail is enqueued by the notifications domain as
`email.notification` and batched here.
"""

from sparkle.email import jobs as jobs
from sparkle.email.jobs import TEMPLATES, SendEmail

__all__ = ["TEMPLATES", "SendEmail", "jobs"]
