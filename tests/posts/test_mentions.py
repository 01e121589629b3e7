"""`posts.service.record_mentions`: the stored set of mentions of a post or comment."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.db import session_scope, utcnow
from sparkle.core.events import capture_events
from sparkle.core.runtime import Runtime
from sparkle.posts import service
from sparkle.posts.models import Mention
from tests.conftest import Account
from tests.factories.posts import create_post, doc
from tests.posts.conftest import write_post


async def stored(rt: Runtime, post_id: uuid.UUID | str) -> set[uuid.UUID]:
    async with rt.sessions() as session:
        rows = await session.scalars(
            select(Mention.mentioned_user_id).where(Mention.post_id == uuid.UUID(str(post_id)))
        )
        return set(rows.all())


class TestRecordMentions:
    async def test_replaces_the_set_and_returns_the_new(
        self, rt: Runtime, owner: Account, other: Account, moderator: Account, admin: Account
    ) -> None:
        post = await create_post(rt, owner.user, status="DRAFT")
        async with session_scope(rt.sessions) as session:
            new = await service.record_mentions(
                session, owner.id, "@Other_User @mod_user @owner_user", post_id=post.id
            )
        assert new == {other.id, moderator.id}
        with capture_events() as events:
            async with session_scope(rt.sessions) as session:
                new = await service.record_mentions(
                    session, owner.id, "@mod_user @admin_user", post_id=post.id
                )
        assert new == {admin.id}
        assert await stored(rt, post.id) == {moderator.id, admin.id}
        assert [e.payload["userId"] for e in events if e.name == "user:mentioned"] == [
            str(admin.id)
        ]

    async def test_no_notice_when_asked(self, rt: Runtime, owner: Account, other: Account) -> None:
        post = await create_post(rt, owner.user)
        with capture_events() as events:
            async with session_scope(rt.sessions) as session:
                await service.record_mentions(
                    session, owner.id, "@other_user", post_id=post.id, notify=False
                )
        assert events == []
        assert await stored(rt, post.id) == {other.id}

    async def test_deleted_users_are_not_mentioned(
        self, rt: Runtime, owner: Account, other: Account
    ) -> None:
        async with session_scope(rt.sessions) as session:
            user = await session.get(User, other.id)
            assert user is not None
            user.deleted_at = utcnow()
        post = await create_post(rt, owner.user)
        async with session_scope(rt.sessions) as session:
            assert (
                await service.record_mentions(session, owner.id, "hi @other_user", post_id=post.id)
                == set()
            )

    async def test_needs_a_target(self, db: AsyncSession, owner: Account) -> None:
        with pytest.raises(ValueError):
            await service.record_mentions(db, owner.id, "@x")


class TestPostMentions:
    async def test_edits_replace_the_stored_mentions(
        self,
        client: httpx.AsyncClient,
        rt: Runtime,
        owner: Account,
        other: Account,
        moderator: Account,
    ) -> None:
        post = await write_post(client, owner, content=doc("@other_user and @mod_user"))
        assert await stored(rt, post["id"]) == {other.id, moderator.id}
        await client.patch(
            f"/api/posts/{post['id']}",
            json={"content": doc("just @mod_user")},
            headers=owner.headers,
        )
        assert await stored(rt, post["id"]) == {moderator.id}

    async def test_moderator_edits_keep_the_author_as_mentioner(
        self,
        client: httpx.AsyncClient,
        rt: Runtime,
        owner: Account,
        other: Account,
        moderator: Account,
    ) -> None:
        post = await write_post(client, owner, content=doc("hello"))
        with capture_events() as events:
            await client.patch(
                f"/api/posts/{post['id']}",
                json={"content": doc("hello @other_user")},
                headers=moderator.headers,
            )
        notices = [e.payload for e in events if e.name == "user:mentioned"]
        assert notices == [
            {
                "userId": str(other.id),
                "authorId": str(owner.id),
                "postId": post["id"],
                "commentId": None,
            }
        ]


class TestLinksAreNotMentions:
    async def test_a_channel_url_mentions_nobody(
        self, rt: Runtime, owner: Account, other: Account
    ) -> None:
        post = await create_post(rt, owner.user)
        name = other.user.username
        async with session_scope(rt.sessions) as session:
            new = await service.record_mentions(
                session,
                owner.id,
                f"Watch https://youtube.com/@{name} and www.example.com/@{name}",
                post_id=post.id,
            )
        assert new == set()
        assert await stored(rt, post.id) == set()
        async with session_scope(rt.sessions) as session:
            new = await service.record_mentions(
                session, owner.id, f"Thanks @{name}! (https://youtube.com/@x)", post_id=post.id
            )
        assert new == {other.id}
