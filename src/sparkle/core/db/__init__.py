"""Database machinery: engine, per-request session, declarative base, keyset paging."""

from sparkle.core.db.base import Base, SoftDeleteMixin, TimestampMixin, UUIDPrimaryKey, utcnow
from sparkle.core.db.engine import create_engine, session_scope
from sparkle.core.db.paging import Cursor, keyset_page

__all__ = [
    "Base",
    "Cursor",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UUIDPrimaryKey",
    "create_engine",
    "keyset_page",
    "session_scope",
    "utcnow",
]
