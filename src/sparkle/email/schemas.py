"""Wire shapes of the email log (support view, ADMIN only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sparkle.core.schemas import Schema


class EmailLogRead(Schema):
    id: uuid.UUID
    message_id: str | None
    template: str
    category: str
    user_id: uuid.UUID | None
    subject: str | None
    status: str
    error: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
