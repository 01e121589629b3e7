"""Production mode: unsafe configurations are refused; HSTS is on; debug pages are gone."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sparkle.app import create_app
from sparkle.core.config import DEFAULT_SECRET, ConfigError, Settings

GOOD_SECRET = "9f2c1e7a4b3d8f6e0a5c2b9d7e1f4a3c8b6d0e2f"
POSTGRES_URL = "postgresql+asyncpg://sparkle:pw@db.internal:5432/sparkle"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # SQLite is allowed explicitly so the harness database can serve this module.
    return {"SPARKLE_ENV": "production", "SPARKLE_ALLOW_SQLITE_IN_PRODUCTION": True}


def production(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "SPARKLE_ENV": "production",
        "SPARKLE_DATA_DIR": str(tmp_path),
        "SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": POSTGRES_URL,
        "LOG_JSON": False,
        "LOG_LEVEL": "WARNING",
    }
    base.update(values)
    # None means "not set": the built-in default applies.
    present = {k: v for k, v in base.items() if v is not None}
    return Settings(_env_file=None, **present)  # type: ignore[arg-type]


class TestConfigRefusal:
    def test_good_config_passes(self, tmp_path: Path) -> None:
        settings = production(tmp_path)
        settings.check_production()
        assert settings.debug_pages is False
        assert create_app(settings).title

    def test_sqlite_allowed_explicitly(self, tmp_path: Path) -> None:
        production(
            tmp_path, DATABASE_URL=None, SPARKLE_ALLOW_SQLITE_IN_PRODUCTION="1"
        ).check_production()

    @pytest.mark.parametrize(
        ("values", "needle"),
        [
            ({"SECRET_KEY": None}, "SECRET_KEY"),
            ({"SECRET_KEY": DEFAULT_SECRET}, "SECRET_KEY"),
            ({"SECRET_KEY": "short-secret-0123456789"}, "SECRET_KEY"),
            ({"DATABASE_URL": None}, "SPARKLE_ALLOW_SQLITE_IN_PRODUCTION"),
            (
                {"DATABASE_URL": "sqlite+aiosqlite:////srv/sparkle.db"},
                "SPARKLE_ALLOW_SQLITE_IN_PRODUCTION",
            ),
            ({"SPARKLE_DEBUG_PAGES": True}, "SPARKLE_DEBUG_PAGES"),
        ],
        ids=[
            "default-secret",
            "default-secret-explicit",
            "short-secret",
            "sqlite-default",
            "sqlite-url",
            "debug",
        ],
    )
    def test_refused(self, tmp_path: Path, values: dict[str, object], needle: str) -> None:
        settings = production(tmp_path, **values)
        with pytest.raises(ConfigError, match=needle):
            settings.check_production()
        with pytest.raises(ConfigError):
            create_app(settings)

    def test_all_problems_reported_at_once(self, tmp_path: Path) -> None:
        settings = production(
            tmp_path, SECRET_KEY=None, DATABASE_URL=None, SPARKLE_DEBUG_PAGES=True
        )
        with pytest.raises(ConfigError) as info:
            settings.check_production()
        message = str(info.value)
        for needle in ("SECRET_KEY", "SPARKLE_ALLOW_SQLITE_IN_PRODUCTION", "SPARKLE_DEBUG_PAGES"):
            assert needle in message

    def test_development_is_not_checked(self, tmp_path: Path) -> None:
        Settings(
            _env_file=None, SPARKLE_ENV="development", SPARKLE_DATA_DIR=str(tmp_path)
        ).check_production()  # type: ignore[call-arg]


class TestProductionApp:
    async def test_hsts(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/health")
        assert resp.headers["strict-transport-security"].startswith("max-age=")
        assert (
            int(resp.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 31536000
        )

    async def test_hsts_on_errors(self, client: httpx.AsyncClient) -> None:
        resp = await client.get("/nowhere")
        assert resp.status_code == 404
        assert "strict-transport-security" in resp.headers

    @pytest.mark.parametrize(
        "path", ["/dev/mail", "/dev/mail/anything.eml", "/dev/mail/anything.eml/raw"]
    )
    async def test_dev_mail_is_404(self, client: httpx.AsyncClient, path: str) -> None:
        resp = await client.get(path)
        assert resp.status_code == 404
        assert resp.headers["content-type"].startswith("application/problem+json")
