"""Text inputs are valid Unicode: a lone UTF-16 surrogate anywhere in a request body (as a
JSON escape or as CESU-8 bytes) is a 400 naming the field, checked once by the input base."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import Field, ValidationError

from sparkle.core.schemas import InputSchema, lone_surrogate_at
from tests.factories.posts import create_post, doc

JSON = {"Content-Type": "application/json"}


def raw(body: dict[str, Any], surrogate: str = "\\ud800") -> bytes:
    """`body` as JSON whose `@` characters become `surrogate` (written raw, not re-escaped)."""
    return json.dumps(body).replace("@", surrogate).encode()


# The escape, a low surrogate alone, and the CESU-8 bytes of U+D800 (which `json.loads` turns
# into the same lone surrogate).
ENCODINGS = ["\\ud800", "\\udfff", "\xed\xa0\x80"]


def encoded(body: dict[str, Any], how: str) -> bytes:
    if how.startswith("\\"):
        return raw(body, how)
    return json.dumps(body).encode().replace(b"@", how.encode("latin-1"))


class TestLoneSurrogateAt:
    @pytest.mark.parametrize(
        ("value", "where"),
        [
            ("fine ✨ é 😀", None),
            ("x\ud800y", ""),
            ({"a": [1, {"b": "ok"}, {"c": "\udc00"}]}, "a.2.c"),
            ({"\ud800": "key"}, "\ud800"),
            (["a", "\ud83d"], "1"),
            ("\ud83d\ude00", ""),  # a pair written as two code points is not text either
            (42, None),
        ],
    )
    def test_paths(self, value: Any, where: str | None) -> None:
        assert lone_surrogate_at(value) == where

    def test_every_input_schema_refuses(self) -> None:
        class Nested(InputSchema):
            note: str

        class Body(InputSchema):
            title: str
            items: list[Nested] = Field(default_factory=list)
            extra_data: dict[str, Any] = Field(default_factory=dict)

        Body(title="ok ✨", items=[Nested(note="fine")])
        for data, loc, where in [
            ({"title": "x\ud800"}, ("title",), ""),
            ({"title": "t", "items": [{"note": "\udfff"}]}, ("items",), " (at 0.note)"),
            ({"title": "t", "extraData": {"deep": ["\ud800"]}}, ("extraData",), " (at deep.0)"),
        ]:
            with pytest.raises(ValidationError) as info:
                Body.model_validate(data)
            [error] = info.value.errors()
            assert error["loc"] == loc
            assert error["msg"].endswith(
                f"lone UTF-16 surrogate, which is not valid Unicode text{where}"
            )


class TestApi:
    @pytest.mark.parametrize("how", ENCODINGS)
    async def test_comment(self, client, rt, owner, how) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        r = await client.post(
            f"/api/posts/{post.id}/comments",
            content=encoded({"content": "x@y"}, how),
            headers={**owner.headers, **JSON},
        )
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/problem+json"
        [error] = r.json()["errors"]
        assert error["field"] == "content" and "surrogate" in error["message"]

    @pytest.mark.parametrize("how", ENCODINGS)
    async def test_post_title_and_document(self, client, owner, how) -> None:  # type: ignore[no-untyped-def]
        title = encoded({"title": "T@", "content": doc("fine")}, how)
        r = await client.post("/api/posts", content=title, headers={**owner.headers, **JSON})
        assert r.status_code == 400, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["title"]

        body = encoded({"title": "Title", "content": doc("deep @ inside")}, how)
        r = await client.post("/api/posts", content=body, headers={**owner.headers, **JSON})
        assert r.status_code == 400, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "content" and "content.0.content.0.text" in error["message"]

    async def test_profile(self, client, owner) -> None:  # type: ignore[no-untyped-def]
        r = await client.patch(
            "/api/users/me/profile",
            content=raw({"bio": "about @"}),
            headers={**owner.headers, **JSON},
        )
        assert r.status_code == 400, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["bio"]

    async def test_valid_text_still_passes(self, client, rt, owner) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        r = await client.post(
            f"/api/posts/{post.id}/comments",
            content=json.dumps({"content": "emoji 😀 and \u00e9"}).encode(),
            headers={**owner.headers, **JSON},
        )
        assert r.status_code == 201, r.text
        assert r.json()["content"] == "emoji 😀 and é"


class TestSocketPayloads:
    def test_inbound_events_refuse_too(self) -> None:
        from sparkle.realtime.schemas import PresenceUpdateIn, RoomMessageIn

        with pytest.raises(ValidationError) as info:
            RoomMessageIn.model_validate({"roomId": f"post:{uuid.uuid4()}", "message": "hi \ud800"})
        assert [e["loc"] for e in info.value.errors()] == [("message",)]
        with pytest.raises(ValidationError):
            PresenceUpdateIn.model_validate({"status": "online", "location": "\udc00"})
        assert PresenceUpdateIn.model_validate({"status": "online", "location": "/p/😀"})
