"""`sparkle create-admin` and `sparkle purge-deleted`: accounts from the command line."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from sparkle.cli.base import (
    app,
    fail,
    load_settings,
    out,
    prepare_database,
    run,
    with_runtime,
)

# --- accounts ---------------------------------------------------------------------------


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        message = str(err.get("msg", "Invalid value")).removeprefix("Value error, ")
        out.append((".".join(str(p) for p in err["loc"]) or "value", message))
    return out


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="E-mail address.")],
    username: Annotated[str, typer.Option(prompt=True, help="3-30 letters, digits, _ or -.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="8-128 characters."
        ),
    ],
) -> None:
    """Create a verified administrator account."""
    from sparkle.auth.schemas import RegisterRequest
    from sparkle.core.errors import Conflict

    try:
        data = RegisterRequest(email=email, username=username, password=password)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {message}" for name, message in field_errors(exc))
        raise fail(f"invalid input: {problems}", 2) from exc
    settings = load_settings()
    prepare_database(settings)
    try:
        user = run(with_runtime(settings, lambda rt: _create_admin(rt, data)))
    except Conflict as exc:
        taken = ", ".join(f"{f.field} ({f.message.lower()})" for f in exc.fields)
        raise fail(f"{exc.detail}: {taken}" if taken else exc.detail) from exc
    out().print(f"Created administrator [bold]{user.username}[/] <{user.email}> (id {user.id}).")


async def _create_admin(rt: Any, data: Any) -> Any:
    from sparkle.accounts import service as accounts_service
    from sparkle.accounts.models import Role
    from sparkle.core import security
    from sparkle.core.db import session_scope

    hashed = await asyncio.to_thread(security.hash_password, rt.settings, data.password)
    async with session_scope(rt.sessions) as session:
        return await accounts_service.create(
            session,
            email=data.email,
            username=data.username,
            hashed_password=hashed,
            role=Role.ADMIN,
            verified=True,
        )


@app.command("purge-deleted")
def purge_deleted() -> None:
    """Free usernames and e-mails of accounts deleted longer ago than the grace period."""
    settings = load_settings()
    prepare_database(settings)
    count = run(with_runtime(settings, _purge))
    out().print(
        f"Purged {count} account(s) deleted more than "
        f"{settings.account_deletion_grace_days} day(s) ago."
    )


async def _purge(rt: Any) -> int:
    from sparkle.accounts import service as accounts_service
    from sparkle.core.db import session_scope

    async with session_scope(rt.sessions) as session:
        return await accounts_service.purge_deleted(
            session, grace_days=rt.settings.account_deletion_grace_days
        )
