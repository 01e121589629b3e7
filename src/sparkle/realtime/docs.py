"""Render `docs/realtime.md` from the protocol's models, so the document cannot drift.

`python -m sparkle.realtime.docs > docs/realtime.md` rewrites it; a test compares the two.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, TypeAdapter

from sparkle.realtime.schemas import CLIENT_EVENTS, SERVER_EVENTS, ErrorCode, EventSpec

INTRO = """# Realtime (Socket.IO)

Socket.IO protocol v5 (Engine.IO v4) at `/socket.io`, in the same ASGI application as the API.
Standard clients connect unchanged (`socket.io-client` v4, python-socketio); WebSocket first,
long-polling as the fallback. Payloads are JSON in camelCase; names are seed 003's, with seed
000's colon names as aliases. This file is generated from `sparkle/realtime/schemas.py`
(`python -m sparkle.realtime.docs > docs/realtime.md`); a test fails when they differ.

## Connecting

- Authenticate with `auth: {token: <access JWT>}` or the session cookies the pages set
  (`sparkle_access`, falling back to `sparkle_refresh`). A refused connect is a `connect_error`
  whose message is `Authentication required` (no credentials) or `Invalid token`. Browsers must
  come from the site's own origin (or `CORS_ORIGINS`).
- On success the socket joins `user:{id}`, the user is marked online and the server emits
  `connected {socketId, userId}`.
- When the session behind the token is revoked (sign-out, password reset, "sign out
  everywhere") the server emits `error {message: "token_expired", code: "TOKEN_EXPIRED"}` and
  disconnects; the client reconnects with fresh credentials. Sessions are also re-checked every
  `REALTIME_SESSION_CHECK_SECONDS`.
- Rooms do not survive a reconnect: clients subscribe again on every `connect`.
- On a graceful shutdown the process emits `serverShutdown` and closes the transport; clients
  reconnect (to another process behind the load balancer).

## Rooms

| room | who is in it |
|---|---|
| `user:{id}` | every socket of that user (joined at connect; private) |
| `user-updates:{id}` | anyone who subscribed to that user (`subscribeToUser`) |
| `post:{id}` | sockets that subscribed to a post they may read |
| `conversation:{id}` | participants (authorizer registered by the messaging domain) |
| `party:{id}` | watch-party members (registered by the watch-party domain) |

Joining checks the authorizer registered for the room's kind
(`sparkle.realtime.register_channel`); a kind nobody registered cannot be joined. Duplicate
subscribes are harmless.

## Presence

Statuses `online`, `away`, `busy`, `invisible` (shown as `offline` to everybody else) and
`offline`. Each socket is a device; a user is online while one device is live. The owning
process renews its devices every `REALTIME_HEARTBEAT_SECONDS` (60); a device not renewed for
`REALTIME_PRESENCE_TTL` (140 s) is gone, so a crashed process's users go offline within the TTL.
Changes go to the user's followers and anyone a domain adds
(`register_presence_audience`, e.g. conversation partners) plus `user-updates:{id}`, at most
once per `REALTIME_PRESENCE_THROTTLE` seconds per user (changes inside the window are coalesced).
`GET /api/presence?userIds=&usernames=` answers the same over HTTP.

## Limits and errors

Every inbound payload is validated before its handler runs; unknown events are ignored. A bad
or refused event is answered with `error {message, code}` and, when the client asked for an
ack, `{ok: false, error: {message, code}}`. Each socket may send `REALTIME_EVENTS_PER_SECOND`
events per second (bursts of twice that) and each user `REALTIME_USER_EVENTS_PER_SECOND`
across their sockets; a socket refused 100 times within 10 s is disconnected. Frames over
`REALTIME_MAX_PAYLOAD` bytes close the connection. A recipient that does not read is a slow
consumer and is disconnected: over WebSocket once `REALTIME_MAX_BUFFER` bytes wait for it,
over long-polling once `REALTIME_MAX_QUEUE` packets do. Outgoing frames for one connection are
written together every `REALTIME_FLUSH_DELAY` (5 ms). Before a graceful shutdown (SIGTERM)
every client gets `serverShutdown` and reconnects, to another process where there is one.
"""


def _schema(model: Any) -> str:
    schema = TypeAdapter(model).json_schema(by_alias=True)
    return json.dumps(_strip(schema), separators=(", ", ": "))


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in ("title", "description")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _doc(model: type[BaseModel] | None) -> str:
    return (
        (model.__doc__ or "").strip().splitlines()[0] if model is not None and model.__doc__ else ""
    )


def _rows(specs: list[EventSpec], *, inbound: bool) -> list[str]:
    out: list[str] = []
    for spec in specs:
        names = " / ".join(f"`{n}`" for n in (spec.name, *spec.aliases))
        out.append(f"### {names}\n")
        out.append(spec.doc + (f" Sent to: {spec.rooms}." if spec.rooms else "") + "\n")
        if spec.model is not None:
            out.append(f"- payload: `{_schema(spec.model)}`")
        else:
            out.append("- payload: the producing domain's JSON object")
        if inbound and spec.ack is not None:
            prefix = "map of userId → " if spec.name == "getPresence" else ""
            out.append(f"- ack: {prefix}`{_schema(spec.ack)}`")
        out.append("")
    return out


def _domain_rows() -> list[str]:
    import sparkle.api  # imports every domain's router, which registers its events
    import sparkle.app  # noqa: F401 - for its side effects: the socket routes
    from sparkle.realtime import channels

    out: list[str] = []
    for name in sorted(channels._events):
        model, handler, failure = channels._events[name]
        module = handler.__module__.removeprefix("sparkle.")
        out.append(f"### `{name}`\n")
        out.append(f"Handled by `{module}`; failures answer `{failure}`.\n")
        out.append(f"- payload: `{_schema(model)}`")
        out.append("")
    return out


def _domain_outbound_rows() -> list[str]:
    from sparkle.realtime import channels

    out: list[str] = []
    for name in sorted(channels._outbound):
        model, rooms, module = channels._outbound[name]
        out.append(f"### `{name}`\n")
        detail = " ".join((model.__doc__ or "").split("\n\n", 1)[1:]).split()
        out.append(f"{_doc(model)} Sent by `{module.removeprefix('sparkle.')}` to: {rooms}.\n")
        if detail:
            out.append(" ".join(detail) + "\n")
        out.append(f"- payload: `{_schema(model)}`")
        out.append("")
    return out


def render() -> str:
    lines = [
        INTRO,
        "## Client → server\n",
        *_rows(CLIENT_EVENTS, inbound=True),
        "## Client → server, handled by other domains\n",
        *_domain_rows(),
        "## Server → client\n",
        *_rows(SERVER_EVENTS, inbound=False),
        "## Server → client, sent by other domains\n",
        *_domain_outbound_rows(),
        "## Error codes\n",
    ]
    lines += [f"- `{code.value}`" for code in ErrorCode]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201 - the generated document goes to stdout
