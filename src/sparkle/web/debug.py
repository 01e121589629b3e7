"""Who may see the development pages (the outbox viewer at `/dev/mail`): they exist only
when `SPARKLE_DEBUG_PAGES` is on outside production, and even then only for a request made on
this machine or by a signed-in administrator. The outbox holds password-reset mails, so one
`--host 0.0.0.0` must not hand every account to the network.

"On this machine" is judged by the socket peer (`request.client`), never by a header a client
can write: the peer must be a loopback address, the request must carry no forwarding header
(behind a same-host proxy every peer is loopback, and uvicorn may already have replaced the
peer with the forwarded address), and the Host must be a loopback name, so a web page that
rebinds its own domain to 127.0.0.1 cannot read the outbox through the developer's browser.
"""

from __future__ import annotations

import ipaddress

from fastapi import Request

from sparkle.auth.deps import OptionalPrincipal, get_admin
from sparkle.core.deps import RuntimeDep
from sparkle.core.errors import Forbidden, NotFound

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
RULE = (
    "Development pages are served only to this machine (a loopback connection to "
    "localhost or 127.0.0.1) or to a signed-in administrator"
)


class DebugPageRefused(Forbidden):
    code, title = "debug_page_refused", "Development page"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_request(request: Request) -> bool:
    """Whether `request` came straight from this machine (see the module docstring)."""
    peer = request.client.host if request.client else None
    if not _is_loopback(peer):
        return False
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    name = _host_name(request)
    return name in LOOPBACK_NAMES or _is_loopback(name)


async def require_debug_access(
    request: Request, principal: OptionalPrincipal, rt: RuntimeDep
) -> None:
    """Page dependency: 404 when debug pages are off; otherwise a loopback request or an
    administrator passes and anyone else gets a 403 that states the rule."""
    settings = rt.settings
    if not settings.debug_pages or settings.is_production:
        raise NotFound()
    if is_local_request(request):
        return
    if principal is None:
        raise DebugPageRefused(RULE)
    try:
        await get_admin(principal.user, rt)
    except Forbidden as exc:
        raise DebugPageRefused(f"{RULE}. {exc.detail}.") from exc
