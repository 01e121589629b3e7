"""`/api/posts`, `/api/categories`, `/api/tags`: rich posts and how they are filed."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from sparkle.auth.deps import AdminUser, CurrentUser, OptionalUser
from sparkle.core.deps import Client, DbSession, RuntimeDep, SettingsDep
from sparkle.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from sparkle.posts import categories, service, tags
from sparkle.posts.models import PostStatus
from sparkle.posts.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryTree,
    CategoryUpdate,
    PostCreate,
    PostPage,
    PostRead,
    PostUpdate,
    RevisionPage,
    RevisionRead,
    ShareCount,
    TagPage,
    TagRead,
    ViewCount,
)

router = APIRouter(prefix="/api")
ANON_COOKIE = "sparkle_anon"
Cursor = Annotated[str | None, Query(max_length=400)]
Limit = Annotated[int, Query(ge=1, le=100)]
READ_ERRORS = problem_responses(ValidationFailed, Unauthorized, NotFound)
EDIT_ERRORS = problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound)


@router.get(
    "/posts",
    tags=["posts"],
    response_model=PostPage,
    summary="List posts",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def list_posts(
    db: DbSession,
    viewer: OptionalUser,
    author_id: Annotated[uuid.UUID | None, Query(alias="authorId")] = None,
    author: Annotated[str | None, Query(max_length=30, description="Author's username")] = None,
    tag: Annotated[str | None, Query(max_length=100, description="Tag slug")] = None,
    category: Annotated[
        str | None, Query(max_length=100, description="Category slug or id (with subcategories)")
    ] = None,
    status: Literal["PUBLISHED", "DRAFT", "ARCHIVED", "REMOVED"] = "PUBLISHED",
    sort: Literal["recent", "popular", "trending"] = "recent",
    cursor: Cursor = None,
    limit: Limit = 20,
    page: Annotated[
        int | None, Query(ge=1, le=10_000, description="Numbered pages instead of a cursor")
    ] = None,
) -> PostPage:
    """Unpublished statuses list the caller's own posts (moderators: everyone's). `popular` is
    weighted engagement; `trending` lists the posts the periodic trending job scored (the last 7
    days), highest score first."""
    return await service.list_posts(
        db,
        viewer,
        author_id=author_id,
        author=author,
        tag=tag,
        category=category,
        status=status,
        sort=sort,
        cursor=cursor,
        limit=limit,
        page=page,
    )


@router.post(
    "/posts",
    tags=["posts"],
    status_code=201,
    response_model=PostRead,
    summary="Write a post",
    responses=problem_responses(ValidationFailed, Unauthorized),
)
async def create_post(
    data: PostCreate, author: CurrentUser, db: DbSession, settings: SettingsDep
) -> PostRead:
    """The document is checked against the editor's allow-list; a refused node is named by its
    path (e.g. `content.content[3].content[0].marks[1].attrs.href`)."""
    return await service.create(db, author, data, media_origin=settings.base_url)


@router.get(
    "/posts/{ref}",
    tags=["posts"],
    response_model=PostRead,
    summary="A post by id or slug",
    responses=READ_ERRORS,
)
async def get_post(
    ref: Annotated[str, Path(max_length=400)], db: DbSession, viewer: OptionalUser
) -> PostRead:
    """Drafts, archived and removed posts only for their author and moderators."""
    return await service.read_by_ref(db, viewer, ref)


@router.patch(
    "/posts/{post_id}",
    tags=["posts"],
    response_model=PostRead,
    summary="Edit a post",
    responses=EDIT_ERRORS,
)
async def update_post(
    post_id: uuid.UUID, data: PostUpdate, actor: CurrentUser, db: DbSession, settings: SettingsDep
) -> PostRead:
    """The author edits; moderators and admins may edit too, or remove (`status: REMOVED`)."""
    return await service.update_post(db, actor, post_id, data, media_origin=settings.base_url)


@router.delete(
    "/posts/{post_id}",
    tags=["posts"],
    status_code=204,
    summary="Delete a post",
    responses=EDIT_ERRORS,
)
async def delete_post(post_id: uuid.UUID, actor: CurrentUser, db: DbSession) -> Response:
    await service.delete(db, actor, post_id)
    return Response(status_code=204)


async def _status(
    db: DbSession, actor: CurrentUser, post_id: uuid.UUID, status: PostStatus
) -> PostRead:
    return await service.set_status(db, actor, post_id, status)


@router.post(
    "/posts/{post_id}/publish",
    tags=["posts"],
    response_model=PostRead,
    summary="Publish",
    responses=EDIT_ERRORS,
)
async def publish(post_id: uuid.UUID, actor: CurrentUser, db: DbSession) -> PostRead:
    return await _status(db, actor, post_id, PostStatus.PUBLISHED)


@router.post(
    "/posts/{post_id}/unpublish",
    tags=["posts"],
    response_model=PostRead,
    summary="Back to draft",
    responses=EDIT_ERRORS,
)
async def unpublish(post_id: uuid.UUID, actor: CurrentUser, db: DbSession) -> PostRead:
    return await _status(db, actor, post_id, PostStatus.DRAFT)


@router.post(
    "/posts/{post_id}/archive",
    tags=["posts"],
    response_model=PostRead,
    summary="Archive",
    responses=EDIT_ERRORS,
)
async def archive(post_id: uuid.UUID, actor: CurrentUser, db: DbSession) -> PostRead:
    return await _status(db, actor, post_id, PostStatus.ARCHIVED)


@router.get(
    "/posts/{post_id}/revisions",
    tags=["posts"],
    response_model=RevisionPage,
    summary="Earlier versions of a post",
    responses=EDIT_ERRORS,
)
async def list_revisions(
    post_id: uuid.UUID, actor: CurrentUser, db: DbSession, cursor: Cursor = None, limit: Limit = 20
) -> RevisionPage:
    """The author and moderators; newest first."""
    items, next_cursor = await service.revisions(db, actor, post_id, cursor=cursor, limit=limit)
    return RevisionPage(
        items=[RevisionRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


@router.post(
    "/posts/{post_id}/view",
    tags=["posts"],
    response_model=ViewCount,
    summary="Count a view",
    responses=READ_ERRORS,
)
async def view_post(
    post_id: uuid.UUID,
    request: Request,
    response: Response,
    viewer: OptionalUser,
    db: DbSession,
    client: Client,
    settings: SettingsDep,
) -> ViewCount:
    """At most one view per viewer (account, or anonymous session) per post per UTC day."""
    cookie = request.cookies.get(ANON_COOKIE)
    token = service.anonymous_token(
        settings.secret_key.get_secret_value(), cookie, client.ip, client.user_agent
    )
    if viewer is None and cookie != token:
        response.set_cookie(
            ANON_COOKIE,
            token,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=settings.is_production,
            path="/",
        )
    count = await service.record_view(db, viewer, post_id, service.viewer_key(viewer, token))
    return ViewCount(view_count=count)


@router.post(
    "/posts/{post_id}/share",
    tags=["posts"],
    response_model=ShareCount,
    summary="Count a share",
    responses=problem_responses(
        ValidationFailed, Unauthorized, NotFound, Conflict, TooManyRequests
    ),
)
async def share_post(
    post_id: uuid.UUID, viewer: OptionalUser, db: DbSession, rt: RuntimeDep, client: Client
) -> ShareCount:
    """A few per minute per caller and post."""
    key = f"user:{viewer.id}" if viewer else f"ip:{client.ip}"
    return ShareCount(share_count=await service.share(db, rt.limiter, viewer, post_id, key))


@router.get(
    "/categories",
    tags=["categories"],
    response_model=CategoryTree,
    summary="Every category, as a tree",
    responses=problem_responses(ValidationFailed),
)
async def list_categories(
    db: DbSession,
    flat: Annotated[bool, Query(description="One list, each with its parentId")] = False,
) -> CategoryTree:
    everything = await categories.all_categories(db)
    if flat:
        return CategoryTree(items=[CategoryRead.model_validate(c) for c in everything])
    return CategoryTree(items=categories.build_tree(everything))


@router.get(
    "/categories/{slug}",
    tags=["categories"],
    response_model=CategoryRead,
    summary="A category with its subcategories",
    responses=problem_responses(ValidationFailed, NotFound),
)
async def get_category(slug: str, db: DbSession) -> CategoryRead:
    return await categories.access_by_slug(db, slug)


ADMIN_ERRORS = problem_responses(ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict)


@router.post(
    "/categories",
    tags=["categories"],
    status_code=201,
    response_model=CategoryRead,
    summary="Create a category (ADMIN)",
    responses=ADMIN_ERRORS,
)
async def create_category(data: CategoryCreate, admin: AdminUser, db: DbSession) -> CategoryRead:
    return CategoryRead.model_validate(await categories.create(db, admin, data))


@router.patch(
    "/categories/{category_id}",
    tags=["categories"],
    response_model=CategoryRead,
    summary="Change a category (ADMIN)",
    responses=ADMIN_ERRORS,
)
async def update_category(
    category_id: uuid.UUID, data: CategoryUpdate, admin: AdminUser, db: DbSession
) -> CategoryRead:
    """Moving a category under itself or one of its descendants is refused."""
    return CategoryRead.model_validate(await categories.update(db, admin, category_id, data))


@router.delete(
    "/categories/{category_id}",
    tags=["categories"],
    status_code=204,
    summary="Delete a category (ADMIN)",
    responses=ADMIN_ERRORS,
)
async def delete_category(category_id: uuid.UUID, admin: AdminUser, db: DbSession) -> Response:
    """Subcategories move to the top level; its posts become uncategorised."""
    await categories.remove(db, admin, category_id)
    return Response(status_code=204)


@router.get(
    "/tags",
    tags=["tags"],
    response_model=TagPage,
    summary="Tags in use",
    responses=problem_responses(ValidationFailed),
)
async def list_tags(
    db: DbSession,
    sort: Literal["popular", "name", "recent"] = "popular",
    q: Annotated[str | None, Query(max_length=30, description="Tag prefix")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> TagPage:
    """Tags carried by at least one published post."""
    items, next_cursor = await tags.list_tags(db, sort=sort, prefix=q, cursor=cursor, limit=limit)
    return TagPage(items=[TagRead.model_validate(t) for t in items], next_cursor=next_cursor)


@router.get(
    "/tags/{slug}",
    tags=["tags"],
    response_model=TagRead,
    summary="One tag",
    responses=problem_responses(ValidationFailed, NotFound),
)
async def get_tag(slug: str, db: DbSession) -> TagRead:
    return TagRead.model_validate(await tags.access_by_slug(db, slug))
