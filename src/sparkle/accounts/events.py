"""Events of the accounts domain: members joining, changing and being banned."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class UserRegistered(DomainEvent):
    """A member signed up (their e-mail address may not be verified yet)."""

    name: ClassVar[str] = "user:registered"
    user_id: uuid.UUID
    username: str


class UserUpdated(DomainEvent):
    """A member changed their profile or settings."""

    name: ClassVar[str] = "user:updated"
    user_id: uuid.UUID


class UserBanned(DomainEvent):
    """An administrator banned a member."""

    name: ClassVar[str] = "user:banned"
    user_id: uuid.UUID
