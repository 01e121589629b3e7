"""Helpers shared by the `/api/auth` tests: problem+json assertions, the mail outbox, tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import httpx
import jwt

from sparkle.core.config import Settings
from sparkle.core.mail import OutboxMail, list_outbox

if TYPE_CHECKING:
    from tests.conftest import Account

PROBLEM = "application/problem+json"
PASSWORD = "a-fresh-sparkly-password"

# The `make_account` fixture: keyword arguments in, a signed-in test account out.
MakeAccount = Callable[..., Awaitable["Account"]]


def assert_problem(
    response: httpx.Response,
    status: int,
    code: str | None = None,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Check a problem+json response; `fields` must equal the set of fields at fault."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    if fields is not None:
        assert {e["field"] for e in body.get("errors", [])} == set(fields), body
    return body


def mails_to(settings: Settings, address: str, subject_part: str | None = None) -> list[OutboxMail]:
    """Outbox mails for `address` (case-insensitive), newest first."""
    return [
        m
        for m in list_outbox(settings.mail_dir, limit=None)
        if m.to.lower() == address.lower() and (subject_part is None or subject_part in m.subject)
    ]


def link_token(mail: OutboxMail, path: str) -> str:
    """The `token` query parameter of the mail's link to `path`."""
    for link in mail.links:
        url = urlparse(link)
        if url.path == path:
            return parse_qs(url.query)["token"][0]
    raise AssertionError(f"no link to {path} in {mail.links}")


def session_id_of(access_token: str) -> str:
    """The session family (`sid` claim) an access token belongs to."""
    return jwt.decode(access_token, options={"verify_signature": False})["sid"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str, **kw: Any) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password}, **kw)
