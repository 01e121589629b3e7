"""Every error leaves as an RFC 9457 `application/problem+json` document."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


def assert_problem(resp: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["instance"] == resp.request.url.path
    return body


class TestProblemDocuments:
    async def test_unknown_route(self, client: httpx.AsyncClient) -> None:
        body = assert_problem(await client.get("/api/no-such-thing"), 404)
        assert body["code"] == "http_404"
        assert body["title"] == "Not found"

    async def test_method_not_allowed(self, client: httpx.AsyncClient) -> None:
        resp = await client.delete("/health")
        body = assert_problem(resp, 405)
        assert body["code"] == "http_405"
        assert "GET" in resp.headers["allow"]

    async def test_domain_error(self, client: httpx.AsyncClient) -> None:
        body = assert_problem(await client.get("/api/users/ghost_user"), 404)
        assert body["code"] == "user_not_found"
        assert "errors" not in body

    async def test_unauthorized_names_the_scheme(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/api/auth/me")
        assert_problem(resp, 401)
        assert resp.headers["www-authenticate"] == "Bearer"

    async def test_validation_fields_are_camel_case(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        resp = await client.patch(
            "/api/users/me/profile",
            json={"displayName": "", "accentColor": "red"},
            headers=owner.headers,
        )
        body = assert_problem(resp, 400)
        assert body["code"] == "validation_error"
        fields = {e["field"] for e in body["errors"]}
        assert fields == {"displayName", "accentColor"}
        assert all(e["message"] for e in body["errors"])
        assert "displayName" in body["detail"]

    async def test_missing_field_message(self, client: httpx.AsyncClient) -> None:
        body = assert_problem(
            await client.post("/api/auth/login", json={"email": "a@example.com"}), 400
        )
        assert body["errors"] == [{"field": "password", "message": "This field is required"}]

    async def test_query_parameter_error(self, client: httpx.AsyncClient, admin: Account) -> None:
        resp = await client.get("/api/admin/users", params={"limit": "many"}, headers=admin.headers)
        body = assert_problem(resp, 400)
        assert [e["field"] for e in body["errors"]] == ["limit"]


class TestMalformedBodies:
    @pytest.mark.parametrize("payload", [b"{bad json", b"", b"[1, 2", b"\xff\xfe"])
    async def test_malformed_json_is_400(
        self, client: httpx.AsyncClient, owner: Account, payload: bytes
    ) -> None:
        resp = await client.patch(
            "/api/users/me/profile",
            content=payload,
            headers={**owner.headers, "Content-Type": "application/json"},
        )
        body = assert_problem(resp, 400)
        assert body["code"] == "validation_error"

    async def test_wrong_json_type_is_400(self, client: httpx.AsyncClient) -> None:
        resp = await client.post("/api/auth/login", json=["not", "an", "object"])
        assert_problem(resp, 400)

    async def test_wrong_field_type_is_400(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.patch(
            "/api/users/me/profile", json={"isPublic": "maybe"}, headers=owner.headers
        )
        body = assert_problem(resp, 400)
        assert body["errors"][0]["field"] == "isPublic"


async def test_oversized_body_is_refused_before_parsing(client) -> None:  # type: ignore[no-untyped-def]
    body = b'{"email": "' + b"a" * 2_000_000 + b'"}'
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "payload_too_large"


async def test_oversized_streamed_body_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    async def chunks():  # no Content-Length: the body arrives in pieces
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
