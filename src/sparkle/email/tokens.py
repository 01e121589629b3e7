"""Signed values carried by mail: unsubscribe tokens (who, which mails, expiring), opaque
tracking ids, and the signed local parts of the addresses mail comes back to (the VERP bounce
address naming one `email_log` row, the mailto unsubscribe address). None carries an address,
and none can be forged without SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from sparkle.core.config import Settings
from sparkle.notifications.models import NotificationType

UNSUBSCRIBE_SALT = "sparkle.email.unsubscribe"
TRACKING_SALT = "sparkle.email.tracking"
BOUNCE_SALT = "sparkle.email.bounce-address"
MAILTO_SALT = "sparkle.email.unsubscribe-address"
# A bounce or complaint may come weeks after the mail; the log row lives 90 days.
BOUNCE_ADDRESS_DAYS = 90
_MAC_BYTES = 10

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


# --- return addresses -------------------------------------------------------------------------
#
# Local parts are at most 64 octets (RFC 5321) and may be case-folded on the way back, so the
# tokens are packed bytes in lower-case base32 with a truncated HMAC-SHA256 (80 bits):
# bounce = log id (16) + issue day (2) + MAC -> 45 characters; unsubscribe = user id (16) +
# scope code (2) + issue day (2) + MAC -> 48 characters.


def _scope_code(scope: str) -> bytes:
    return hashlib.sha256(f"sparkle.email.scope:{scope}".encode()).digest()[:2]


_SCOPE_BY_CODE = {_scope_code(scope): scope for scope in SCOPES}
if len(_SCOPE_BY_CODE) != len(SCOPES):  # a new scope whose code collides must be renamed
    raise RuntimeError("two unsubscribe scopes share an address code")


def _today(now: datetime | None) -> int:
    return int((now or datetime.now(UTC)).timestamp() // 86400)


def _mac(settings: Settings, salt: str, payload: bytes) -> bytes:
    key = hashlib.sha256(f"{salt}:{_secret(settings)}".encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _pack(settings: Settings, salt: str, payload: bytes) -> str:
    raw = payload + _mac(settings, salt, payload)
    return base64.b32encode(raw).decode().rstrip("=").lower()


def _unpack(settings: Settings, salt: str, token: str, size: int, max_days: int) -> bytes:
    """The payload of a packed token, checked for its MAC and age (the last 2 bytes are its
    issue day)."""
    text = token.strip().upper()
    if not text.isalnum() or len(text) != -(-(size + _MAC_BYTES) * 8 // 5):
        raise InvalidToken("malformed address token")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError as exc:
        raise InvalidToken("malformed address token") from exc
    payload, mac = raw[:size], raw[size:]
    # Only the canonical spelling: the last character's spare bits must not give a second one.
    canonical = base64.b32encode(raw).decode().rstrip("=")
    if canonical != text or not hmac.compare_digest(mac, _mac(settings, salt, payload)):
        raise InvalidToken("forged address token")
    (day,) = struct.unpack(">H", payload[-2:])
    # A day of grace the other way: another server's clock may already be past midnight.
    if not -1 <= _today(None) - day <= max_days:
        raise InvalidToken("expired address token")
    return payload


def inbound_domain(settings: Settings) -> str:
    """The domain of the bounce and unsubscribe addresses: EMAIL_INBOUND_DOMAIN, else that of
    MAIL_FROM."""
    if settings.email_inbound_domain:
        return settings.email_inbound_domain.lower()
    return parseaddr(settings.mail_from)[1].rpartition("@")[2].lower() or "sparkle.local"


def bounce_token(settings: Settings, log_id: uuid.UUID, *, now: datetime | None = None) -> str:
    payload = log_id.bytes + struct.pack(">H", _today(now))
    return _pack(settings, BOUNCE_SALT, payload)


def read_bounce_token(settings: Settings, token: str) -> uuid.UUID:
    """The `email_log` id a bounce address names; InvalidToken when forged or too old."""
    payload = _unpack(settings, BOUNCE_SALT, token, 18, BOUNCE_ADDRESS_DAYS)
    return uuid.UUID(bytes=payload[:16])


def bounce_address(settings: Settings, log_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """The envelope sender of the mail logged as `log_id`: bounces and reports come back here."""
    token = bounce_token(settings, log_id, now=now)
    return f"{settings.email_bounce_local}+{token}@{inbound_domain(settings)}"


def unsubscribe_address_token(
    settings: Settings, user_id: uuid.UUID, scope: str, *, now: datetime | None = None
) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown unsubscribe scope {scope!r}")
    payload = user_id.bytes + _scope_code(scope) + struct.pack(">H", _today(now))
    return _pack(settings, MAILTO_SALT, payload)


def read_unsubscribe_address_token(settings: Settings, token: str) -> Unsubscribe:
    """Who and which mails an unsubscribe address names; InvalidToken when forged or expired
    (after EMAIL_UNSUBSCRIBE_DAYS, like the link)."""
    payload = _unpack(settings, MAILTO_SALT, token, 20, settings.email_unsubscribe_days)
    scope = _SCOPE_BY_CODE.get(payload[16:18])
    if scope is None:
        raise InvalidToken("unknown unsubscribe scope")
    return Unsubscribe(uuid.UUID(bytes=payload[:16]), scope)


def unsubscribe_address(
    settings: Settings, user_id: uuid.UUID, scope: str, *, now: datetime | None = None
) -> str:
    """The mailto unsubscribe address: a mail to it switches off what `scope` names."""
    token = unsubscribe_address_token(settings, user_id, scope, now=now)
    return f"{settings.email_unsubscribe_local}+{token}@{inbound_domain(settings)}"
