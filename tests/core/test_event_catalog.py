"""The catalogues: typed event payloads, routes that fit their jobs, error codes defined once,
and docs/events.md and docs/errors.md generated from them."""

from __future__ import annotations

import re
import uuid

import pytest
from pydantic import ValidationError

import sparkle.domains  # noqa: F401  (every event and consumer)
from sparkle.core import errors, events, jobs
from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from sparkle.social.events import UserFollowed
from tests.fixtures.docs import rendered, written


@pytest.mark.parametrize("name", ["events", "errors"])
def test_doc_matches_the_catalogue(name: str) -> None:
    assert written(f"{name}.md") == rendered("sparkle.catalog", name), (
        f"run: python -m sparkle.catalog {name} > docs/{name}.md"
    )


def test_an_error_code_is_defined_once() -> None:
    assert errors.CATALOG["invalid_token"].status == 401
    assert errors.CATALOG["invalid_link"].status == 400
    with pytest.raises(TypeError, match="already"):

        class Again(errors.NotFound):  # a second class may not take another's code
            code = "post_not_found"


def test_names_follow_the_seeds_form() -> None:
    assert len(events.CATALOG) >= 37
    for name, model in events.CATALOG.items():
        assert re.fullmatch(r"[a-z]+:[a-z0-9_]+", name), name
        assert model.__doc__, f"{model.__name__} needs a docstring for the catalogue"
        assert model.model_config.get("extra") == "forbid"


def test_every_job_route_fits_its_job() -> None:
    """A routed event carries every field its job requires, under the same wire names."""
    assert events.JOB_ROUTES
    for name, routes in events.JOB_ROUTES.items():
        wire = {f.alias or n for n, f in events.CATALOG[name].model_fields.items()}
        for route in routes:
            assert route.job in jobs.REGISTRY, f"{name} → unknown job {route.job}"
            if route.payload is not None:
                continue
            model = jobs.REGISTRY[route.job].payload
            required = {f.alias or n for n, f in model.model_fields.items() if f.is_required()}
            assert required <= wire, f"{name} lacks {required - wire} for {route.job}"


def test_payloads_are_checked_when_built() -> None:
    with pytest.raises(ValidationError):
        UserFollowed(follower_id=uuid.uuid4(), following_id=uuid.uuid4(), extra=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        UserFollowed(follower_id="not-an-id", following_id=uuid.uuid4())  # type: ignore[arg-type]
    ok = UserFollowed(follower_id=uuid.uuid4(), following_id=uuid.uuid4())
    assert set(ok.wire()) == {"followerId", "followingId"}


async def test_publish_takes_only_catalogued_events(rt: Runtime) -> None:
    async with session_scope(rt.sessions) as session:
        with pytest.raises(TypeError):
            events.publish(session, {"userId": "x"})  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            events.publish(session, "user:updated")  # type: ignore[arg-type]
