"""The post editor's pages: write a post, edit or delete it (the Tiptap editor, which saves
through the same posts service as the API)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.auth.deps import check_csrf
from sparkle.core import events
from sparkle.core.deps import DbSession, SettingsDep
from sparkle.core.errors import NotFound, SparkleError, Unauthorized, ValidationFailed
from sparkle.posts import categories, tags
from sparkle.posts import service as posts_service
from sparkle.posts.models import PostStatus
from sparkle.posts.schemas import PostCreate, PostRead, PostUpdate
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
EDITOR_FIELDS = {"coverImage": "cover_image", "categoryId": "category_id"}
EMPTY_DOC = {"type": "doc", "content": [{"type": "paragraph"}]}


# --- the editor -----------------------------------------------------------------------------


def _split_tags(raw: str) -> list[str]:
    return [t.strip() for t in raw.split(",") if t.strip()]


def _values_of(post: PostRead) -> dict[str, Any]:
    return {
        "title": post.title,
        "excerpt": post.excerpt or "",
        "tags": [t.slug for t in post.tags],
        "category_id": str(post.category.id) if post.category else "",
        "cover_image": post.cover_image or "",
        "content": json.dumps(post.content, separators=(",", ":")),
    }


def _values_from(form: dict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title", "").strip(),
        "excerpt": form.get("excerpt", "").strip(),
        "tags": _split_tags(form.get("tags", "")),
        "category_id": form.get("category_id", ""),
        "cover_image": form.get("cover_image", "").strip(),
        "content": form.get("content", ""),
    }


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    """The API's fields; the document must be a JSON object (what the editor writes)."""
    try:
        document = json.loads(values["content"] or "null")
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ValidationFailed(fields={"content": "The document could not be read"})
    return {
        "title": values["title"],
        "content": document,
        "excerpt": values["excerpt"] or None,
        "cover_image": values["cover_image"] or None,
        "category_id": values["category_id"] or None,
        "tags": values["tags"],
    }


def _editor_errors(exc: ValidationError | SparkleError) -> dict[str, str]:
    """Errors by form field; a refused document node keeps its path, so the writer can find
    it (`content.content[2].marks[0].attrs.href`)."""
    if isinstance(exc, ValidationError):
        return field_errors(exc)
    errors: dict[str, str] = {}
    for item in exc.fields:
        name = item.field.split("[")[0].split(".")[0]
        if name == "content" and item.field != "content":
            errors.setdefault("content", f"{item.message} (at {item.field})")
        else:
            errors.setdefault(EDITOR_FIELDS.get(name, name), item.message)
    if not errors:
        errors["form"] = exc.detail or exc.title
    return errors


async def _editor(
    request: Request,
    db: AsyncSession,
    values: dict[str, Any],
    *,
    post: PostRead | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    intent: str | None = None,
) -> Response:
    """The editor page; after a refused submit, with the errors beside the button pressed."""
    everything = await categories.all_categories(db)
    tree = categories.build_tree(everything)
    options: list[tuple[str, str]] = [("", "No category")]

    def walk(items: list[Any], depth: int) -> None:
        for c in items:
            options.append((str(c.id), "\u2003" * depth + c.name))
            walk(c.children, depth + 1)

    walk(tree, 0)
    context = {
        "values": values,
        "post": post,
        "errors": errors or {},
        "intent": intent,
        "category_options": options,
        "max_tags": tags.MAX_TAGS,
    }
    return render(request, "posts/editor.html", context, status)


def _status_for(intent: str, current: str | None) -> str | None:
    if intent == "publish":
        return PostStatus.PUBLISHED.value
    if intent == "draft":
        return PostStatus.DRAFT.value
    return current


@router.get("/write")
async def write(request: Request, db: DbSession, user: PageUser) -> Response:
    values = _values_from({"content": json.dumps(EMPTY_DOC)})
    return await _editor(request, db, values)


@router.post("/write", dependencies=CSRF)
async def create_post(
    request: Request, db: DbSession, settings: SettingsDep, user: PageUser
) -> Response:
    form = await form_data(request)
    values = _values_from(form)
    intent = form.get("intent", "draft")
    status = _status_for(intent, PostStatus.DRAFT.value)
    try:
        data = PostCreate(**_payload(values), status=status)
        post = await events.attempt(
            db, posts_service.create(db, user, data, media_origin=settings.base_url)
        )
    except (ValidationError, SparkleError) as exc:
        errors = _editor_errors(exc)
        return await _editor(request, db, values, errors=errors, status=400, intent=intent)
    published = post.status == PostStatus.PUBLISHED
    message = "Your post is live ✦" if published else "Draft saved."
    return redirect(request, f"/p/{post.slug}", message=message)


async def _editable(db: AsyncSession, user: User, ref: str) -> PostRead:
    post = await posts_service.read_by_ref(db, user, ref)
    await posts_service.access_for_edit(db, user, post.id)
    return post


@router.get("/p/{ref}/edit")
async def edit_post(request: Request, ref: str, db: DbSession, user: PageUser) -> Response:
    try:
        post = await _editable(db, user, ref)
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    return await _editor(request, db, _values_of(post), post=post)


@router.post("/p/{ref}/delete", dependencies=CSRF)
async def delete_post(request: Request, ref: str, db: DbSession, user: PageUser) -> Response:
    """Soft-delete a post (its author or a moderator), then go to the author's profile."""
    try:
        post = await posts_service.read_by_ref(db, user, ref)
        await events.attempt(db, posts_service.delete(db, user, post.id))
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    return redirect(request, f"/u/{post.author.username}", message="Post deleted.")


@router.post("/p/{ref}/edit", dependencies=CSRF)
async def save_post(
    request: Request, ref: str, db: DbSession, settings: SettingsDep, user: PageUser
) -> Response:
    try:
        post = await _editable(db, user, ref)
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    form = await form_data(request)
    values = _values_from(form)
    intent = form.get("intent", "save")
    try:
        # "Save changes" keeps the status: it is left out, since an explicit null is refused.
        fields = _payload(values)
        if status := _status_for(intent, None):
            fields["status"] = status
        data = PostUpdate(**fields)
        post = await events.attempt(
            db, posts_service.update_post(db, user, post.id, data, media_origin=settings.base_url)
        )
    except (ValidationError, SparkleError) as exc:
        if isinstance(exc, Unauthorized | NotFound) or getattr(exc, "status", 400) == 403:
            return render_error(request, exc.status, exc.title, exc.detail)  # type: ignore[union-attr]
        errors = _editor_errors(exc)
        return await _editor(
            request, db, values, post=post, errors=errors, status=400, intent=intent
        )
    return redirect(request, f"/p/{post.slug}", message="Changes saved.")
