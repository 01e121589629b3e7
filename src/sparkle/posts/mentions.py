"""@username mentions in posts and comments: resolved to users and stored, newly mentioned
users announced with `user:mentioned` (notifications consume it)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core import events
from sparkle.posts.events import UserMentioned
from sparkle.posts.models import Mention

# Not preceded by a word character or '@', so e-mail addresses and '@@x' are not mentions.
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_-])")
MAX_MENTIONS = 50
# Links are not mentions: `https://youtube.com/@sparkle` names a channel, not a member.
URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)


def extract(text: str) -> list[str]:
    """The distinct usernames mentioned in `text`, lower-cased, in order of appearance."""
    out: list[str] = []
    for match in MENTION_RE.finditer(URL_RE.sub(" ", text)):
        name = match.group(1).lower()
        if name not in out:
            out.append(name)
    return out[:MAX_MENTIONS]


async def record_mentions(
    session: AsyncSession,
    author_id: uuid.UUID,
    text: str,
    *,
    post_id: uuid.UUID | None = None,
    comment_id: uuid.UUID | None = None,
    notify: bool = True,
) -> set[uuid.UUID]:
    """Make the mentions of one post or comment exactly those in `text` (existing, non-deleted
    users other than the author); return the users mentioned for the first time, announced with
    `user:mentioned` after commit when `notify`.

    A comment's mentions are those of `comment_id`; pass its `post_id` too, for context."""
    if post_id is None and comment_id is None:
        raise ValueError("record_mentions needs a post_id or a comment_id")
    names = extract(text)
    wanted: set[uuid.UUID] = set()
    if names:
        rows = await session.scalars(
            select(User.id).where(
                func.lower(User.username).in_(names),
                User.deleted_at.is_(None),
                User.id != author_id,
            )
        )
        wanted = set(rows.all())
    target = (
        Mention.comment_id == comment_id
        if comment_id is not None
        else (Mention.post_id == post_id) & Mention.comment_id.is_(None)
    )
    existing = set((await session.scalars(select(Mention.mentioned_user_id).where(target))).all())
    gone = existing - wanted
    if gone:
        await session.execute(delete(Mention).where(target, Mention.mentioned_user_id.in_(gone)))
    new = wanted - existing
    session.add_all(
        Mention(mentioned_user_id=uid, author_id=author_id, post_id=post_id, comment_id=comment_id)
        for uid in sorted(new)
    )
    await session.flush()
    if notify:
        announce(session, author_id, new, post_id=post_id, comment_id=comment_id)
    return new


async def mentioned_users(session: AsyncSession, post_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(Mention.mentioned_user_id).where(
            Mention.post_id == post_id, Mention.comment_id.is_(None)
        )
    )
    return set(rows.all())


def announce(
    session: AsyncSession,
    author_id: uuid.UUID,
    user_ids: set[uuid.UUID],
    *,
    post_id: uuid.UUID | None = None,
    comment_id: uuid.UUID | None = None,
) -> None:
    for uid in sorted(user_ids):
        events.publish(
            session,
            UserMentioned(user_id=uid, author_id=author_id, post_id=post_id, comment_id=comment_id),
        )
