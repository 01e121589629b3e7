"""Email pages: the unsubscribe landing page and one-click endpoint (RFC 8058), the open and
click tracking endpoints, the admin template previews, and the development outbox viewer.

Unsubscribe requests carry a signed, expiring token instead of a sign-in, so they take no
CSRF token: the token is the authority, and a mail client's one-click POST has no cookie.
The outbox viewer at `/dev/mail` exists only when `SPARKLE_DEBUG_PAGES` is on outside
production (otherwise every route answers 404, exactly like a missing page), and then only for
loopback requests and signed-in administrators (`sparkle.web.debug`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sparkle.accounts.models import User
from sparkle.core import mail, runtime
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import NotFound
from sparkle.email import catalog, service, tokens
from sparkle.email.models import EmailCategory
from sparkle.notifications import preferences
from sparkle.notifications.models import NotificationType
from sparkle.web.debug import RULE as DEBUG_RULE
from sparkle.web.debug import require_debug_access
from sparkle.web.guards import PageAdmin
from sparkle.web.rendering import form_data, get_viewer, render, render_error

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(mail.TEMPLATES_DIR))

# The HTML part is shown as its own document: no scripts, no plugins, no requests to this
# site's origin; links may open in a new tab.
EMAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; "
    "font-src https: data:; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
_EMAIL_HTML_HEADERS = {
    "Content-Security-Policy": EMAIL_HTML_CSP,
    "X-Content-Type-Options": "nosniff",
}
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}

TYPE_LABELS: dict[NotificationType, str] = {
    NotificationType.POST_LIKED: "Likes on my posts",
    NotificationType.POST_COMMENTED: "Comments on my posts",
    NotificationType.COMMENT_LIKED: "Likes on my comments",
    NotificationType.USER_FOLLOWED: "New followers",
    NotificationType.ACHIEVEMENT_UNLOCKED: "Achievements",
    NotificationType.LEVEL_UP: "Level ups",
    NotificationType.MENTION: "Mentions",
    NotificationType.SYSTEM: "Announcements",
    NotificationType.GROUP_INVITE: "Group invitations",
    NotificationType.GROUP_POST: "Posts in my groups",
    NotificationType.EVENT_REMINDER: "Event reminders",
    NotificationType.WATCH_PARTY_INVITE: "Watch party invitations",
    NotificationType.DIRECT_MESSAGE: "Direct messages",
    NotificationType.YOUTUBE_PREMIERE: "YouTube premieres",
    NotificationType.QUEST_COMPLETE: "Completed quests",
    NotificationType.TRADE_REQUEST: "Trade requests",
    NotificationType.CONTENT_FEATURED: "My content being featured",
    NotificationType.MILESTONE_REACHED: "Milestones",
}
SCOPE_LABELS = {
    **{t.value: f"“{label}” emails" for t, label in TYPE_LABELS.items()},
    "notifications": "notification emails",
    "digest": "the digest",
    "all": "all email",
}
DIGESTS = [("weekly", "Weekly"), ("daily", "Daily"), ("off", "Off")]


# --- unsubscribe ----------------------------------------------------------------------------


def _claims(rt: runtime.Runtime, token: str | None) -> tokens.Unsubscribe | None:
    if not token or len(token) > 500:
        return None
    try:
        return tokens.read_unsubscribe(rt.settings, token)
    except tokens.InvalidToken:
        return None


def _invalid(request: Request) -> Response:
    return render(request, "unsubscribe/invalid.html", {}, 400, headers=NO_STORE)


async def _page(
    request: Request, db: DbSession, claims: tokens.Unsubscribe, token: str, done: str | None
) -> Response:
    user = await db.get(User, claims.user_id)
    if user is None or user.deleted_at is not None:
        return _invalid(request)
    prefs = await preferences.get_preferences(db, claims.user_id)
    context: dict[str, Any] = {
        "token": token,
        "username": user.username,
        "scope_label": SCOPE_LABELS[claims.scope],
        "done": done,
        "digest": prefs.digest,
        "digests": DIGESTS,
        "types": [
            (t.value, label, prefs.channels[t][preferences.Channel.EMAIL])
            for t, label in TYPE_LABELS.items()
        ],
    }
    return render(request, "unsubscribe/page.html", context, headers=NO_STORE)


@router.get("/unsubscribe")
async def unsubscribe_page(request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    token = request.query_params.get("token")
    claims = _claims(rt, token)
    if claims is None or token is None:
        return _invalid(request)
    return await _page(request, db, claims, token, None)


@router.post("/unsubscribe")
async def unsubscribe(request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    """One-click (`List-Unsubscribe=One-Click` from the mail client) or the page's buttons."""
    form = await form_data(request)
    token = request.query_params.get("token") or form.get("token")
    claims = _claims(rt, token)
    if claims is None or token is None:
        return _invalid(request)
    if await db.get(User, claims.user_id) is None:
        return _invalid(request)
    scope = "all" if form.get("action") == "all" else claims.scope
    await service.unsubscribe(db, claims.user_id, scope)
    done = f"You won't get {SCOPE_LABELS[scope]} any more."
    if form.get("List-Unsubscribe") == "One-Click":
        return PlainTextResponse(done, headers=NO_STORE)
    return await _page(request, db, claims, token, done)


