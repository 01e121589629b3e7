"""Pages for reading posts: the home feed with its tabs, the post page with its reaction bar
and threaded comments, my drafts, tag and category pages (the editor is `editor_pages.py`).
Every change goes through the same services as the JSON API."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts import service as accounts_service
from sparkle.accounts.models import User
from sparkle.auth.deps import OptionalPrincipal, check_csrf
from sparkle.comments import service as comments_service
from sparkle.comments.schemas import CommentCreate, CommentUpdate
from sparkle.core import events
from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import NotFound, SparkleError, ValidationFailed
from sparkle.feed import service as feed_service
from sparkle.posts import categories, tags
from sparkle.posts import service as posts_service
from sparkle.posts.models import PostStatus
from sparkle.posts.router import ANON_COOKIE
from sparkle.posts.schemas import PostPage
from sparkle.reactions import service as reactions_service
from sparkle.reactions.models import ReactionType
from sparkle.social import service as social_service
from sparkle.web.guards import PageUser
from sparkle.web.rendering import (
    field_errors,
    form_data,
    get_viewer,
    is_htmx,
    redirect,
    render,
    render_error,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
CSRF = [Depends(check_csrf)]
PAGE_SIZE = 20
COMMENTS_PAGE = 50
REACTIONS = [
    ("LIKE", "👍", "Like"),
    ("LOVE", "❤️", "Love"),
    ("LAUGH", "😂", "Laugh"),
    ("WOW", "😮", "Wow"),
    ("SAD", "😢", "Sad"),
    ("ANGRY", "😠", "Angry"),
]
TAB_LABELS = {"latest": "Latest", "popular": "Popular", "trending": "Trending"}
TAB_LABELS["following"] = "Following"
# Form fields of the editor, by the API field names the services report errors under.


def _user(principal: Any) -> User | None:
    return principal.user if principal else None


# --- lists ----------------------------------------------------------------------------------


def _more_url(path: str, params: dict[str, str], cursor: str | None) -> str | None:
    if not cursor:
        return None
    return f"{path}?{urlencode({**params, 'cursor': cursor})}"


async def _post_list(
    request: Request,
    load: Awaitable[PostPage],
    template: str,
    params: dict[str, str],
    **context: Any,
) -> Response:
    """A page of post cards; an HTMX request for a further page gets only the next cards and
    the sentinel that loads the page after them (infinite scroll)."""
    try:
        page = await load
    except ValidationFailed as exc:
        return render_error(request, 400, "This page does not exist", exc.detail)
    context.update(posts=page.items, more_url=_more_url(request.url.path, params, page.next_cursor))
    if is_htmx(request) and request.query_params.get("cursor"):
        return render(request, "posts/_cards.html", context)
    return render(request, template, context)


async def _feed(
    request: Request, db: DbSession, principal: OptionalPrincipal, tab: str, *, home: bool
) -> Response:
    user = _user(principal)
    tab = tab if tab in TAB_LABELS else "latest"
    context: dict[str, Any] = {"tab": tab, "tabs": TAB_LABELS, "home": home}
    if tab == "following" and user is None:
        return render(request, "posts/feed.html", {**context, "posts": [], "needs_signin": True})
    cursor = request.query_params.get("cursor")
    load = feed_service.page(db, user, tab, cursor=cursor, limit=PAGE_SIZE)
    return await _post_list(request, load, "posts/feed.html", {"tab": tab}, **context)


@router.get("/")
async def home(request: Request, db: DbSession, principal: OptionalPrincipal) -> Response:
    """The feed for a signed-in member; the welcome page for everyone else."""
    if principal is None:
        return render(request, "accounts/landing.html")
    return await _feed(request, db, principal, request.query_params.get("tab", ""), home=True)


@router.get("/feed")
async def feed(request: Request, db: DbSession, principal: OptionalPrincipal) -> Response:
    return await _feed(request, db, principal, request.query_params.get("tab", ""), home=False)


@router.get("/me/drafts")
async def drafts(request: Request, db: DbSession, user: PageUser) -> Response:
    load = posts_service.list_posts(
        db,
        user,
        author_id=user.id,
        status=PostStatus.DRAFT.value,
        cursor=request.query_params.get("cursor"),
        limit=PAGE_SIZE,
    )
    return await _post_list(request, load, "posts/drafts.html", {})


@router.get("/t/{slug}")
async def tag_page(
    request: Request, slug: str, db: DbSession, principal: OptionalPrincipal
) -> Response:
    try:
        tag = await tags.access_by_slug(db, slug)
    except NotFound:
        return render_error(request, 404, "Tag not found", f"No post is tagged “{slug}”.")
    load = posts_service.list_posts(
        db, _user(principal), tag=tag.slug, cursor=request.query_params.get("cursor")
    )
    return await _post_list(request, load, "posts/tag.html", {}, tag=tag)


@router.get("/c/{slug}")
async def category_page(
    request: Request, slug: str, db: DbSession, principal: OptionalPrincipal
) -> Response:
    try:
        category = await categories.access_by_slug(db, slug)
    except NotFound:
        return render_error(request, 404, "Category not found", f"No category is called “{slug}”.")
    load = posts_service.list_posts(
        db, _user(principal), category=str(category.id), cursor=request.query_params.get("cursor")
    )
    return await _post_list(request, load, "posts/category.html", {}, category=category)


# --- the post page --------------------------------------------------------------------------


@router.post("/posts/{post_id}/view", dependencies=CSRF)
async def count_view(
    request: Request,
    post_id: uuid.UUID,
    db: DbSession,
    client: Client,
    principal: OptionalPrincipal,
) -> Response:
    """Sent by the post page once it has loaded: one view per viewer per day, counted exactly
    as `POST /api/posts/{id}/view` counts them."""
    user = _user(principal)
    settings = request.app.state.runtime.settings
    cookie = request.cookies.get(ANON_COOKIE)
    token = posts_service.anonymous_token(
        settings.secret_key.get_secret_value(), cookie, client.ip, client.user_agent
    )
    try:
        await posts_service.record_view(db, user, post_id, posts_service.viewer_key(user, token))
    except NotFound:
        return Response(status_code=404)
    response = Response(status_code=204)
    if user is None and cookie != token:
        response.set_cookie(
            ANON_COOKIE,
            token,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=settings.is_production,
            path="/",
        )
    return response


async def _comments_context(
    db: AsyncSession, user: User | None, post_id: uuid.UUID, cursor: str | None = None
) -> dict[str, Any]:
    post = await posts_service.access_readable(db, user, post_id)
    page = await comments_service.list_for_post(
        db, user, post.id, cursor=cursor, limit=COMMENTS_PAGE
    )
    return {
        "post_ref": {
            "id": post.id,
            "slug": post.slug,
            "comment_count": post.comment_count,
            "open": post.status == PostStatus.PUBLISHED,
        },
        "comments": page.items,
        "more_comments": page.next_cursor,
        "errors": {},
        "reactions": REACTIONS,
        "max_depth": comments_service.MAX_DEPTH,
    }


@router.get("/p/{ref}")
async def post_page(
    request: Request, ref: str, db: DbSession, principal: OptionalPrincipal
) -> Response:
    user = _user(principal)
    try:
        post = await posts_service.read_by_ref(db, user, ref)
    except NotFound:
        return render_error(request, 404, "Post not found", "It may have been deleted or moved.")
    if ref != post.slug:
        return RedirectResponse(f"/p/{post.slug}", status_code=301)
    author = await accounts_service.get(db, post.author.id)
    context: dict[str, Any] = {
        "post": post,
        "reactions": REACTIONS,
        "profile": await social_service.public_profile(db, author, user) if author else None,
        "is_own": user is not None and user.id == post.author.id,
        "may_edit": user is not None
        and (user.id == post.author.id or posts_service.is_moderator(user)),
        **await _comments_context(db, user, post.id),
    }
    return render(request, "posts/post.html", context)


@router.get("/posts/{post_id}/comments")
async def more_comments(
    request: Request, post_id: uuid.UUID, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """The next page of top-level comments (with their threads), for "More comments"."""
    try:
        context = await _comments_context(
            db, _user(principal), post_id, request.query_params.get("cursor")
        )
    except (NotFound, ValidationFailed):
        return render_error(request, 404, "Comments not found")
    return render(request, "posts/_comment_page.html", context)


async def _toggle_reaction(
    request: Request, db: AsyncSession, user: User, target: Any, target_id: uuid.UUID, kind: str
) -> Any:
    """Add or remove one reaction as the form says (so a double click or a replayed request
    cannot flip it back); the fresh summary, or the error page to answer with."""
    try:
        reaction = ReactionType(kind)
    except ValueError:
        return render_error(request, 404, "No such reaction")
    change = reactions_service.unreact
    if (await form_data(request)).get("action") != "remove":
        change = reactions_service.react
    try:
        summary, _ = await events.attempt(db, change(db, user, target, target_id, reaction))
    except SparkleError as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    return summary


@router.post("/posts/{post_id}/reactions/{kind}", dependencies=CSRF)
async def react(
    request: Request, post_id: uuid.UUID, kind: str, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """Toggle one reaction on a post; the HTMX answer is the post's reaction bar."""
    user = _user(principal)
    if user is None:
        return redirect(request, f"/signin?next=/p/{post_id}")
    summary = await _toggle_reaction(request, db, user, "post", post_id, kind)
    if isinstance(summary, Response):
        return summary
    if not is_htmx(request):
        return redirect(request, f"/p/{post_id}")
    context = {"post": {"id": post_id, **summary.model_dump()}, "reactions": REACTIONS}
    return render(request, "posts/_reactions.html", context)


