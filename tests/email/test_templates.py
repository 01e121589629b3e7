"""Every template renders with its sample data: the seed's subject, the member's name and
accent colour, its links in both parts, and a text part that is never empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparkle.core.mail import Mailer, OutboxTransport
from sparkle.email import catalog
from sparkle.email.models import EmailCategory
from sparkle.notifications.models import NotificationType

# The seed's getSubjectForNotificationType and send*Email subjects, filled with sample data.
SUBJECTS = {
    "welcome": "Welcome to Sparkle Universe! ✨",
    "verification": "Verify Your Email - Sparkle Universe",
    "password_reset": "Reset Your Password - Sparkle Universe",
    "post_liked": "Someone liked your post!",
    "comment_notification": "New comment on your post",
    "comment_liked": "Someone liked your comment!",
    "new_follower": "You have a new follower!",
    "achievement": "Achievement Unlocked: First Post!",
    "level_up": "Congratulations! You've reached level 5!",
    "weekly_digest": "Your Weekly Sparkle Universe Digest ✨",
    "system_notification": "Scheduled maintenance on Sunday",
    "mention": "Ana mentioned you",
    "group_invite": "You're invited to join Sparkle Artists",
    "group_post": "New post in Sparkle Artists",
    "event_reminder": "Reminder: Community Q&A is starting soon",
    "watch_party_invite": "Join the watch party for Sparkle Live #12",
    "direct_message": "New message from Ana",
    "youtube_premiere": "Sparkle is premiering soon!",
    "quest_complete": "Quest Complete: Daily Sparkle!",
    "trade_request": "Ana wants to trade with you",
    "content_featured": "Your content has been featured!",
    "milestone": "Milestone Reached: 100 followers!",
    "notification_summary": "You have 3 new notifications on Sparkle Universe",
}
ACCENT = "#0ea5e9"
UNSUBSCRIBE = "https://sparkle.example/unsubscribe?token=abc&x=1"


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    return Mailer(OutboxTransport(tmp_path), base_url="https://sparkle.example")


def links(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.match(r"^\s*https?://\S+\s*$", line)]


def test_every_seed_template_is_in_the_catalogue() -> None:
    assert set(SUBJECTS) == set(catalog.BY_NAME)
    assert set(catalog.NOTIFICATION_TEMPLATES) == set(NotificationType)
    assert set(catalog.NOTIFICATION_TEMPLATES.values()) <= set(catalog.BY_NAME)


@pytest.mark.parametrize("spec", catalog.SPECS, ids=lambda s: s.name)
def test_renders_sample(mailer: Mailer, spec: catalog.TemplateSpec) -> None:
    context = {**spec.sample, "accent": ACCENT}
    if spec.category != EmailCategory.TRANSACTIONAL:
        context["unsubscribe_url"] = UNSUBSCRIBE
    rendered = mailer.render(spec.name, context)

    assert rendered.subject == SUBJECTS[spec.name]
    assert (
        f"<title>{rendered.subject.replace('&', '&amp;').replace(chr(39), '&#39;')}</title>"
        in rendered.html
    )
    body = rendered.text.split("\n--\n")[0]
    assert len(body.split()) >= 10, "the text part says something"
    assert ACCENT in rendered.html
    for link in links(body):
        assert f'href="{link.replace("&", "&amp;")}"' in rendered.html
    assert links(body), "the main link is in the text part"
    if "user" in spec.sample:
        assert spec.sample["user"]["name"] in rendered.text
        assert spec.sample["user"]["name"] in rendered.html
    if spec.category == EmailCategory.TRANSACTIONAL:
        assert "unsubscribe" not in rendered.text.lower()
    else:
        assert UNSUBSCRIBE in rendered.text.splitlines()
        assert UNSUBSCRIBE.replace("&", "&amp;") in rendered.html
    assert "{{" not in rendered.html and "{%" not in rendered.text


@pytest.mark.parametrize("name", sorted(set(catalog.NOTIFICATION_TEMPLATES.values())))
def test_notification_templates_need_only_actor_and_link(mailer: Mailer, name: str) -> None:
    """A notification row carries little data: the templates fall back to generic words."""
    context = {
        "user": {"name": "Nova", "username": "nova"},
        "notification": {"actorName": "Ana", "url": "https://sparkle.example/p/x", "title": "T"},
    }
    rendered = mailer.render(name, context)
    assert rendered.subject and "https://sparkle.example/p/x" in links(rendered.text)


def test_context_is_escaped_in_html_only(mailer: Mailer) -> None:
    spec = catalog.BY_NAME["direct_message"]
    note = {**spec.sample["notification"], "messagePreview": "<b>hi</b> & bye"}
    rendered = mailer.render("direct_message", {**spec.sample, "notification": note})
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in rendered.html and "<b>hi</b>" not in rendered.html
    assert "<b>hi</b> & bye" in rendered.text


def test_consolidated_likes_name_the_others(mailer: Mailer) -> None:
    rendered = mailer.render("post_liked", catalog.BY_NAME["post_liked"].sample)
    assert "Ana and 12 others liked your post" in rendered.text


def test_daily_digest_subject(mailer: Mailer) -> None:
    sample = {**catalog.BY_NAME["weekly_digest"].sample, "frequency": "daily"}
    assert mailer.render("weekly_digest", sample).subject == "Your Daily Sparkle Universe Digest ✨"
