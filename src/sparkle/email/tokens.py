"""Signed values carried by mail links: unsubscribe tokens (who, which mails, expiring) and
opaque tracking ids. Neither carries an address, and neither can be forged without SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from sparkle.core.config import Settings
from sparkle.notifications.models import NotificationType

UNSUBSCRIBE_SALT = "sparkle.email.unsubscribe"
TRACKING_SALT = "sparkle.email.tracking"

# What one unsubscribe token switches off: one notification type's mail, every notification
# mail, the digest, or every non-transactional mail.
SCOPES = frozenset({*(t.value for t in NotificationType), "notifications", "digest", "all"})


class InvalidToken(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class Unsubscribe:
    user_id: uuid.UUID
    scope: str


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def address_hash(settings: Settings, address: str) -> str:
    """HMAC-SHA256 of the lower-cased address: the only form of it the log keeps."""
    key = hashlib.sha256(f"sparkle.email.address:{_secret(settings)}".encode()).digest()
    return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()


def unsubscribe_token(settings: Settings, user_id: uuid.UUID, scope: str) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown unsubscribe scope {scope!r}")
    serializer = URLSafeTimedSerializer(_secret(settings), salt=UNSUBSCRIBE_SALT)
    return serializer.dumps({"u": str(user_id), "s": scope})


def read_unsubscribe(settings: Settings, token: str) -> Unsubscribe:
    serializer = URLSafeTimedSerializer(_secret(settings), salt=UNSUBSCRIBE_SALT)
    try:
        data = serializer.loads(token, max_age=settings.email_unsubscribe_days * 86400)
        result = Unsubscribe(uuid.UUID(data["u"]), str(data["s"]))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("invalid or expired unsubscribe token") from exc
    if result.scope not in SCOPES:
        raise InvalidToken("unknown unsubscribe scope")
    return result


def new_tracking_id() -> str:
    return secrets.token_urlsafe(16)


def sign_tracking(settings: Settings, tracking_id: str) -> str:
    return Signer(_secret(settings), salt=TRACKING_SALT).sign(tracking_id).decode()


def read_tracking(settings: Settings, value: str) -> str:
    try:
        return Signer(_secret(settings), salt=TRACKING_SALT).unsign(value).decode()
    except BadSignature as exc:
        raise InvalidToken("invalid tracking id") from exc
