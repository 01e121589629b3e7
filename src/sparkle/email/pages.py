"""Development outbox viewer at `/dev/mail`: lists and shows the mails the outbox transport wrote.

Available only when `SPARKLE_DEBUG_PAGES` is on outside production; otherwise every route
answers 404, exactly like a missing page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from sparkle.core import mail, runtime
from sparkle.core.errors import NotFound

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(mail.TEMPLATES_DIR))

# The HTML part is shown as its own document: no scripts, no plugins, no requests to this
# site's origin; links may open in a new tab.
EMAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; "
    "font-src https: data:; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


def outbox_dir() -> Path:
    settings = runtime.get().settings
    if not settings.debug_pages or settings.is_production:
        raise NotFound()
    return settings.mail_dir


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
        {"mails": mail.list_outbox(directory), "directory": directory},
    )


@router.get("/dev/mail/{name}", response_class=HTMLResponse)
def mail_detail(request: Request, message: OutboxMessage) -> Response:
    return templates.TemplateResponse(request, "email_dev/detail.html", {"mail": message})


@router.get("/dev/mail/{name}/html", response_class=HTMLResponse)
def mail_html(message: OutboxMessage) -> Response:
    return HTMLResponse(
        message.html,
        headers={"Content-Security-Policy": EMAIL_HTML_CSP, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/dev/mail/{name}/raw", response_class=PlainTextResponse)
def mail_raw(name: str, directory: OutboxDir) -> Response:
    path = mail.outbox_path(directory, name)
    if path is None:
        raise NotFound("No such mail in the outbox")
    return PlainTextResponse(path.read_text("utf-8", errors="replace"))
