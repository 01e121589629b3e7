"""The OpenAPI document and the self-hosted documentation pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from sparkle.core.schemas import Problem, Schema

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.get("/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def subclasses(cls: type[BaseModel]) -> set[type[BaseModel]]:
    out: set[type[BaseModel]] = set()
    for sub in cls.__subclasses__():
        out |= {sub} | subclasses(sub)
    return out


def example_of(model: type[BaseModel]) -> Any:
    extra = model.model_config.get("json_schema_extra")
    return extra.get("example") if isinstance(extra, dict) else None


class TestOperations:
    def test_expected_operations_are_documented(self, spec: dict[str, Any]) -> None:
        ops = {(m, p) for m, p, _ in operations(spec)}
        for expected in [
            ("POST", "/api/auth/register"),
            ("GET", "/api/users/{username}"),
            ("PATCH", "/api/users/me/profile"),
            ("PATCH", "/api/users/{user_id}/profile"),
            ("DELETE", "/api/users/me"),
            ("GET", "/api/admin/users"),
            ("PATCH", "/api/admin/users/{user_id}"),
            ("GET", "/health/ready"),
        ]:
            assert expected in ops
        assert not any(
            p.startswith(("/dev", "/docs", "/redoc", "/api-docs", "/metrics")) for _, p in ops
        )

    def test_tags_and_summaries(self, spec: dict[str, Any]) -> None:
        declared = {t["name"] for t in spec["tags"]}
        for method, path, op in operations(spec):
            assert op.get("tags"), f"{method} {path} has no tag"
            assert set(op["tags"]) <= declared, f"{method} {path} uses an undeclared tag"
            assert op.get("summary"), f"{method} {path} has no summary"

    def test_success_response_schemas(self, spec: dict[str, Any]) -> None:
        for method, path, op in operations(spec):
            ok = [code for code in op["responses"] if code.startswith("2")]
            redirects = [code for code in op["responses"] if code.startswith("3")]
            assert ok or redirects, f"{method} {path} documents no success"
            for code in redirects:
                assert "Location" in op["responses"][code].get("headers", {}), (
                    f"{method} {path} {code} documents no Location"
                )
            for code in ok:
                if code == "204":
                    assert "content" not in op["responses"][code]
                    continue
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert resolve(spec, schema).get("properties") or schema.get("type") == "array", (
                    f"{method} {path} {code} has an empty schema"
                )

    def test_api_operations_document_problems(self, spec: dict[str, Any]) -> None:
        problem_ref = "#/components/schemas/Problem"
        for method, path, op in operations(spec):
            if not path.startswith("/api/"):
                continue
            errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
            assert errors, f"{method} {path} documents no errors"
            for code, response in errors.items():
                content = response["content"]["application/problem+json"]
                assert content["schema"]["$ref"] == problem_ref, f"{method} {path} {code}"
            if op.get("security"):
                assert "401" in errors, f"{method} {path} needs auth but documents no 401"
            if op.get("requestBody") or op.get("parameters"):
                assert "400" in errors, f"{method} {path} takes input but documents no 400"

    def test_no_422_anywhere(self, spec: dict[str, Any]) -> None:
        for method, path, op in operations(spec):
            assert "422" not in op["responses"], f"{method} {path}"
        schemas = spec["components"]["schemas"]
        assert "HTTPValidationError" not in schemas
        assert "ValidationError" not in schemas
        assert "Problem" in schemas

    def test_bearer_security_scheme(self, spec: dict[str, Any]) -> None:
        schemes = spec["components"]["securitySchemes"]
        bearer = [
            name for name, s in schemes.items() if s["type"] == "http" and s["scheme"] == "bearer"
        ]
        assert bearer
        ops = {(m, p): op for m, p, op in operations(spec)}
        for key in [
            ("GET", "/api/auth/me"),
            ("PATCH", "/api/users/me/profile"),
            ("GET", "/api/admin/users"),
        ]:
            assert {bearer[0]: []} in ops[key]["security"]

    def test_request_bodies_are_json_schemas(self, spec: dict[str, Any]) -> None:
        for method, path, op in operations(spec):
            body = op.get("requestBody")
            if body is None:
                continue
            # JSON everywhere; file uploads are multipart forms, described by a schema too.
            (content,) = [
                body["content"][t]
                for t in ("application/json", "multipart/form-data")
                if t in body["content"]
            ]
            assert resolve(spec, content["schema"])["properties"], f"{method} {path}"


class TestExamples:
    def test_request_body_examples_are_published(self, spec: dict[str, Any]) -> None:
        """Where a request schema defines an example, the document carries it."""
        found = 0
        for method, path, op in operations(spec):
            body = op.get("requestBody")
            if body is None or "application/json" not in body["content"]:
                continue
            content = body["content"]["application/json"]
            schema = resolve(spec, content["schema"])
            if schema.get("title") in {
                "ProfileUpdate",
                "AdminUserUpdate",
                "RegisterRequest",
                "LoginRequest",
            }:
                assert "example" in schema or "example" in content or "examples" in content, (
                    f"{method} {path}"
                )
                found += 1
        assert found >= 4

    def test_examples_are_valid(self, app: FastAPI) -> None:
        """Every example an API schema publishes passes that schema's own validation."""
        checked = []
        for model in subclasses(Schema) | {Problem}:
            example = example_of(model)
            if example is not None:
                model.model_validate(example)
                checked.append(model.__name__)
        assert {"ProfileUpdate", "AdminUserUpdate", "UserRead", "Problem"} <= set(checked)


class TestDocsPages:
    @pytest.mark.parametrize("path", ["/docs", "/api-docs", "/redoc"])
    async def test_pages_use_local_assets_only(self, client: httpx.AsyncClient, path: str) -> None:
        resp = await client.get(path)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/html")
        html = resp.text
        assert "/openapi.json" in html
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
        assert scripts
        assert all(ref.startswith("/static/") for ref in refs), refs
        assert not re.search(r"https?://", html)
        # No inline scripts: every <script> element loads a file.
        assert len(re.findall(r"<script\b", html)) == len(scripts)
        assert (
            "'unsafe-inline'"
            not in resp.headers["content-security-policy"].split("script-src")[1].split(";")[0]
        )

    @pytest.mark.parametrize("path", ["/static/docs/swagger-init.js", "/static/docs/redoc-init.js"])
    async def test_init_scripts_are_served(self, client: httpx.AsyncClient, path: str) -> None:
        resp = await client.get(path)
        assert resp.status_code == 200
        assert "javascript" in resp.headers["content-type"]
        assert (
            "/openapi.json" in resp.text or "data-spec-url" in resp.text or "specUrl" in resp.text
        )


async def test_favicon_is_served(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")
