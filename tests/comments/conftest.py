"""Fixtures for comment tests: a published post by `owner`."""

from __future__ import annotations

import pytest

from sparkle.posts.models import Post
from tests.factories.content import create_post


@pytest.fixture
async def post(rt, owner) -> Post:  # type: ignore[no-untyped-def]
    return await create_post(rt, owner.user, title="A post to discuss")


@pytest.fixture
def identities(owner, other, moderator, admin):  # type: ignore[no-untyped-def]
    """The identity matrix's signed-in callers by name."""
    return {"owner": owner, "other": other, "moderator": moderator, "admin": admin}