@router.post("/comments/{comment_id}/reactions/{kind}", dependencies=CSRF)
async def react_to_comment(
    request: Request, comment_id: uuid.UUID, kind: str, db: DbSession, user: PageUser
) -> Response:
    """Toggle one reaction on a comment; the HTMX answer is the comment's reactions."""
    summary = await _toggle_reaction(request, db, user, "comment", comment_id, kind)
    if isinstance(summary, Response):
        return summary
    if not is_htmx(request):
        post_id = await _comment_post(db, user, comment_id)
        return redirect(request, f"/p/{post_id}#comment-{comment_id}")
    context = {"comment": {"id": comment_id, **summary.model_dump()}, "reactions": REACTIONS}
    return render(request, "posts/_comment_reactions.html", context)


async def _comments_changed(
    request: Request,
    db: AsyncSession,
    user: User,
    post_id: uuid.UUID,
    change: Awaitable[Any],
    form: dict[str, str],
    target: str,
) -> Response:
    """Apply a comment change; answer with the refreshed thread, or with it and the error
    shown under the form (`target`) that was sent, its text kept."""
    errors: dict[str, str] = {}
    try:
        await events.attempt(db, change)
    except (ValidationError, SparkleError) as exc:
        errors = field_errors(exc) or {"content": str(getattr(exc, "detail", "")) or "Refused"}
        if isinstance(exc, SparkleError) and exc.status in (401, 403, 404):
            return render_error(request, exc.status, exc.title, exc.detail)
    if not is_htmx(request) and not errors:
        return redirect(request, f"/p/{post_id}#comments")
    context = await _comments_context(db, user, post_id)
    context.update(errors=errors, error_target=target, draft=form.get("content", ""))
    return render(request, "posts/_comments.html", context, 400 if errors else 200)


