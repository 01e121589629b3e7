"""The search page (`/search?q=&type=posts|users|tags`), through the same service as
`GET /api/search`; further results load as the reader scrolls."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import nh3
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from sparkle.core.deps import Client, DbSession, RuntimeDep
from sparkle.core.errors import TooManyRequests, ValidationFailed
from sparkle.search import service
from sparkle.search.schemas import PostHit, SearchType
from sparkle.web.rendering import get_viewer, is_htmx, render, render_error

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_viewer)])
PAGE_SIZE = 20
TYPE_LABELS = {SearchType.POSTS: "Posts", SearchType.USERS: "People", SearchType.TAGS: "Tags"}


def snippet(hit: PostHit) -> Markup:
    """The service escapes snippets and marks the matches; cleaning again with only <mark>
    allowed keeps anything else from ever becoming markup here."""
    return Markup(nh3.clean(hit.snippet, tags={"mark"}, attributes={}))  # noqa: S704 - sanitised


@router.get("/search")
async def search_page(request: Request, db: DbSession, rt: RuntimeDep, client: Client) -> Response:
    params = request.query_params
    q = " ".join(params.get("q", "").split())
    try:
        kind = SearchType(params.get("type", "posts"))
    except ValueError:
        kind = SearchType.POSTS
    context: dict[str, Any] = {"q": q, "kind": kind.value, "types": TYPE_LABELS, "items": []}
    context.update(errors={}, more_url=None, snippet=snippet)
    if not q:
        return render(request, "search/search.html", context)
    cursor = params.get("cursor")
    try:
        results = await service.search(
            db, rt.limiter, q, kind, cursor=cursor, limit=PAGE_SIZE, client_ip=client.ip
        )
    except TooManyRequests as exc:
        return render_error(request, 429, "Slow down a little", exc.detail, exc.headers)
    except ValidationFailed as exc:
        context["errors"] = {f.field: f.message for f in exc.fields}
        return render(request, "search/search.html", context, 400)
    context["items"] = results.items
    if results.next_cursor:
        query = urlencode({"q": q, "type": kind.value, "cursor": results.next_cursor})
        context["more_url"] = f"/search?{query}"
    if is_htmx(request) and cursor:
        return render(request, "search/_results.html", context)
    return render(request, "search/search.html", context)
