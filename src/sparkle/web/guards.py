"""Who may see a page: the typed dependencies page handlers take instead of checking the
principal themselves.

`PageUser` / `PagePrincipal` answer an anonymous visitor with the sign-in page (and a `next`
back to where they were); `PageAdmin` adds the admin check, whose refusal renders the 403 page.
The page error handler (`web/errors.py`) turns `SignInRequired` into that redirect.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sparkle.accounts.models import User
from sparkle.auth.deps import OptionalPrincipal, Principal, get_admin
from sparkle.core.deps import RuntimeDep
from sparkle.core.errors import Unauthorized


class SignInRequired(Unauthorized):
    """A page for members only, opened without a session."""


async def page_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise SignInRequired()
    return principal


async def page_user(principal: Annotated[Principal, Depends(page_principal)]) -> User:
    return principal.user


async def page_admin(user: Annotated[User, Depends(page_user)], rt: RuntimeDep) -> User:
    return await get_admin(user, rt)


PagePrincipal = Annotated[Principal, Depends(page_principal)]
PageUser = Annotated[User, Depends(page_user)]
PageAdmin = Annotated[User, Depends(page_admin)]
