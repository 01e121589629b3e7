"""Events of the media domain."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class FileUploaded(DomainEvent):
    """A member's upload was stored and validated (`fileType`: its category)."""

    name: ClassVar[str] = "file:uploaded"
    user_id: uuid.UUID
    file_id: uuid.UUID
    file_type: str
