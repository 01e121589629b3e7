"""Shared API schema pieces: camelCase base model, problem documents, pages."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")
LONE_SURROGATE = "Contains a lone UTF-16 surrogate, which is not valid Unicode text"


def lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """Where in `value` (a decoded JSON value) a string holds a lone UTF-16 surrogate: `""` for
    `value` itself, a dotted path inside it, or None when there is none. JSON can carry one as
    an escape (`"\\ud800"`) or as CESU-8 bytes; it cannot be stored or encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if (found := lone_surrogate_at(key, where)) is not None:
                return found
            if (found := lone_surrogate_at(item, where)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            where = f"{path}.{index}" if path else str(index)
            if (found := lone_surrogate_at(item, where)) is not None:
                return found
    return None


class TextInput(BaseModel):
    """Refuses a lone surrogate in any field of a client's payload (and anywhere inside a
    field's lists and objects), so every text input is valid Unicode before any handler, and a
    400 names the field instead of a 500 when the text is written."""

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any) -> Any:
        where = lone_surrogate_at(value)
        if where is not None:
            raise ValueError(f"{LONE_SURROGATE} (at {where})" if where else LONE_SURROGATE)
        return value


class Schema(BaseModel):
    """Base of every API schema: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class InputSchema(Schema, TextInput):
    """Base of every request body: also refuses unknown fields and lone surrogates."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False
    )


class ProblemFieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "https://sparkle.local/problems/validation_error",
                "title": "Invalid input",
                "status": 400,
                "detail": "Invalid input",
                "code": "validation_error",
                "errors": [{"field": "username", "message": "Must be 3 to 30 characters"}],
            }
        }
    )


class CursorPage(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Message(Schema):
    message: str
