"""Effective settings, read from the environment and `.env` (12-factor).

Every setting is documented in the README; `sparkle config` prints them with secrets masked.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development default; production refuses it (see `check_production`).
DEFAULT_SECRET = "change-me-sparkle-development-secret-key"  # noqa: S105
SECRET_FIELDS = {
    "secret_key",
    "database_url",
    "redis_url",
    "smtp_url",
    "smtp_backup_url",
    "s3_secret_access_key",
}


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example default secrets in production)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias="SPARKLE_ENV"
    )
    data_dir: Path = Field(Path("./var"), validation_alias="SPARKLE_DATA_DIR")
    secret_key: SecretStr = Field(SecretStr(DEFAULT_SECRET), validation_alias="SECRET_KEY")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    smtp_url: str | None = Field(None, validation_alias="SMTP_URL")
    mail_from: str = Field(
        "Sparkle Universe <no-reply@sparkle.local>", validation_alias="MAIL_FROM"
    )
    base_url: str = Field("http://127.0.0.1:8000", validation_alias="SPARKLE_BASE_URL")
    cors_origins: list[str] = Field(default_factory=list, validation_alias="CORS_ORIGINS")
    debug_pages: bool = Field(True, validation_alias="SPARKLE_DEBUG_PAGES")
    allow_sqlite_in_production: bool = Field(
        False, validation_alias="SPARKLE_ALLOW_SQLITE_IN_PRODUCTION"
    )
    require_email_verification: bool = Field(
        True, validation_alias="SPARKLE_REQUIRE_EMAIL_VERIFICATION"
    )
    require_admin_2fa: bool = Field(False, validation_alias="SPARKLE_REQUIRE_ADMIN_2FA")
    access_token_minutes: int = Field(15, validation_alias="ACCESS_TOKEN_MINUTES", ge=1)
    refresh_token_days: int = Field(7, validation_alias="REFRESH_TOKEN_DAYS", ge=1)
    account_deletion_grace_days: int = Field(30, validation_alias="ACCOUNT_DELETION_GRACE_DAYS")
    # Request bodies larger than this are refused with 413 before they are parsed; upload
    # routes set their own, larger limits.
    max_body_bytes: int = Field(1_048_576, validation_alias="MAX_BODY_BYTES", ge=1024)
    rate_limits_enabled: bool = Field(True, validation_alias="SPARKLE_RATE_LIMITS")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")
    db_echo: bool = Field(False, validation_alias="DB_ECHO")
    # Argon2id cost; OWASP's minimum for argon2id is m=19 MiB, t=2, p=1. We use RFC 9106's
    # second recommendation (m=64 MiB, t=3, p=4).
    argon2_time_cost: int = Field(3, validation_alias="ARGON2_TIME_COST", ge=1)
    argon2_memory_kib: int = Field(65536, validation_alias="ARGON2_MEMORY_KIB", ge=8)
    argon2_parallelism: int = Field(4, validation_alias="ARGON2_PARALLELISM", ge=1)
    # Jobs: broker (auto = Redis if REDIS_URL, else PostgreSQL if DATABASE_URL is one, else the
    # SQLite file), the worker inside the web process, sweep intervals, extra handler modules.
    jobs_backend: Literal["auto", "sqlite", "redis", "postgres"] = Field(
        "auto", validation_alias="JOBS_BACKEND"
    )
    jobs_sqlite_path: Path | None = Field(None, validation_alias="JOBS_SQLITE_PATH")
    jobs_embedded_worker: bool = Field(True, validation_alias="JOBS_EMBEDDED_WORKER")
    jobs_sweep_seconds: float = Field(15.0, validation_alias="JOBS_SWEEP_SECONDS", gt=0)
    jobs_abort_wait_seconds: float = Field(5.0, validation_alias="JOBS_ABORT_WAIT_SECONDS", gt=0)
    jobs_outbox_seconds: float = Field(30.0, validation_alias="JOBS_OUTBOX_SECONDS", gt=0)
    jobs_pg_pool_size: int = Field(4, validation_alias="JOBS_PG_POOL_SIZE", ge=1, le=100)
    jobs_import: list[str] = Field(default_factory=list, validation_alias="JOBS_IMPORT")
    log_retention_days: int = Field(30, validation_alias="LOG_RETENTION_DAYS", ge=1)
    # Email service: backup SMTP relay, sending limits, tracking, unsubscribe links, pacing.
    smtp_backup_url: str | None = Field(None, validation_alias="SMTP_BACKUP_URL")
    email_rate_per_hour: int = Field(1000, validation_alias="EMAIL_RATE_PER_HOUR", ge=1)
    email_rate_per_recipient_day: int = Field(
        100, validation_alias="EMAIL_RATE_PER_RECIPIENT_DAY", ge=1
    )
    email_tracking: bool = Field(False, validation_alias="EMAIL_TRACKING")
    email_unsubscribe_days: int = Field(90, validation_alias="EMAIL_UNSUBSCRIBE_DAYS", ge=1)
    email_batch_pace_seconds: float = Field(1.0, validation_alias="EMAIL_BATCH_PACE_SECONDS", ge=0)
    # Inbound mail (`sparkle mail-inbound`): the domain and local parts of the signed bounce
    # (VERP envelope sender) and unsubscribe addresses, the largest message taken, and how many
    # soft bounces within how many days suppress an address.
    email_inbound_domain: str | None = Field(
        None, validation_alias="EMAIL_INBOUND_DOMAIN", pattern=r"^[A-Za-z0-9.-]+$"
    )
    email_bounce_local: str = Field(
        "bounces", validation_alias="EMAIL_BOUNCE_LOCAL", pattern=r"^[a-z0-9][a-z0-9._-]{0,14}$"
    )
    email_unsubscribe_local: str = Field(
        "unsubscribe",
        validation_alias="EMAIL_UNSUBSCRIBE_LOCAL",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,14}$",
    )
    email_inbound_max_bytes: int = Field(
        1_048_576, validation_alias="EMAIL_INBOUND_MAX_BYTES", ge=1024
    )
    email_soft_bounce_limit: int = Field(3, validation_alias="EMAIL_SOFT_BOUNCE_LIMIT", ge=1)
    email_soft_bounce_days: int = Field(7, validation_alias="EMAIL_SOFT_BOUNCE_DAYS", ge=1)
    # Notifications: grouping windows (likes like Discourse's 120 min), retention of read and
    # unread rows, the size of a broadcast batch.
    notification_like_group_seconds: int = Field(
        7200, validation_alias="NOTIFICATION_LIKE_GROUP_SECONDS", ge=0
    )
    notification_group_seconds: int = Field(
        600, validation_alias="NOTIFICATION_GROUP_SECONDS", ge=0
    )
    notification_read_retention_days: int = Field(
        90, validation_alias="NOTIFICATION_READ_RETENTION_DAYS", ge=1
    )
    notification_unread_retention_days: int = Field(
        365, validation_alias="NOTIFICATION_UNREAD_RETENTION_DAYS", ge=1
    )
    notification_broadcast_batch: int = Field(
        500, validation_alias="NOTIFICATION_BROADCAST_BATCH", ge=1, le=5000
    )
    # Media (uploads): storage backend, S3 and CDN, size limits per category, quota, pixels.
    media_storage: Literal["local", "s3"] = Field("local", validation_alias="MEDIA_STORAGE")
    s3_endpoint_url: str | None = Field(None, validation_alias="S3_ENDPOINT_URL")
    s3_bucket: str = Field("sparkle-media", validation_alias="S3_BUCKET")
    s3_region: str = Field("us-east-1", validation_alias="S3_REGION")
    s3_access_key_id: str | None = Field(None, validation_alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: SecretStr | None = Field(None, validation_alias="S3_SECRET_ACCESS_KEY")
    cdn_base_url: str | None = Field(None, validation_alias="CDN_BASE_URL")
    media_max_bytes: int = Field(50 * 1024 * 1024, validation_alias="MEDIA_MAX_BYTES", ge=1)
    media_category_max_bytes: dict[str, int] = Field(
        default_factory=lambda: {"avatar": 5 * 1024 * 1024, "banner": 5 * 1024 * 1024},
        validation_alias="MEDIA_CATEGORY_MAX_BYTES",
    )
    media_user_quota_bytes: int = Field(1024**3, validation_alias="MEDIA_USER_QUOTA_BYTES", ge=0)
    media_max_pixels: int = Field(40_000_000, validation_alias="MEDIA_MAX_PIXELS", ge=1)
    media_signed_url_seconds: int = Field(300, validation_alias="MEDIA_SIGNED_URL_SECONDS", ge=1)
    # Realtime (Socket.IO): presence liveness (Zulip: renew every 60 s, offline after 140 s),
    # change throttling, session re-checks, inbound limits, per-recipient queue bound.
    realtime_presence_ttl: float = Field(140.0, validation_alias="REALTIME_PRESENCE_TTL", gt=0)
    realtime_heartbeat_seconds: float = Field(
        60.0, validation_alias="REALTIME_HEARTBEAT_SECONDS", gt=0
    )
    realtime_presence_throttle: float = Field(
        3.0, validation_alias="REALTIME_PRESENCE_THROTTLE", ge=0
    )
    realtime_session_check_seconds: float = Field(
        60.0, validation_alias="REALTIME_SESSION_CHECK_SECONDS", gt=0
    )
    realtime_typing_timeout: float = Field(5.0, validation_alias="REALTIME_TYPING_TIMEOUT", gt=0)
    realtime_max_payload: int = Field(65_536, validation_alias="REALTIME_MAX_PAYLOAD", ge=1024)
    realtime_events_per_second: float = Field(
        20.0, validation_alias="REALTIME_EVENTS_PER_SECOND", gt=0
    )
    realtime_user_events_per_second: float = Field(
        40.0, validation_alias="REALTIME_USER_EVENTS_PER_SECOND", gt=0
    )
    realtime_max_queue: int = Field(1000, validation_alias="REALTIME_MAX_QUEUE", ge=10)
    realtime_max_buffer: int = Field(1_048_576, validation_alias="REALTIME_MAX_BUFFER", ge=65_536)
    realtime_flush_delay: float = Field(
        0.005, validation_alias="REALTIME_FLUSH_DELAY", gt=0, le=0.1
    )
    realtime_gc_tuning: bool = Field(True, validation_alias="REALTIME_GC_TUNING")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if self.env == "production" and "debug_pages" not in self.model_fields_set:
            self.debug_pages = False
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sparkle.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def log_file(self) -> Path | None:
        """Logs are also appended here, except in tests."""
        return None if self.env == "test" else self.data_dir / "logs" / "sparkle.log"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.mail_dir, self.media_dir, self.data_dir / "logs"):
            path.mkdir(parents=True, exist_ok=True)

    def check_production(self) -> None:
        """Refuse settings that are unsafe in production."""
        if not self.is_production:
            return
        problems = []
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET or len(secret) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.is_sqlite and not self.allow_sqlite_in_production:
            problems.append(
                "SQLite in production needs SPARKLE_ALLOW_SQLITE_IN_PRODUCTION=1 (or DATABASE_URL)"
            )
        if self.debug_pages:
            problems.append("SPARKLE_DEBUG_PAGES must be off in production")
        if problems:
            raise ConfigError("; ".join(problems))

    def masked(self) -> dict[str, str]:
        """Effective settings as strings, secrets masked."""
        out: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if name in SECRET_FIELDS and value:
                value = _mask(str(value))
            alias = field.validation_alias if isinstance(field.validation_alias, str) else None
            out[alias or name] = "" if value is None else str(value)
        out["(effective DATABASE_URL)"] = _mask(self.effective_database_url)
        return out


def _mask(value: str) -> str:
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:****@{host}"
    if "://" in value:
        return value
    return value[:2] + "****" if len(value) > 4 else "****"


@lru_cache
def get_settings() -> Settings:
    return Settings()
