"""Opaque page cursors: a JSON list of the values a page ended at, signed with an HMAC keyed
by `SECRET_KEY`, in URL-safe base64. A cursor the server did not issue (forged, garbled,
truncated, from another deployment) is a 400 before anything in it is decoded, and each
decoded value is still checked against what it may hold (64-bit integers, finite floats,
timezone-aware datetimes, UUIDs), so no cursor reaches a query with a value the database
cannot take.

Rotating `SECRET_KEY` voids the cursors in flight: a client that sends one gets a 400 and
starts again from the first page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

from sparkle.core.errors import ValidationFailed

MAX_TOKEN = 1024
MAC_BYTES = 16
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class InvalidCursor(ValidationFailed):
    def __init__(self, reason: str = "Invalid cursor") -> None:
        super().__init__("Invalid cursor", fields={"cursor": reason})


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"sparkle.cursor\x00" + secret.encode()).digest()


def _current_key() -> bytes:
    from sparkle.core import runtime

    return _key(runtime.get().settings.secret_key.get_secret_value())


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def seal(values: list[Any]) -> str:
    """The signed token of `values` (JSON-serialisable: strings, numbers, None)."""
    payload = json.dumps(values, separators=(",", ":"), allow_nan=False).encode()
    raw = _mac(_current_key(), payload) + payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unseal(token: str, length: int | None = None) -> list[Any]:
    """The values of a token `seal` issued (exactly `length` of them when given); InvalidCursor
    for anything else."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
    if len(mac) != MAC_BYTES or not hmac.compare_digest(mac, _mac(_current_key(), payload)):
        raise InvalidCursor()
    try:
        values = json.loads(payload)
    except ValueError:  # not reachable with a valid signature; kept for safety
        raise InvalidCursor() from None
    if not isinstance(values, list) or (length is not None and len(values) != length):
        raise InvalidCursor()
    return values


def as_int(value: Any, *, minimum: int = INT64_MIN) -> int:
    """`value` if it is an integer that fits a signed 64-bit column (and is >= minimum)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCursor()
    if not minimum <= value <= INT64_MAX:
        raise InvalidCursor()
    return value


def as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCursor()
    number = float(value) if abs(value) < 2**1023 else math.inf
    if not math.isfinite(number):
        raise InvalidCursor()
    return number


def as_datetime(value: Any) -> datetime:
    """An ISO 8601 timestamp with its offset; a naive one is refused."""
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidCursor()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCursor() from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidCursor()
    return moment


def as_uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidCursor()
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidCursor() from None


def as_str(value: Any, *, max_length: int = 200) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidCursor()
    return value
