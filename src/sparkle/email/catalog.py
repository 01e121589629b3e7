"""Every mail template the service can send: its category, the notification type it speaks
for, the context keys it needs and sample data for previews and tests.

Subjects live in each template's text part (`{% block subject %}`) and follow the seed's
`getSubjectForNotificationType`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkle.email.models import EmailCategory
from sparkle.notifications.models import NotificationType


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    title: str
    category: EmailCategory
    required: frozenset[str] = frozenset()
    sample: dict[str, Any] = field(default_factory=dict)


SAMPLE_BASE = "https://sparkle.example"
_USER = {"name": "Nova Starling", "username": "nova"}


def _n(**values: Any) -> dict[str, Any]:
    """A sample notification context: actor and link every notification template uses."""
    return {
        "user": _USER,
        "notification": {
            "actorName": "Ana",
            "othersCount": 0,
            "url": f"{SAMPLE_BASE}/p/hello",
            **values,
        },
    }


_POST = {"postTitle": "My favourite Sparkle moments"}

NOTIFICATION_TEMPLATES: dict[NotificationType, str] = {
    NotificationType.POST_LIKED: "post_liked",
    NotificationType.POST_COMMENTED: "comment_notification",
    NotificationType.COMMENT_LIKED: "comment_liked",
    NotificationType.USER_FOLLOWED: "new_follower",
    NotificationType.ACHIEVEMENT_UNLOCKED: "achievement",
    NotificationType.LEVEL_UP: "level_up",
    NotificationType.MENTION: "mention",
    NotificationType.SYSTEM: "system_notification",
    NotificationType.GROUP_INVITE: "group_invite",
    NotificationType.GROUP_POST: "group_post",
    NotificationType.EVENT_REMINDER: "event_reminder",
    NotificationType.WATCH_PARTY_INVITE: "watch_party_invite",
    NotificationType.DIRECT_MESSAGE: "direct_message",
    NotificationType.YOUTUBE_PREMIERE: "youtube_premiere",
    NotificationType.QUEST_COMPLETE: "quest_complete",
    NotificationType.TRADE_REQUEST: "trade_request",
    NotificationType.CONTENT_FEATURED: "content_featured",
    NotificationType.MILESTONE_REACHED: "milestone",
}

_T = EmailCategory.TRANSACTIONAL
_N = EmailCategory.NOTIFICATION
_NOTE = frozenset({"user", "notification"})

SPECS: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        "welcome",
        "Welcome",
        _T,
        frozenset({"username"}),
        {"username": "nova", "url": f"{SAMPLE_BASE}/u/nova"},
    ),
    TemplateSpec(
        "verification",
        "Verification",
        _T,
        frozenset({"username", "url"}),
        {
            "username": "nova",
            "url": f"{SAMPLE_BASE}/verify-email?token=sample",
            "expires_hours": 24,
            "code": "482913",
        },
    ),
    TemplateSpec(
        "password_reset",
        "Password reset",
        _T,
        frozenset({"url"}),
        {
            "username": "nova",
            "url": f"{SAMPLE_BASE}/reset-password?token=sample",
            "expires_hours": 1,
        },
    ),
    TemplateSpec("post_liked", "Post liked", _N, _NOTE, _n(**_POST, othersCount=12)),
    TemplateSpec(
        "comment_notification",
        "Comment on a post",
        _N,
        _NOTE,
        _n(**_POST, commentPreview="This made my day, thank you for sharing!"),
    ),
    TemplateSpec(
        "comment_liked",
        "Comment liked",
        _N,
        _NOTE,
        _n(**_POST, commentPreview="Totally agree with this!"),
    ),
    TemplateSpec(
        "new_follower",
        "New follower",
        _N,
        _NOTE,
        _n(followerName="Ana", totalFollowers=42, url=f"{SAMPLE_BASE}/u/ana"),
    ),
    TemplateSpec(
        "achievement",
        "Achievement",
        _N,
        _NOTE,
        _n(
            achievementName="First Post",
            achievementDescription="You shared your first post with the community.",
            xpReward=50,
            pointsReward=10,
            url=f"{SAMPLE_BASE}/u/nova/achievements",
        ),
    ),
    TemplateSpec(
        "level_up",
        "Level up",
        _N,
        _NOTE,
        _n(
            level=5,
            perks=["Custom profile banner", "Animated avatar frame"],
            bonusPoints=100,
            url=f"{SAMPLE_BASE}/u/nova",
        ),
    ),
    TemplateSpec(
        "weekly_digest",
        "Weekly digest",
        EmailCategory.DIGEST,
        frozenset({"user", "posts_following", "posts_top", "new_followers", "feed_url"}),
        {
            "user": _USER,
            "frequency": "weekly",
            "period_label": "this week",
            "posts_following": [
                {
                    "title": "Behind the scenes of the new video",
                    "url": f"{SAMPLE_BASE}/p/behind",
                    "author": "ana",
                    "likes": 128,
                    "comments": 14,
                }
            ],
            "posts_top": [
                {
                    "title": "Fan art thread",
                    "url": f"{SAMPLE_BASE}/p/fan-art",
                    "author": "leo",
                    "likes": 342,
                    "comments": 57,
                }
            ],
            "new_followers": 3,
            "follower_names": ["Ana", "Leo", "Mia"],
            "achievements": None,
            "feed_url": f"{SAMPLE_BASE}/feed",
        },
    ),
    TemplateSpec(
        "system_notification",
        "System notification",
        _N,
        _NOTE,
        _n(
            title="Scheduled maintenance on Sunday",
            message="Sparkle Universe will be read-only for 30 minutes.",
            actionText="Read the announcement",
        ),
    ),
    TemplateSpec(
        "mention",
        "Mention",
        _N,
        _NOTE,
        _n(mentionerName="Ana", **_POST, excerpt="@nova you have to see this!"),
    ),
    TemplateSpec(
        "group_invite",
        "Group invite",
        _N,
        _NOTE,
        _n(inviterName="Ana", groupName="Sparkle Artists", groupDescription="Share your fan art."),
    ),
    TemplateSpec(
        "group_post",
        "Group post",
        _N,
        _NOTE,
        _n(authorName="Ana", groupName="Sparkle Artists", postTitle="Weekly prompt: stars"),
    ),
    TemplateSpec(
        "event_reminder",
        "Event reminder",
        _N,
        _NOTE,
        _n(eventName="Community Q&A", startsAt="Saturday 18:00 UTC"),
    ),
    TemplateSpec(
        "watch_party_invite",
        "Watch party invite",
        _N,
        _NOTE,
        _n(hostName="Ana", videoTitle="Sparkle Live #12", startsAt="in 15 minutes"),
    ),
    TemplateSpec(
        "direct_message",
        "Direct message",
        _N,
        _NOTE,
        _n(senderName="Ana", messagePreview="Hey! Are you joining the watch party tonight?"),
    ),
    TemplateSpec(
        "youtube_premiere",
        "YouTube premiere",
        _N,
        _NOTE,
        _n(channelName="Sparkle", videoTitle="Sparkle Live #13", premiereAt="today at 20:00 UTC"),
    ),
    TemplateSpec(
        "quest_complete",
        "Quest complete",
        _N,
        _NOTE,
        _n(questName="Daily Sparkle", xpReward=25, pointsReward=5),
    ),
    TemplateSpec(
        "trade_request",
        "Trade request",
        _N,
        _NOTE,
        _n(traderName="Ana", offer="Golden Star badge for your Comet badge"),
    ),
    TemplateSpec("content_featured", "Content featured", _N, _NOTE, _n(**_POST)),
    TemplateSpec(
        "milestone",
        "Milestone",
        _N,
        _NOTE,
        _n(
            milestoneName="100 followers",
            milestoneDescription="A hundred people follow your posts.",
        ),
    ),
    TemplateSpec(
        "notification_summary",
        "Notification summary",
        _N,
        frozenset({"user", "items", "notifications_url"}),
        {
            "user": _USER,
            "notifications_url": f"{SAMPLE_BASE}/notifications",
            "items": [
                {
                    "title": "Ana and 12 others liked your post",
                    "message": "My favourite Sparkle moments",
                    "url": f"{SAMPLE_BASE}/p/hello",
                },
                {
                    "title": "New message from Leo",
                    "message": "See you tonight!",
                    "url": f"{SAMPLE_BASE}/messages",
                },
                {"title": "Mia mentioned you", "message": "", "url": f"{SAMPLE_BASE}/p/fan-art"},
            ],
        },
    ),
)

BY_NAME: dict[str, TemplateSpec] = {spec.name: spec for spec in SPECS}
TRANSACTIONAL: frozenset[str] = frozenset(s.name for s in SPECS if s.category == _T)


def get(name: str) -> TemplateSpec | None:
    return BY_NAME.get(name)


def template_for(type: NotificationType | str) -> str:
    """The template of one notification type (the system template for an unknown one)."""
    try:
        return NOTIFICATION_TEMPLATES[NotificationType(type)]
    except ValueError:
        return "system_notification"
