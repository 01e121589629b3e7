"""One error tree for the whole platform, rendered as `application/problem+json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FieldError:
    field: str
    message: str


CATALOG: dict[str, type[SparkleError]] = {}


class SparkleError(Exception):
    """An error a client may see. Each subclass names one `code` with one `status`: a code is
    defined once, in `CATALOG` (a second class reusing a code with another status, or any
    class reusing another's code, is refused when it is defined)."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad Request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # shares its parent's code (a variant with another default detail)
        known = CATALOG.get(cls.code)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code!r} is already {known.__qualname__}")
        CATALOG[cls.code] = cls

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: list[FieldError] | dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        commit: bool = False,
    ) -> None:
        self.detail = detail or self.title
        # The boundary commits instead of rolling back (for security records that must stay).
        self.commit = commit
        if isinstance(fields, dict):
            fields = [FieldError(k, v) for k, v in fields.items()]
        self.fields = fields or []
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://sparkle.local/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.fields:
            body["errors"] = [{"field": f.field, "message": f.message} for f in self.fields]
        body.update(self.extra)
        return body


class ValidationFailed(SparkleError):
    status, code, title = 400, "validation_error", "Invalid input"


class Unauthorized(SparkleError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(SparkleError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(SparkleError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(SparkleError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(SparkleError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class TooManyRequests(SparkleError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Too many requests; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            extra={"retryAfter": retry_after},
        )


class ServiceUnavailable(SparkleError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


class ParticipantNotFound(NotFound):
    code, title = "participant_not_found", "Not a participant"


def problem_responses(*errors: type[SparkleError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors an endpoint can raise."""
    from sparkle.core.schemas import Problem

    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        out[err.status] = {
            "model": Problem,
            "description": err.title,
            "content": {"application/problem+json": {}},
        }
    return out
