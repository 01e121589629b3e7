"""Request ids, Prometheus metrics by route template, security headers, and no CORS by default."""

from __future__ import annotations

import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Account

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def csp_directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


class TestRequestId:
    async def test_valid_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/health", headers={"X-Request-ID": "trace-42.abc:XYZ_1"})
        assert resp.headers["x-request-id"] == "trace-42.abc:XYZ_1"

    async def test_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        first = (await client.get("/health")).headers["x-request-id"]
        second = (await client.get("/health")).headers["x-request-id"]
        assert HEX_ID.match(first) and HEX_ID.match(second)
        assert first != second

    @pytest.mark.parametrize("bad", ["has spaces", "x" * 129, "<script>", "semi;colon"])
    async def test_replaced_when_invalid(self, client: httpx.AsyncClient, bad: str) -> None:
        resp = await client.get("/health", headers={"X-Request-ID": bad})
        assert HEX_ID.match(resp.headers["x-request-id"])

    async def test_present_on_errors(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/no/such/page", headers={"X-Request-ID": "req-404"})
        assert resp.status_code == 404
        assert resp.headers["x-request-id"] == "req-404"


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/health", 200),
            ("GET", "/missing", 404),
            ("GET", "/api/auth/me", 401),
            ("POST", "/api/auth/login", 400),
            ("GET", "/openapi.json", 200),
            ("GET", "/docs", 200),
            ("GET", "/static/docs/swagger-init.js", 200),
            ("GET", "/metrics", 200),
        ],
    )
    async def test_on_every_response(
        self, client: httpx.AsyncClient, method: str, path: str, status: int
    ) -> None:
        resp = await client.request(method, path, json={} if method == "POST" else None)
        assert resp.status_code == status
        h = resp.headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "strict-origin-when-cross-origin"
        csp = csp_directives(h["content-security-policy"])
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in csp.get("default-src", [])
        assert "strict-transport-security" not in h

    async def test_profile_endpoint(self, client: httpx.AsyncClient, owner: Account) -> None:
        resp = await client.get("/api/users/owner_user")
        assert (
            "'unsafe-inline'"
            not in csp_directives(resp.headers["content-security-policy"])["script-src"]
        )
        assert resp.headers["x-frame-options"] == "DENY"


class TestNoCorsByDefault:
    async def test_no_cors_headers(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/health", headers={"Origin": "https://fans.example"})
        assert "access-control-allow-origin" not in resp.headers
        preflight = await client.options(
            "/api/auth/login",
            headers={"Origin": "https://fans.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


async def scrape(client: httpx.AsyncClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    """`/metrics` parsed into {sample name: [(labels, value)]}."""
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def count(samples: dict[str, list[tuple[dict[str, str], float]]], **labels: str) -> float:
    return sum(
        value
        for found, value in samples.get("sparkle_http_requests_total", [])
        if labels.items() <= found.items()
    )


class TestMetrics:
    async def test_counts_by_route_template(
        self, client: httpx.AsyncClient, owner: Account
    ) -> None:
        for _ in range(2):
            assert (await client.get("/api/users/owner_user")).status_code == 200
        assert (await client.get("/api/users/nobody_at_all")).status_code == 404
        samples = await scrape(client)
        route = "/api/users/{username}"
        assert count(samples, method="GET", route=route, status="200") == 2
        assert count(samples, method="GET", route=route, status="404") == 1
        routes = {labels["route"] for labels, _ in samples["sparkle_http_requests_total"]}
        assert not any("owner_user" in r or "nobody_at_all" in r for r in routes)
        latency = [
            value
            for labels, value in samples["sparkle_http_request_duration_seconds_count"]
            if labels["route"] == route
        ]
        assert latency == [3.0]

    async def test_unmatched_paths_share_one_label(self, client: httpx.AsyncClient) -> None:
        await client.get("/random/path/one")
        await client.get("/random/path/two")
        samples = await scrape(client)
        assert count(samples, route="<unmatched>", status="404") == 2
        routes = {labels["route"] for labels, _ in samples["sparkle_http_requests_total"]}
        assert not any(r.startswith("/random") for r in routes)

    async def test_metrics_endpoint_not_counted(self, client: httpx.AsyncClient) -> None:
        await client.get("/health")
        await client.get("/metrics")
        samples = await scrape(client)
        assert count(samples, route="/health") == 1
        assert count(samples, route="/metrics") == 0