@router.post("/posts/{post_id}/comments", dependencies=CSRF)
async def add_comment(
    request: Request,
    post_id: uuid.UUID,
    db: DbSession,
    rt: RuntimeDep,
    principal: OptionalPrincipal,
) -> Response:
    user = _user(principal)
    if user is None:
        return redirect(request, f"/signin?next=/p/{post_id}")
    form = await form_data(request)
    parent = form.get("parent_id") or None
    try:
        data = CommentCreate(content=form.get("content", ""), parent_id=parent)
    except ValidationError as exc:
        change: Awaitable[Any] = _raise(exc)
    else:
        change = comments_service.create(db, user, post_id, data, limiter=rt.limiter)
    return await _comments_changed(
        request, db, user, post_id, change, form, f"reply-{parent}" if parent else "new"
    )


async def _raise(exc: Exception) -> None:
    raise exc


async def _comment_post(db: AsyncSession, user: User, comment_id: uuid.UUID) -> uuid.UUID | None:
    try:
        return (await comments_service.read(db, user, comment_id)).post_id
    except NotFound:
        return None


@router.post("/comments/{comment_id}/edit", dependencies=CSRF)
async def edit_comment(
    request: Request, comment_id: uuid.UUID, db: DbSession, user: PageUser
) -> Response:
    post_id = await _comment_post(db, user, comment_id)
    if post_id is None:
        return render_error(request, 404, "Comment not found")
    form = await form_data(request)
    try:
        change: Awaitable[Any] = comments_service.update(
            db, user, comment_id, CommentUpdate(content=form.get("content", ""))
        )
    except ValidationError as exc:
        change = _raise(exc)
    return await _comments_changed(request, db, user, post_id, change, form, f"edit-{comment_id}")


@router.post("/comments/{comment_id}/delete", dependencies=CSRF)
async def delete_comment(
    request: Request, comment_id: uuid.UUID, db: DbSession, user: PageUser
) -> Response:
    post_id = await _comment_post(db, user, comment_id)
    if post_id is None:
        return render_error(request, 404, "Comment not found")
    change = comments_service.delete(db, user, comment_id)
    return await _comments_changed(request, db, user, post_id, change, {}, f"edit-{comment_id}")
