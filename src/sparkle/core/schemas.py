"""Shared API schema pieces: camelCase base model, problem documents, pages."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class Schema(BaseModel):
    """Base of every API schema: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class InputSchema(Schema):
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
