"""The digest: followed authors' and the week's top posts and new followers, skipped when
there is nothing new, for members away over 180 days or who chose another frequency; the
fan-out goes in paced batches. Bulk mail goes in paced batches too."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from sparkle.accounts.models import User
from sparkle.auth.models import Session as AuthSession
from sparkle.core import jobs, runtime
from sparkle.core.db import session_scope, utcnow
from sparkle.email import digest
from sparkle.email import jobs as email_jobs
from sparkle.notifications import preferences
from sparkle.posts.models import Post
from sparkle.social import service as social_service
from tests.email.steps import logs, outbox, payload_of, run
from tests.factories.content import create_post

TODAY = date.today().isoformat()


async def follow(rt: runtime.Runtime, follower: Any, target: Any) -> None:
    async with session_scope(rt.sessions) as session:
        await social_service.follow(session, rt.limiter, follower.user, target.id)


def digest_job(user: Any, frequency: str = "weekly") -> dict[str, str]:
    return {"userId": str(user.id), "frequency": frequency, "period": TODAY}


class TestDigest:
    async def test_followed_and_top_posts_and_followers(
        self, rt: runtime.Runtime, owner: Any, other: Any, make_account: Any
    ) -> None:
        third = await make_account(username="third_user")
        await follow(rt, owner, other)
        await follow(rt, third, owner)
        await create_post(rt, other.user, title="From someone I follow", reaction_count=3)
        await create_post(rt, third.user, title="Popular elsewhere", reaction_count=40)
        await create_post(rt, owner.user, title="My own post", reaction_count=99)
        old = await create_post(rt, other.user, title="Too old")
        async with session_scope(rt.sessions) as session:
            await session.execute(
                update(Post)
                .where(Post.id == old.id)
                .values(published_at=utcnow() - timedelta(days=9))
            )

        await run("email.digest", digest_job(owner))

        [mail] = outbox(rt)
        assert mail.subject == "Your Weekly Sparkle Universe Digest ✨"
        text = mail.text
        assert text.index("From someone I follow") < text.index("Popular elsewhere")
        assert "My own post" not in text and "Too old" not in text
        assert "1 new follower (third_user)" in text
        assert dict(mail.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # The same period is sent once.
        await run("email.digest", digest_job(owner))
        assert len(outbox(rt)) == 1

    async def test_nothing_new_sends_nothing(self, rt: runtime.Runtime, owner: Any) -> None:
        await create_post(rt, owner.user, title="Only mine")
        await run("email.digest", digest_job(owner))
        assert outbox(rt) == []

    async def test_away_for_half_a_year(self, rt: runtime.Runtime, owner: Any, other: Any) -> None:
        await create_post(rt, other.user, title="Something new")
        old = utcnow() - timedelta(days=181)
        async with session_scope(rt.sessions) as session:
            await session.execute(
                update(AuthSession).where(AuthSession.user_id == owner.id).values(last_used_at=old)
            )
            await session.execute(update(User).where(User.id == owner.id).values(created_at=old))
        await run("email.digest", digest_job(owner))
        assert outbox(rt) == []

    async def test_frequency_preference(self, rt: runtime.Runtime, owner: Any, other: Any) -> None:
        await create_post(rt, other.user, title="Something new")
        async with session_scope(rt.sessions) as session:
            await preferences.set_digest(session, owner.id, "daily")
        await run("email.digest", digest_job(owner, "weekly"))
        assert outbox(rt) == []
        await run("email.digest", digest_job(owner, "daily"))
        assert [m.subject for m in outbox(rt)] == ["Your Daily Sparkle Universe Digest ✨"]


class TestFanOut:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_BATCH_PACE_SECONDS": 5}

    async def test_batches_with_pacing(
        self, rt: runtime.Runtime, make_account: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(digest, "BATCH_SIZE", 2)
        members = [await make_account(username=f"member{n}") for n in range(3)]
        off = await make_account(username="no_digest")
        async with session_scope(rt.sessions) as session:
            await preferences.set_digest(session, off.id, "off")
        poster = members[0]
        await create_post(rt, poster.user, title="News of the week", reaction_count=5)

        await run("email.digest_all", {"frequency": "weekly"})
        # The first two members' digests ran; the rest waits for the paced next batch.
        assert len(outbox(rt)) == 1  # the poster's own post is not news to them
        [following] = payload_of("email.digest_all")
        assert following["after"] is not None and following["period"] == TODAY
        await jobs.runner.run_due(advance=5)
        assert sorted(m.to for m in outbox(rt)) == sorted(m.user.email for m in members[1:])
        assert payload_of("email.digest_all") == []

    def test_weekly_cron(self) -> None:
        schedules = {(s.name, s.cron, s.payload.get("frequency")) for s in jobs.SCHEDULES}
        assert ("email.digest_all", "0 9 * * 1", "weekly") in schedules


class TestBulk:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"EMAIL_BATCH_PACE_SECONDS": 2}

    async def test_batches_with_pacing(
        self, rt: runtime.Runtime, make_account: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(email_jobs, "BATCH_SIZE", 2)
        members = [await make_account(username=f"bulk{n}") for n in range(3)]
        note = {
            "title": "Sparkle Fest is here",
            "message": "Join us all weekend.",
            "url": "http://testserver/fest",
        }
        payload = {
            "template": "system_notification",
            "context": {"notification": note},
            "userIds": [str(m.id) for m in members],
            "bulkId": "fest-2026",
        }
        await run("email.bulk", payload)
        assert len(outbox(rt)) == 2
        await jobs.runner.run_due(advance=2)
        assert sorted(m.to for m in outbox(rt)) == sorted(m.user.email for m in members)
        assert {m.subject for m in outbox(rt)} == {"Sparkle Fest is here"}
        # The whole bulk again (a retried job) sends nothing twice.
        await run("email.bulk", payload)
        await jobs.runner.run_due(advance=2)
        assert len(outbox(rt)) == 3 and len(await logs(rt)) == 3

    def test_rejects_transactional_and_bad_payloads(self) -> None:
        from pydantic import ValidationError

        base = {
            "template": "system_notification",
            "context": {"notification": {}},
            "userIds": ["6c1f5f7e-3a52-4bb0-9d7e-0f0b8e0b6a01"],
            "bulkId": "b",
        }
        email_jobs.BulkEmail.model_validate(base)
        for change in (
            {"template": "password_reset"},
            {"userIds": []},
            {"context": {}},
            {"bulkId": "a b"},
        ):
            with pytest.raises(ValidationError):
                email_jobs.BulkEmail.model_validate({**base, **change})
