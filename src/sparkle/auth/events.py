"""Events of the auth domain: verification, sessions, two-factor and account deletion."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sparkle.core.events import DomainEvent


class UserVerified(DomainEvent):
    """A member verified their e-mail address."""

    name: ClassVar[str] = "user:verified"
    user_id: uuid.UUID


class UserDeleted(DomainEvent):
    """A member deleted their account (the username stays reserved for the grace period)."""

    name: ClassVar[str] = "user:deleted"
    user_id: uuid.UUID


class TwoFactorEnabled(DomainEvent):
    """A member turned on TOTP two-factor authentication."""

    name: ClassVar[str] = "user:2fa_enabled"
    user_id: uuid.UUID


class SessionRevoked(DomainEvent):
    """A sign-in session ended early: sign-out, refresh-token reuse, password reset, "sign out
    everywhere" (`sessionId` null: every session of the member)."""

    name: ClassVar[str] = "session:revoked"
    user_id: uuid.UUID
    session_id: uuid.UUID | None
