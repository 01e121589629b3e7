"""Events of the email domain: delivery, engagement and complaints of mails sent."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class EmailEvent(DomainEvent):
    """The mail's log id, template, category and recipient member (null: not a member)."""

    log_id: uuid.UUID
    template: str
    category: str
    user_id: uuid.UUID | None


class EmailSent(EmailEvent):
    """The SMTP server accepted a mail (`messageId`: its Message-ID)."""

    name: ClassVar[str] = "email:sent"
    message_id: str | None


class EmailOpened(EmailEvent):
    """A tracked mail was opened the first time."""

    name: ClassVar[str] = "email:opened"


class EmailClicked(EmailEvent):
    """A tracked link (`link`: its index) in a mail was followed to `url`."""

    name: ClassVar[str] = "email:clicked"
    url: str
    link: int


class EmailBounced(EmailEvent):
    """A mail bounced (`kind`: `hard`, or `soft` once soft bounces suppress the address)."""

    name: ClassVar[str] = "email:bounced"
    kind: str


class EmailComplained(EmailEvent):
    """The recipient reported a mail as spam."""

    name: ClassVar[str] = "email:complained"
    kind: str
