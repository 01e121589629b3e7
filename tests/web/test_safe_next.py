"""Post-sign-in destinations stay on the site: no control character, space or backslash, which
browsers drop or fold into a path that leaves it (`/\t/evil.example` → `//evil.example`)."""

from __future__ import annotations

import pytest

from sparkle.web.rendering import safe_next
from tests.web.pages import post_form

LEAVING = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/ /evil.example",
    "/\\evil.example",
    "/x\\..\\..\\/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "//evil.example",
    "https://evil.example",
    "evil.example",
]


class TestSafeNext:
    @pytest.mark.parametrize("value", LEAVING)
    def test_refused(self, value: str) -> None:
        assert safe_next(value) == "/"

    @pytest.mark.parametrize(
        "value", ["/", "/settings/profile", "/p/a-post?x=1#comment-2", "/search?q=a%20b"]
    )
    def test_kept(self, value: str) -> None:
        assert safe_next(value) == value


class TestSignIn:
    @pytest.mark.parametrize("value", ["/\t/evil.example", "/\n/evil.example"])
    async def test_htmx_redirect_stays_on_the_site(self, client, owner, value) -> None:  # type: ignore[no-untyped-def]
        form = {"email": owner.user.email, "password": owner.password, "next": value}
        response = await post_form(client, "/signin", form, htmx=True)
        assert response.headers.get("HX-Redirect", response.headers.get("location")) == "/"
