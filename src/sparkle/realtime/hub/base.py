"""What the hub's parts share: limits, refusals, the token bucket, one connection's state
and the state of the hub itself."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.auth import service as auth_service
from sparkle.core import runtime as runtime_mod
from sparkle.core.batching import Batcher
from sparkle.core.config import Settings
from sparkle.core.errors import Forbidden, NotFound, SparkleError, TooManyRequests
from sparkle.realtime import presence
from sparkle.realtime.direct import DirectServer
from sparkle.realtime.schemas import (
    ErrorCode,
)

# The name of the module the hub was one file in, kept for the logs.
log = structlog.get_logger("sparkle.realtime.hub")

REVOKED_CHANNEL = "sparkle:realtime:revoked"
VIEWER_DEBOUNCE = 1.0
AUDIENCE_BATCH = 500
# A socket refused this many events within ABUSE_WINDOW seconds is disconnected.
ABUSE_LIMIT = 100
ABUSE_WINDOW = 10.0
# How long a SIGTERM/SIGINT waits for `serverShutdown` to be written before uvicorn goes on.
ANNOUNCE_TIMEOUT = 2.0


class Refused(Exception):
    """An inbound event the server declines; answered with an `error` event."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def refusal(
    exc: SparkleError,
    failure: ErrorCode,
    *,
    not_found: ErrorCode = ErrorCode.UNAUTHORIZED,
    forbidden: ErrorCode | None = None,
) -> Refused:
    """A domain error as the `error` event's refusal: missing (or hidden) → `not_found`,
    forbidden → `forbidden` (default `failure`), rate limited → RATE_LIMITED, else `failure`."""
    if isinstance(exc, NotFound):
        return Refused(exc.detail, not_found)
    if isinstance(exc, Forbidden) and forbidden is not None:
        return Refused(exc.detail, forbidden)
    if isinstance(exc, TooManyRequests):
        return Refused(exc.detail, ErrorCode.RATE_LIMITED)
    return Refused(exc.detail, failure)


async def live_user(session: Any, conn: Conn) -> User:
    """The connection's account, loaded in `session` for a handler's unit of work; refused
    when it was deleted since the socket connected."""
    user = await accounts_service.get(session, conn.user.id)
    if user is None:
        raise Refused("Unknown user", ErrorCode.UNAUTHORIZED)
    return user


class Bucket:
    """A token bucket: `rate` events per second, bursts up to `burst`."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


@dataclass
class Conn:
    """What the server knows about one connected socket."""

    sid: str
    user: User
    session_id: uuid.UUID
    bucket: Bucket
    refused: int = 0
    refused_since: float = 0.0
    typing: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    viewing: set[str] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return str(self.user.id)

    @property
    def username(self) -> str:
        return self.user.username


Handler = Callable[[Conn, Any], Awaitable[Any]]


class HubState:
    """The state one `Hub` keeps, set up by `Hub.__init__`; each sub-feature adds its
    methods in a subclass (dispatch → rooms → connection → shutdown → `Hub`)."""

    settings: Settings
    rt: runtime_mod.Runtime | None
    sio: DirectServer
    asgi: Any
    conns: dict[str, Conn]
    user_sids: dict[str, set[str]]
    user_buckets: dict[str, Bucket]
    store: presence.PresenceStore
    accepting: bool
    _announced: bool
    _stopped: bool
    _tasks: list[asyncio.Task[Any]]
    _token_checks: Batcher[str, auth_service.Principal | SparkleError]
    _pending: dict[str, Conn]
    _last_sent: dict[str, tuple[float, str]]
    _scheduled: set[str]
    _viewer_timers: dict[str, asyncio.TimerHandle]
    _queue: asyncio.Queue[tuple[Callable[..., Awaitable[None]], tuple[Any, ...]]] | None
