"""Helpers for page tests: CSRF tokens from rendered pages, form posts, signing in by the form."""

from __future__ import annotations

import re
from typing import Any

import httpx

HTML = {"Accept": "text/html,application/xhtml+xml"}
HTMX = {"HX-Request": "true"}
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def csrf_token(client: httpx.AsyncClient, path: str = "/") -> str:
    """Open a page the way a browser does and read the token it carries."""
    response = await client.get(path, headers=HTML)
    match = META_CSRF.search(response.text)
    assert match, response.text[:500]
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, Any],
    *,
    token: str | None = None,
    htmx: bool = False,
) -> httpx.Response:
    """POST a form with the CSRF token of a rendered page (the home page unless given)."""
    token = token if token is not None else await csrf_token(client)
    headers = {**HTML, **(HTMX if htmx else {})}
    return await client.post(path, data={**data, "csrf_token": token}, headers=headers)


async def sign_in(client: httpx.AsyncClient, account: Any) -> httpx.Response:
    """Sign `account` in through the sign-in form; the client then carries the cookies."""
    response = await post_form(
        client, "/signin", {"email": account.user.email, "password": account.password}
    )
    assert response.status_code == 303, response.text
    return response


def field_error(html: str, field: str) -> str | None:
    """The inline error shown under form field `field`, if any."""
    match = re.search(rf'<p class="field-error" id="f-{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None