@router.post("/unsubscribe/preferences")
async def unsubscribe_preferences(request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    form = await form_data(request)
    token = form.get("token")
    claims = _claims(rt, token)
    if claims is None or token is None or await db.get(User, claims.user_id) is None:
        return _invalid(request)
    digest = form.get("digest", "")
    if digest not in dict(DIGESTS):
        return render_error(request, 400, "Choose a digest frequency", "Weekly, daily or off.")
    enabled = {t for t in NotificationType if form.get(f"email_{t.value}") == "on"}
    await service.update_email_preferences(db, claims.user_id, digest, enabled)
    return await _page(request, db, claims, token, "Your email preferences are saved.")


# --- tracking -------------------------------------------------------------------------------


@router.get("/email/o/{signed}.gif")
async def track_open(signed: str, db: DbSession, rt: RuntimeDep) -> Response:
    if not await service.record_open(db, rt, signed):
        return PlainTextResponse("Unknown tracking id", status_code=400)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/email/c/{signed}/{index}")
async def track_click(signed: str, index: int, db: DbSession, rt: RuntimeDep) -> Response:
    url = await service.record_click(db, rt, signed, index)
    if url is None:
        return PlainTextResponse("Unknown link", status_code=400)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


# --- admin previews ---------------------------------------------------------------------------


def preview(
    rt: runtime.Runtime, spec: catalog.TemplateSpec, accent: str | None = None
) -> mail.RenderedMail:
    """`spec` rendered with its sample data (and the footer's unsubscribe link when it has one)."""
    context: dict[str, Any] = {**spec.sample, "accent": accent}
    if spec.category != EmailCategory.TRANSACTIONAL:
        context["unsubscribe_url"] = f"{rt.settings.base_url.rstrip('/')}/unsubscribe?token=sample"
    return rt.mailer.render(spec.name, context)


def _spec(name: str) -> catalog.TemplateSpec:
    spec = catalog.get(name)
    if spec is None:
        raise NotFound("No such email template")
    return spec


@router.get("/admin/email/templates", dependencies=[Depends(get_viewer)])
async def template_list(request: Request, admin: PageAdmin, rt: RuntimeDep) -> Response:
    items = [
        {
            "name": s.name,
            "title": s.title,
            "category": s.category.value,
            "subject": preview(rt, s).subject,
        }
        for s in catalog.SPECS
    ]
    return render(request, "email_admin/list.html", {"items": items})


@router.get("/admin/email/templates/{name}", dependencies=[Depends(get_viewer)])
async def template_preview(
    request: Request, name: str, admin: PageAdmin, rt: RuntimeDep
) -> Response:
    spec = catalog.get(name)
    if spec is None:
        return render_error(request, 404, "No such email template")
    rendered = preview(rt, spec, admin.profile.accent_color if _loaded(admin) else None)
    return render(request, "email_admin/preview.html", {"spec": spec, "rendered": rendered})


def _loaded(user: User) -> bool:
    return "profile" in user.__dict__ and user.__dict__["profile"] is not None


@router.get("/admin/email/templates/{name}/html", dependencies=[Depends(get_viewer)])
async def template_html(request: Request, name: str, admin: PageAdmin, rt: RuntimeDep) -> Response:
    return HTMLResponse(preview(rt, _spec(name)).html, headers=_EMAIL_HTML_HEADERS)


@router.get("/admin/email/templates/{name}/text", dependencies=[Depends(get_viewer)])
async def template_text(request: Request, name: str, admin: PageAdmin, rt: RuntimeDep) -> Response:
    return PlainTextResponse(preview(rt, _spec(name)).text)


# --- development outbox -----------------------------------------------------------------------


def outbox_dir(_: Annotated[None, Depends(require_debug_access)], rt: RuntimeDep) -> Path:
    return rt.settings.mail_dir


OutboxDir = Annotated[Path, Depends(outbox_dir)]


def load_mail(name: str, directory: OutboxDir) -> mail.OutboxMail:
    found = mail.read_outbox(directory, name)
    if found is None:
        raise NotFound("No such mail in the outbox")
    return found


OutboxMessage = Annotated[mail.OutboxMail, Depends(load_mail)]


@router.get("/dev/mail", response_class=HTMLResponse)
def mail_list(request: Request, directory: OutboxDir) -> Response:
    return templates.TemplateResponse(
        request,
        "email_dev/list.html",
        {"mails": mail.list_outbox(directory), "directory": directory, "rule": DEBUG_RULE},
    )


@router.get("/dev/mail/{name}", response_class=HTMLResponse)
def mail_detail(request: Request, message: OutboxMessage) -> Response:
    return templates.TemplateResponse(request, "email_dev/detail.html", {"mail": message})


@router.get("/dev/mail/{name}/html", response_class=HTMLResponse)
def mail_html(message: OutboxMessage) -> Response:
    return HTMLResponse(message.html, headers=_EMAIL_HTML_HEADERS)


@router.get("/dev/mail/{name}/raw", response_class=PlainTextResponse)
def mail_raw(name: str, directory: OutboxDir) -> Response:
    path = mail.outbox_path(directory, name)
    if path is None:
        raise NotFound("No such mail in the outbox")
    return PlainTextResponse(path.read_text("utf-8", errors="replace"))
