"""Events of the watch-party domain."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sparkle.core.events import DomainEvent


class WatchPartyUpdated(DomainEvent):
    """Something changed in a party: playback, members, host, chat, moments (`update` is the
    `watchPartyUpdate` socket payload)."""

    name: ClassVar[str] = "watchparty:update"
    party_id: uuid.UUID
    update: dict[str, Any]
