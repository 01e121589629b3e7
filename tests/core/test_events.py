"""After-commit events: released when the transaction commits, dropped when it rolls back."""

from __future__ import annotations

import httpx
import pytest

from sparkle.accounts import service as accounts_service
from sparkle.core import events
from sparkle.core.db import session_scope
from sparkle.core.errors import Conflict
from sparkle.core.runtime import Runtime
from tests.conftest import Account

PASSWORD = "a-long-enough-passphrase"


def names(captured: list[events.Event]) -> list[str]:
    return [e.name for e in captured]


async def test_registration_publishes_after_commit(client: httpx.AsyncClient) -> None:
    with events.capture_events() as captured:
        resp = await client.post(
            "/api/auth/register",
            json={"email": "nova@example.com", "username": "nova", "password": PASSWORD},
        )
    assert resp.status_code == 201
    registered = [e for e in captured if e.name == "user:registered"]
    assert len(registered) == 1
    assert registered[0].payload == {"userId": resp.json()["user"]["id"], "username": "nova"}


async def test_conflict_publishes_nothing(client: httpx.AsyncClient, owner: Account) -> None:
    with events.capture_events() as captured, events.capture_jobs() as jobs:
        resp = await client.post(
            "/api/auth/register",
            json={"email": "fresh@example.com", "username": "OWNER_USER", "password": PASSWORD},
        )
    assert resp.status_code == 409
    assert captured == []
    assert jobs == []


async def test_failed_profile_edit_publishes_nothing(
    client: httpx.AsyncClient, owner: Account
) -> None:
    with events.capture_events() as captured:
        ok = await client.patch("/api/users/me/profile", json={"bio": "hi"}, headers=owner.headers)
        bad = await client.patch(
            "/api/users/me/profile", json={"theme": "neon"}, headers=owner.headers
        )
    assert (ok.status_code, bad.status_code) == (200, 400)
    assert names(captured) == ["user:updated"]


async def test_service_rollback_drops_buffer(rt: Runtime) -> None:
    """An error after the service published, inside the same unit of work, drops the event."""
    with events.capture_events() as captured, pytest.raises(Conflict):
        async with session_scope(rt.sessions) as session:
            await accounts_service.create(
                session, email="comet@example.com", username="comet", hashed_password=None
            )
            await accounts_service.create(
                session, email="comet@example.com", username="comet2", hashed_password=None
            )
    assert captured == []
    async with session_scope(rt.sessions) as session:
        assert await accounts_service.get_by_email(session, "comet@example.com") is None


async def test_nothing_before_commit(rt: Runtime) -> None:
    with events.capture_events() as released:
        async with session_scope(rt.sessions) as session:
            with events.capture_events() as before_commit:
                await accounts_service.create(
                    session, email="vega@example.com", username="vega", hashed_password=None
                )
            assert before_commit == []
    assert names(released) == ["user:registered"]


async def test_nested_captures_each_see_their_kind(client: httpx.AsyncClient) -> None:
    with events.capture_events() as captured, events.capture_jobs() as jobs:
        resp = await client.post(
            "/api/auth/register",
            json={"email": "lyra@example.com", "username": "lyra", "password": PASSWORD},
        )
    assert resp.status_code == 201
    assert "user:registered" in names(captured)
    assert "email.send" in [j.name for j in jobs]
    assert all(isinstance(e, events.Event) for e in captured)
    assert all(isinstance(j, events.JobRequest) for j in jobs)


async def test_a_failed_savepoint_takes_its_events_and_jobs(rt: Runtime) -> None:
    """What the block published or enqueued goes with its rollback; what came before stays."""
    with events.capture_events() as captured, events.capture_jobs() as jobs:
        async with session_scope(rt.sessions) as session:
            await accounts_service.create(
                session, email="kept@example.com", username="kept", hashed_password=None
            )
            with pytest.raises(Conflict):
                async with events.savepoint(session):
                    await accounts_service.create(
                        session, email="gone@example.com", username="gone", hashed_password=None
                    )
                    await accounts_service.create(
                        session, email="gone@example.com", username="gone2", hashed_password=None
                    )
    assert [e.payload["username"] for e in captured if e.name == "user:registered"] == ["kept"]
    assert all("gone" not in str(j.payload) for j in jobs)
    async with session_scope(rt.sessions) as session:
        assert await accounts_service.get_by_email(session, "kept@example.com") is not None
        assert await accounts_service.get_by_email(session, "gone@example.com") is None
