"""`sparkle mail-inbound`: the server that bounces, complaint reports and mailed unsubscribe
requests are delivered to (see `sparkle.email.inbound`)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from sparkle.core.config import Settings


def mail_inbound(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 2525,
    lmtp: Annotated[
        bool, typer.Option(help="Speak LMTP (for a local MTA's lmtp transport) instead of SMTP.")
    ] = False,
) -> None:
    """Receive bounces, complaint reports and unsubscribe mails; stop with SIGTERM or Ctrl-C."""
    from sparkle.cli import load_settings, prepare_database

    settings = load_settings()
    prepare_database(settings, strict=False)
    asyncio.run(_serve(settings, host, port, lmtp))


async def _serve(settings: Settings, host: str, port: int, lmtp: bool) -> None:
    import sparkle.models  # noqa: F401  (every mapper, for the relationships of the rows read)
    from sparkle.core import runtime
    from sparkle.email import inbound, tokens

    rt = runtime.install(runtime.build(settings))
    server = await inbound.start_server(rt, host, port, lmtp=lmtp)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    domain = tokens.inbound_domain(settings)
    # The ready line is for whoever started the server (scripts and tests wait for it).
    print(  # noqa: T201
        f"mail-inbound ready: {'lmtp' if lmtp else 'smtp'} {host}:{port} for "
        f"{settings.email_bounce_local}+…@{domain} "
        f"and {settings.email_unsubscribe_local}+…@{domain}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        await rt.close()
