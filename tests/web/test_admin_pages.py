"""The admin users page: identity matrix, search, role filter, paging, role changes and bans."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import Role
from sparkle.audit.models import AuditLog
from sparkle.core.db import session_scope, utcnow
from sparkle.core.runtime import Runtime
from tests.web.pages import HTML, csrf_token, post_form, sign_in


async def role_of(rt: Runtime, account) -> str:  # type: ignore[no-untyped-def]
    async with session_scope(rt.sessions) as db:
        return (await accounts_service.get(db, account.id)).role


class TestAccess:
    async def test_anonymous_is_sent_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/admin/users?q=a", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/admin/users%3Fq%3Da"

    @pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR])
    async def test_non_admin_gets_403(self, client: AsyncClient, make_account, role: Role) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, await make_account(username="not_admin", role=role))
        response = await client.get("/admin/users", headers=HTML)
        assert response.status_code == 403
        assert "Administrator role required" in response.text

    async def test_admin_sees_the_list(self, client: AsyncClient, admin, owner, other) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await client.get("/admin/users", headers=HTML)
        assert response.status_code == 200
        for account in (admin, owner, other):
            assert f"@{account.user.username}" in response.text
        assert response.text.count('data-testid="user-row"') == 3

    async def test_non_admin_cannot_change_roles(
        self, client: AsyncClient, rt: Runtime, other, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, other)
        response = await post_form(client, f"/admin/users/{owner.id}/role", {"role": "ADMIN"})
        assert response.status_code == 403
        assert await role_of(rt, owner) == "USER"

    async def test_anonymous_cannot_change_roles(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        response = await post_form(client, f"/admin/users/{owner.id}/role", {"role": "ADMIN"})
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
        assert await role_of(rt, owner) == "USER"


class TestList:
    async def test_search_by_email_or_username(
        self, client: AsyncClient, admin, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        by_name = (await client.get("/admin/users?q=OWNER", headers=HTML)).text
        assert "@owner_user" in by_name and "@other_user" not in by_name
        by_mail = (await client.get(f"/admin/users?q={other.user.email}", headers=HTML)).text
        assert "@other_user" in by_mail and "@owner_user" not in by_mail

    async def test_filter_by_role(self, client: AsyncClient, admin, owner, moderator) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        html = (await client.get("/admin/users?role=MODERATOR", headers=HTML)).text
        assert "@mod_user" in html and "@owner_user" not in html
        assert '<option value="MODERATOR" selected>' in html

    async def test_htmx_search_returns_only_the_results(
        self, client: AsyncClient, admin, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await client.get("/admin/users?q=owner", headers={**HTML, "HX-Request": "true"})
        assert response.text.lstrip().startswith('<div id="users-results">')
        assert "<html" not in response.text and "@owner_user" in response.text

    async def test_cursor_paging(self, client: AsyncClient, admin, make_account) -> None:  # type: ignore[no-untyped-def]
        for n in range(26):
            await make_account(username=f"fan{n:02d}", verified=False)
        await sign_in(client, admin)
        first = (await client.get("/admin/users", headers=HTML)).text
        assert first.count('data-testid="user-row"') == 25
        next_link = re.search(r'href="(/admin/users\?cursor=[^"]+)" rel="next"', first).group(1)
        second = (await client.get(next_link.replace("&amp;", "&"), headers=HTML)).text
        assert second.count('data-testid="user-row"') == 2  # 26 fans + the admin
        names = set(re.findall(r"@(fan\d\d|admin_user)", first + second))
        assert len(names) == 27
        assert 'rel="next"' not in second and "First page" in second

    async def test_bad_cursor(self, client: AsyncClient, admin) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await client.get("/admin/users?cursor=garbage", headers=HTML)
        assert response.status_code == 400
        assert "Invalid cursor" in response.text


class TestChanges:
    async def test_change_role_with_htmx(
        self, client: AsyncClient, rt: Runtime, admin, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await post_form(
            client, f"/admin/users/{owner.id}/role", {"role": "MODERATOR"}, htmx=True
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="user-{owner.id}"')
        assert '<option value="MODERATOR" selected>' in response.text
        assert await role_of(rt, owner) == Role.MODERATOR
        async with session_scope(rt.sessions) as db:
            entry = (
                await db.scalars(select(AuditLog).where(AuditLog.target_id == str(owner.id)))
            ).one()
        assert entry.action == "user.update" and entry.changes == {
            "role": {"from": "USER", "to": "MODERATOR"}
        }

    async def test_change_role_without_htmx(
        self, client: AsyncClient, rt: Runtime, admin, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await post_form(client, f"/admin/users/{owner.id}/role", {"role": "ADMIN"})
        assert response.status_code == 303
        assert "Updated @owner_user." in (await client.get("/admin/users", headers=HTML)).text
        assert await role_of(rt, owner) == Role.ADMIN

    async def test_ban_and_lift(self, client: AsyncClient, rt: Runtime, admin, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await post_form(
            client, f"/admin/users/{owner.id}/ban", {"duration": "7"}, htmx=True
        )
        assert response.status_code == 200
        assert "Banned until" in response.text
        async with session_scope(rt.sessions) as db:
            until = (await accounts_service.get(db, owner.id)).banned_until
        assert 6.9 < (until - utcnow()).total_seconds() / 86400 <= 7
        lifted = await post_form(
            client, f"/admin/users/{owner.id}/ban", {"duration": "lift"}, htmx=True
        )
        assert "Banned until" not in lifted.text and "Active" in lifted.text

    async def test_admin_cannot_demote_themselves(
        self, client: AsyncClient, rt: Runtime, admin
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        response = await post_form(
            client, f"/admin/users/{admin.id}/role", {"role": "USER"}, htmx=True
        )
        assert response.status_code == 403
        assert response.json()["detail"] == "Admins cannot change their own role or ban themselves"
        page = await post_form(client, f"/admin/users/{admin.id}/role", {"role": "USER"})
        assert page.status_code == 303
        assert (
            "cannot change their own role" in (await client.get("/admin/users", headers=HTML)).text
        )
        assert await role_of(rt, admin) == Role.ADMIN

    async def test_unknown_role_or_duration(self, client: AsyncClient, admin, owner) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        assert (
            await post_form(client, f"/admin/users/{owner.id}/role", {"role": "KING"})
        ).status_code == 400
        assert (
            await post_form(client, f"/admin/users/{owner.id}/ban", {"duration": "forever"})
        ).status_code == 400

    async def test_without_csrf_is_refused(
        self, client: AsyncClient, rt: Runtime, admin, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await sign_in(client, admin)
        await csrf_token(client)
        response = await client.post(
            f"/admin/users/{owner.id}/role", data={"role": "ADMIN"}, headers=HTML
        )
        assert response.status_code == 403
        assert await role_of(rt, owner) == "USER"
