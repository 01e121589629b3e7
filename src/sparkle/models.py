"""Every domain's models, imported for Alembic and the mapper registry."""

from sparkle.accounts.models import Profile, User
from sparkle.audit.models import AuditLog
from sparkle.auth.models import AccountToken, LoginHistory, OAuthAccount, RecoveryCode, Session
from sparkle.comments.models import Comment
from sparkle.core.db import Base
from sparkle.core.queue.models import JobOutbox  # noqa: F401
from sparkle.email.models import EmailedNotification, EmailLog, EmailSuppression  # noqa: F401
from sparkle.leaderboards.models import (  # noqa: F401
    LeaderboardArchiveEntry,
    LeaderboardPeriod,
    LeaderboardStanding,
)
from sparkle.media.models import MediaFile  # noqa: F401
from sparkle.messaging.models import (  # noqa: F401
    Conversation,
    ConversationParticipant,
    Message,
    MessageReaction,
    MessagingSettings,
)
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
from sparkle.social.models import Follow, UserBlock  # noqa: F401
from sparkle.watchparties.models import WatchParty, WatchPartyMoment, WatchPartyParticipant  # noqa: F401

__all__ = [
    "AccountToken",
    "AuditLog",
    "Base",
    "Category",
    "Comment",
    "Follow",
    "LoginHistory",
    "Mention",
    "Notification",
    "NotificationPreferences",
    "OAuthAccount",
    "Post",
    "PostRevision",
    "PostTag",
    "PostView",
    "Profile",
    "Reaction",
    "RecoveryCode",
    "Session",
    "Tag",
    "TrendingPost",
    "User",
]
