"""CORS headers for the configured origins only."""

from __future__ import annotations

import httpx
import pytest

ALLOWED = "https://fans.example"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"CORS_ORIGINS": [ALLOWED]}


async def test_simple_request_from_configured_origin(client: httpx.AsyncClient) -> None:
    resp = await client.get("/health", headers={"Origin": ALLOWED})
    assert resp.headers["access-control-allow-origin"] == ALLOWED
    assert resp.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in resp.headers["access-control-expose-headers"].lower()


async def test_preflight_from_configured_origin(client: httpx.AsyncClient) -> None:
    resp = await client.options(
        "/api/users/me/profile",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == ALLOWED
    assert "PATCH" in resp.headers["access-control-allow-methods"]
    assert "authorization" in resp.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://fans.example", "https://fans.example.evil"]
)
async def test_other_origins_get_no_cors_headers(client: httpx.AsyncClient, origin: str) -> None:
    resp = await client.get("/health", headers={"Origin": origin})
    assert resp.status_code == 200
    assert "access-control-allow-origin" not in resp.headers
    preflight = await client.options(
        "/api/auth/login", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_origins_parse_from_json_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparkle.core.config import Settings

    monkeypatch.setenv("CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings(_env_file=None).cors_origins == ["https://a.example", "https://b.example"]
