"""Every domain's models, imported for Alembic and the mapper registry."""

from sparkle.accounts.models import Profile, User
from sparkle.admin.models import AuditLog
from sparkle.auth.models import AccountToken, LoginHistory, OAuthAccount, RecoveryCode, Session
from sparkle.core.db import Base

__all__ = [
    "AccountToken",
    "AuditLog",
    "Base",
    "LoginHistory",
    "OAuthAccount",
    "Profile",
    "RecoveryCode",
    "Session",
    "User",
]
