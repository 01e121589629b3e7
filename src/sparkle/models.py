"""Every domain's models, imported for Alembic and the mapper registry."""

from sparkle.accounts.models import Profile, User
from sparkle.admin.models import AuditLog
from sparkle.auth.models import AccountToken, LoginHistory, OAuthAccount, RecoveryCode, Session
from sparkle.comments.models import Comment
from sparkle.posts.models import (
    Category,
    Mention,
    Post,
    PostRevision,
    PostTag,
    PostView,
    Tag,
    TrendingPost,
)
from sparkle.reactions.models import Reaction
from sparkle.social.models import Follow
from sparkle.core.db import Base

__all__ = [
    "AccountToken",
    "AuditLog",
    "Base",
    "Category",
    "Comment",
    "Follow",
    "Mention",
    "Post",
    "PostRevision",
    "PostTag",
    "PostView",
    "Reaction",
    "Tag",
    "TrendingPost",
    "LoginHistory",
    "OAuthAccount",
    "Profile",
    "RecoveryCode",
    "Session",
    "User",
]
