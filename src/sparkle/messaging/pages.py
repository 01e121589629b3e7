"""Message pages: the conversation list with unread badges and presence dots, one thread with
live updates (socket), a composer and reaction toggles that also work without JavaScript, and
starting a conversation by username. Every change goes through the messaging service."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sparkle.accounts import service as accounts_service
from sparkle.auth.deps import check_csrf
from sparkle.core import events
from sparkle.core.deps import DbSession, RuntimeDep
from sparkle.core.errors import SparkleError
from sparkle.messaging import service
from sparkle.messaging.schemas import ConversationCreate, ConversationRead, MessageCreate
from sparkle.reactions.models import ReactionType
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    form_data,
    get_viewer,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
REACTIONS = [
    (ReactionType.LIKE.value, "👍", "Like"),
    (ReactionType.LOVE.value, "❤️", "Love"),
    (ReactionType.LAUGH.value, "😂", "Laugh"),
    (ReactionType.WOW.value, "😮", "Wow"),
    (ReactionType.SAD.value, "😢", "Sad"),
    (ReactionType.ANGRY.value, "😠", "Angry"),
]


def _name(conv: ConversationRead, viewer_id: uuid.UUID) -> str:
    if conv.title:
        return conv.title
    others = [p.user.display_name for p in conv.participants if p.user.id != viewer_id]
    return ", ".join(others) or "Just you"


async def _page(request: Request, db: Any, user: Any, active_id: uuid.UUID | None) -> Response:
    convs = await service.list_conversations(db, user, cursor=None, limit=50)
    context: dict[str, Any] = {
        "conversations": convs.items,
        "name_of": lambda c: _name(c, user.id),
        "active": None,
        "reactions": REACTIONS,
    }
    if active_id is not None:
        try:
            active = await service.read_conversation(db, user, active_id)
        except SparkleError:
            return render_error(request, 404, "Conversation not found")
        page = await service.list_messages(db, user, active_id, cursor=None, limit=50)
        others = [p for p in active.participants if p.user.id != user.id]
        seen_upto = max(
            (str(p.last_read_message_id) for p in others if p.last_read_message_id), default=""
        )
        context.update(
            active=active, messages=list(reversed(page.items)), others=others, seen_upto=seen_upto
        )
    return render(request, "messaging/index.html", context)


@router.get("/messages")
async def messages_page(request: Request, user: PageUser, db: DbSession) -> Response:
    return await _page(request, db, user, None)


@router.get("/messages/{conversation_id}")
async def thread_page(
    request: Request, conversation_id: uuid.UUID, user: PageUser, db: DbSession
) -> Response:
    return await _page(request, db, user, conversation_id)


@router.post("/messages/new", dependencies=CSRF)
async def start(request: Request, user: PageUser, db: DbSession) -> Response:
    """Start (or reopen) a conversation with someone by username."""
    form = await form_data(request)
    names = [n.strip().lstrip("@") for n in form.get("usernames", "").split(",") if n.strip()]
    try:
        ids = [(await accounts_service.access_by_username(db, n)).id for n in names]
        data = ConversationCreate(participant_ids=ids, title=form.get("title") or None)
        async with events.savepoint(db):
            conv, _ = await service.create_conversation(db, user, data)
    except (SparkleError, ValidationError) as exc:
        detail = exc.detail if isinstance(exc, SparkleError) else "Name at least one user"
        return redirect(request, "/messages", message=detail, kind="error")
    return redirect(request, f"/messages/{conv.id}")


@router.post("/messages/{conversation_id}", dependencies=CSRF)
async def send(
    request: Request,
    conversation_id: uuid.UUID,
    user: PageUser,
    db: DbSession,
    rt: RuntimeDep,
) -> Response:
    """The composer without JavaScript (with it, messages go over the socket)."""
    form = await form_data(request)
    try:
        async with events.savepoint(db):
            await service.send(
                db,
                user,
                conversation_id,
                MessageCreate(content=form.get("content", "")),
                limiter=rt.limiter,
            )
    except (SparkleError, ValidationError) as exc:
        detail = exc.detail if isinstance(exc, SparkleError) else "Write something first"
        return redirect(request, f"/messages/{conversation_id}", message=detail, kind="error")
    return redirect(request, f"/messages/{conversation_id}")


@router.post("/messages/{conversation_id}/reactions/{message_id}/{kind}", dependencies=CSRF)
async def react(
    request: Request,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    kind: str,
    user: PageUser,
    db: DbSession,
    rt: RuntimeDep,
) -> Response:
    """A reaction toggle without JavaScript (with it, the page calls the API)."""
    form = await form_data(request)
    back = f"/messages/{conversation_id}"
    if kind not in {t.value for t in ReactionType}:
        return redirect(request, back, message="Unknown reaction", kind="error")
    try:
        async with events.savepoint(db):
            await service.react(
                db,
                user,
                message_id,
                ReactionType(kind),
                on=form.get("action") != "remove",
                limiter=rt.limiter,
            )
    except SparkleError as exc:
        return redirect(request, back, message=exc.detail, kind="error")
    return redirect(request, f"{back}#message-{message_id}")
