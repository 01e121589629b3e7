"""Structured logs: JSON lines with the request id, also appended under the data dir."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from sparkle.app import create_app
from sparkle.core.runtime import Runtime
from tests.conftest import make_settings


async def test_request_log_line_lands_in_the_data_dir(rt: Runtime, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "var", SPARKLE_ENV="development", LOG_JSON=True, LOG_LEVEL="INFO"
    )
    rt.settings = settings
    app = create_app(settings, rt)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/health", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 200
    lines = (tmp_path / "var" / "logs" / "sparkle.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    request = next(r for r in records if r.get("event") == "request")
    assert request["request_id"] == "trace-me-123"
    assert request["route"] == "/health"
    assert request["status"] == 200
    assert request["level"] == "info"


def test_tests_do_not_write_log_files(tmp_path: Path) -> None:
    assert make_settings(tmp_path).log_file is None
