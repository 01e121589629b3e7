"""Every domain's models, imported for Alembic and the mapper registry."""

from sparkle.accounts.models import Profile, User
from sparkle.admin.models import AuditLog
from sparkle.auth.models import AccountToken, LoginHistory, OAuthAccount, RecoveryCode, Session
from sparkle.comments.models import Comment
from sparkle.email.models import EmailedNotification, EmailLog, EmailSuppression  # noqa: F401
from sparkle.media.models import MediaFile  # noqa: F401
from sparkle.messaging.models import Conversation, ConversationParticipant, Message, MessagingSettings, UserBlock  # noqa: F401,E501
from sparkle.watchparties.models import WatchParty, WatchPartyMoment, WatchPartyParticipant  # noqa: F401
from sparkle.notifications.models import Notification, NotificationPreferences
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
from sparkle.core.queue.models import JobOutbox  # noqa: F401

__all__ = [
    "AccountToken",
    "AuditLog",
    "Base",
    "Category",
    "Comment",
    "Follow",
    "Mention",
    "Notification",
    "NotificationPreferences",
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
