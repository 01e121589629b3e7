"""Posts: the rules for reading, writing and counting them."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from limits import parse
from sqlalchemy import Row, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import Role, User
from sparkle.core import events
from sparkle.core import html as safe_html
from sparkle.core.db import utcnow
from sparkle.core.db.paging import keyset_page
from sparkle.core.errors import FieldError, Unauthorized, ValidationFailed
from sparkle.core.ratelimit import Limiter
from sparkle.posts import categories, content, mentions, repository, tags
from sparkle.posts.errors import PostForbidden, PostNotFound, PostNotPublished, PostRemoved
from sparkle.posts.events import PostCreated, PostDeleted, PostPublished, PostUpdated
from sparkle.posts.mentions import record_mentions  # noqa: F401  (public: comments use it)
from sparkle.posts.models import Post, PostRevision, PostStatus, PostView
from sparkle.posts.schemas import (
    AuthorRead,
    CategoryRef,
    Pagination,
    PostCreate,
    PostPage,
    PostRead,
    PostSummary,
    PostUpdate,
    TagRef,
)
from sparkle.reactions.models import ReactionType

SHARE_PER_POST = parse("5/minute")
SLUG_CHARS = string.ascii_lowercase + string.digits
ANON_COOKIE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_moderator(user: User | None) -> bool:
    return user is not None and user.role in (Role.MODERATOR, Role.ADMIN)


def may_read(post: Post, viewer: User | None) -> bool:
    """Published posts are public; drafts, archived and removed posts only for their author
    and moderators; deleted posts for nobody."""
    if post.deleted_at is not None:
        return False
    if post.status == PostStatus.PUBLISHED:
        return True
    return viewer is not None and (viewer.id == post.author_id or is_moderator(viewer))


async def access_readable(session: AsyncSession, viewer: User | None, post_id: uuid.UUID) -> Post:
    """The post if `viewer` may read it; otherwise 404, exactly like a missing post."""
    post = await session.get(Post, post_id)
    if post is None or not may_read(post, viewer):
        raise PostNotFound()
    return post


async def access_interactive(
    session: AsyncSession, viewer: User | None, post_id: uuid.UUID
) -> Post:
    """A post that takes comments and reactions: readable and published."""
    post = await access_readable(session, viewer, post_id)
    if post.status != PostStatus.PUBLISHED:
        raise PostNotPublished("This post does not take comments or reactions")
    return post


async def access_for_edit(session: AsyncSession, actor: User, post_id: uuid.UUID) -> Post:
    """The post if `actor` may change it: its author (unless a moderator removed it) or a
    moderator. Others get 403 when they can see the post, 404 when they cannot."""
    post = await session.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise PostNotFound()
    if is_moderator(actor):
        return post
    if post.author_id != actor.id:
        if may_read(post, actor):
            raise PostForbidden()
        raise PostNotFound()
    if post.status == PostStatus.REMOVED:
        raise PostRemoved()
    return post


async def adjust_counters(
    session: AsyncSession, post_id: uuid.UUID, *, comments: int = 0, reactions: int = 0
) -> None:
    """Keep the denormalised counters exact: called in the same transaction as the change."""
    values: dict[str, Any] = {}
    if comments:
        values["comment_count"] = Post.comment_count + comments
    if reactions:
        values["reaction_count"] = Post.reaction_count + reactions
    if values:
        # A counter is not an edit: `updated_at` keeps its value.
        values["updated_at"] = Post.updated_at
        await session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def author_ids(
    session: AsyncSession, post_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(select(Post.id, Post.author_id).where(Post.id.in_(post_ids)))
    return dict(rows.all())


# --- reading -------------------------------------------------------------------------------


def _summary(
    row: Row[Any], extras: repository.Extras, model: type[PostSummary] = PostSummary, **more: Any
) -> Any:
    post: Post = row.Post
    category = row.Category
    counts = extras.counts.get(post.id, {})
    return model(
        id=post.id,
        slug=post.slug,
        title=post.title,
        excerpt=post.excerpt,
        cover_image=post.cover_image,
        reading_time=post.reading_time,
        status=post.status,
        published_at=post.published_at,
        created_at=post.created_at,
        updated_at=post.updated_at,
        author=AuthorRead(
            id=post.author_id,
            username=row.username,
            display_name=row.display_name or row.username,
            avatar_url=row.avatar_url,
        ),
        tags=[TagRef(name=name, slug=slug) for name, slug in extras.tags.get(post.id, [])],
        category=CategoryRef.model_validate(category, from_attributes=True) if category else None,
        reaction_counts={t.value: counts.get(t.value, 0) for t in ReactionType},
        comment_count=post.comment_count,
        view_count=post.view_count,
        share_count=post.share_count,
        my_reactions=extras.mine.get(post.id, []),
        **more,
    )


def card_statement() -> Select[Any]:
    """The SELECT of post cards (post, author's name and avatar, category) that `hydrate` turns
    into `PostRead`s, for other domains' listings (the following feed) to filter and page."""
    return repository.card_statement()


async def hydrate(
    session: AsyncSession, viewer: User | None, rows: list[Row[Any]]
) -> list[PostSummary]:
    """List items for rows of `repository.card_statement()`, in a constant number of queries."""
    extras = await repository.extras(
        session, [r.Post.id for r in rows], viewer.id if viewer else None
    )
    return [_summary(r, extras) for r in rows]


async def replace_trending(
    session: AsyncSession, scores: Sequence[tuple[uuid.UUID, float]], computed_at: datetime
) -> None:
    """Replace every trending score with `scores` (post id, score), in the caller's
    transaction, so readers of the trending listing see the old scores or the new, never a
    mix. The feed's trending job computes them."""
    await repository.replace_trending(session, scores, computed_at)


async def summaries(
    session: AsyncSession, viewer: User | None, post_ids: list[uuid.UUID]
) -> list[PostSummary]:
    """List items for posts chosen elsewhere (feeds, search), in the given order; posts the
    viewer may not read are left out."""
    if not post_ids:
        return []
    rows = (await session.execute(repository.card_statement().where(Post.id.in_(post_ids)))).all()
    by_id = {r.Post.id: r for r in rows if may_read(r.Post, viewer)}
    return await hydrate(session, viewer, [by_id[i] for i in post_ids if i in by_id])


async def list_posts(
    session: AsyncSession,
    viewer: User | None,
    *,
    author_id: uuid.UUID | None = None,
    author: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    status: str = PostStatus.PUBLISHED.value,
    sort: str = "recent",
    cursor: str | None = None,
    limit: int = 20,
    page: int | None = None,
) -> PostPage:
    """A page of posts, by cursor (keyset) or, when `page` is given, by page number."""
    f = repository.PostFilter(status=status, author_id=author_id, author=author)
    if status != PostStatus.PUBLISHED:
        if viewer is None:
            raise Unauthorized("Sign in to list unpublished posts")
        if not is_moderator(viewer):
            f.restrict_to_author = viewer.id
    if tag is not None:
        f.tag = tags.slugify(tag, tags.TAG_CHARS)
        if not f.tag:
            raise ValidationFailed(fields={"tag": "Unknown tag"})
    if category is not None:
        everything = await categories.all_categories(session)
        found = categories.find(everything, category)
        f.category_ids = categories.descendants(everything, found.id) if found else set()
    if page is not None:
        rows, total = await repository.page_by_number(session, f, sort, page, limit)
        pagination = Pagination(page=page, limit=limit, total=total, pages=-(-total // limit))
        return PostPage(items=await hydrate(session, viewer, rows), pagination=pagination)
    rows, next_cursor = await repository.page_by_cursor(session, f, sort, cursor, limit)
    return PostPage(items=await hydrate(session, viewer, rows), next_cursor=next_cursor)


async def read(session: AsyncSession, viewer: User | None, post_id: uuid.UUID) -> PostRead:
    """One whole post, for a viewer who may read it."""
    row = await repository.one(session, post_id)
    if row is None or not may_read(row.Post, viewer):
        raise PostNotFound()
    extras = await repository.extras(session, [post_id], viewer.id if viewer else None)
    post: Post = row.Post
    return _summary(
        row,
        extras,
        PostRead,
        content=post.content,
        content_html=post.content_html,
        revision=post.revision,
    )


async def read_by_ref(session: AsyncSession, viewer: User | None, ref: str) -> PostRead:
    """A post by id or slug."""
    try:
        post_id: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        post_id = await repository.id_by_slug(session, ref)
    if post_id is None:
        raise PostNotFound()
    return await read(session, viewer, post_id)


# --- writing -------------------------------------------------------------------------------


async def _unique_slug(session: AsyncSession, title: str) -> str:
    base = tags.slugify(title, 80) or "post"
    while True:
        slug = f"{base}-{''.join(secrets.choice(SLUG_CHARS) for _ in range(6))}"
        if not await repository.slug_taken(session, slug):
            return slug


def _collect(errors: list[FieldError], check: Any, *args: Any, **kw: Any) -> Any:
    """Run one check; keep its field errors so one response names every bad field."""
    try:
        return check(*args, **kw)
    except ValidationFailed as exc:
        errors.extend(exc.fields)
        return None


def _check_cover(url: str | None, media_origin: str) -> str | None:
    if url and not safe_html.is_safe_image(url, media_origin):
        raise ValidationFailed(
            fields={"coverImage": "Must be an https URL or one of our media URLs"}
        )
    return url or None


def _event(post: Post, actor: User) -> dict[str, Any]:
    """The fields every post event carries."""
    return {
        "post_id": post.id,
        "author_id": post.author_id,
        "actor_id": actor.id,
        "slug": post.slug,
        "status": post.status,
    }


async def create(
    session: AsyncSession, author: User, data: PostCreate, *, media_origin: str
) -> PostRead:
    """Write a post (draft or published) with its tags and mentions; nothing is kept when any
    part of the input is refused."""
    errors: list[FieldError] = []
    doc = _collect(errors, content.parse, data.content, media_origin=media_origin)
    cover = _collect(errors, _check_cover, data.cover_image, media_origin)
    slugs = _collect(errors, tags.normalize, data.tags) or []
    if errors:
        raise ValidationFailed("Invalid post", fields=errors)
    if data.category_id is not None:
        await categories.check_exists(session, data.category_id)
    published = data.status == PostStatus.PUBLISHED
    post = Post(
        author_id=author.id,
        title=data.title,
        slug=await _unique_slug(session, data.title),
        content=data.content,
        content_html=doc.html,
        content_text=doc.text,
        excerpt=data.excerpt or doc.excerpt or None,
        cover_image=cover,
        category_id=data.category_id,
        status=data.status,
        published_at=utcnow() if published else None,
        reading_time=doc.reading_time,
    )
    session.add(post)
    await session.flush()
    await tags.replace(session, post.id, slugs, was_counted=False, counted=published)
    await mentions.record_mentions(
        session, author.id, doc.mention_text, post_id=post.id, notify=published
    )
    events.publish(session, PostCreated(**_event(post, author)))
    if published:
        events.publish(session, PostPublished(**_event(post, author), first_publish=True))
    return await read(session, author, post.id)


def _counted(post: Post) -> bool:
    return post.status == PostStatus.PUBLISHED and post.deleted_at is None


async def update_post(
    session: AsyncSession, actor: User, post_id: uuid.UUID, data: PostUpdate, *, media_origin: str
) -> PostRead:
    """Edit a post. A change of title, excerpt or document keeps the previous state as a
    revision; a status change follows the same rules as publish/unpublish/archive."""
    post = await access_for_edit(session, actor, post_id)
    changes = data.model_dump(exclude_unset=True)
    doc, cover, slugs = _check_update(data, changes, media_origin)
    if data.status == PostStatus.REMOVED and not is_moderator(actor):
        message = "Only moderators remove posts"
        raise PostForbidden(message, fields={"status": message})
    if data.category_id is not None:
        await categories.check_exists(session, data.category_id)
    _apply(session, actor, post, data, changes, doc, cover)
    await session.flush()
    if slugs is not None:
        counted = _counted(post)
        await tags.replace(session, post.id, slugs, was_counted=counted, counted=counted)
    if doc is not None:
        # Mentions belong to the post's author, even when a moderator edits the post.
        notify = post.status == PostStatus.PUBLISHED
        await mentions.record_mentions(
            session, post.author_id, doc.mention_text, post_id=post.id, notify=notify
        )
    changed = [_camel(k) for k in changes if k != "status"]
    if changed:
        events.publish(session, PostUpdated(**_event(post, actor), changes=changed))
    if data.status is not None:
        await _transition(session, actor, post, data.status)
    return await read(session, actor, post.id)


def _check_update(
    data: PostUpdate, changes: dict[str, Any], media_origin: str
) -> tuple[content.Document | None, str | None, list[str] | None]:
    """The parsed document, cover and tags of an edit; every refused field in one 400."""
    required = ("title", "content", "tags", "status")
    errors = [
        FieldError(_camel(k), "Must not be null")
        for k in required
        if k in changes and changes[k] is None
    ]
    doc = None
    if data.content is not None:
        doc = _collect(errors, content.parse, data.content, media_origin=media_origin)
    cover = _collect(errors, _check_cover, data.cover_image, media_origin)
    slugs = _collect(errors, tags.normalize, data.tags) if data.tags is not None else None
    if errors:
        raise ValidationFailed("Invalid post", fields=errors)
    return doc, cover, slugs


def _apply(
    session: AsyncSession,
    actor: User,
    post: Post,
    data: PostUpdate,
    changes: dict[str, Any],
    doc: content.Document | None,
    cover: str | None,
) -> None:
    """Write an edit's fields; when title, excerpt or document change, keep the old ones."""
    before = (post.title, post.excerpt, post.content)
    auto_excerpt = post.excerpt == (content.make_excerpt(post.content_text) or None)
    if data.title is not None:
        post.title = data.title
    if doc is not None:
        assert data.content is not None  # the document was parsed from it
        post.content, post.content_html, post.content_text = data.content, doc.html, doc.text
        post.reading_time = doc.reading_time
    if "excerpt" in changes:
        post.excerpt = data.excerpt or content.make_excerpt(post.content_text) or None
    elif doc is not None and auto_excerpt:
        # The excerpt was derived from the old text: derive it from the new one.
        post.excerpt = doc.excerpt or None
    if "cover_image" in changes:
        post.cover_image = cover
    if "category_id" in changes:
        post.category_id = data.category_id
    post.updated_at = utcnow()
    if (post.title, post.excerpt, post.content) != before:
        title, excerpt, document = before
        session.add(
            PostRevision(
                post_id=post.id,
                revision=post.revision,
                editor_id=actor.id,
                title=title,
                excerpt=excerpt,
                content=document,
            )
        )
        post.revision += 1


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def _transition(session: AsyncSession, actor: User, post: Post, status: str) -> None:
    """Move a post to `status`; tag counts, first-publish time and mention notices follow."""
    if status == post.status:
        return
    was_counted = _counted(post)
    first_publish = status == PostStatus.PUBLISHED and post.published_at is None
    post.status = status
    if first_publish:
        post.published_at = utcnow()
    post.updated_at = utcnow()
    await session.flush()
    await tags.recount(session, post.id, was_counted=was_counted, counted=_counted(post))
    if first_publish:
        mentioned = await mentions.mentioned_users(session, post.id)
        mentions.announce(session, post.author_id, mentioned, post_id=post.id)
    if status == PostStatus.PUBLISHED:
        events.publish(session, PostPublished(**_event(post, actor), first_publish=first_publish))
    else:
        events.publish(session, PostUpdated(**_event(post, actor), changes=["status"]))


async def set_status(
    session: AsyncSession, actor: User, post_id: uuid.UUID, status: PostStatus
) -> PostRead:
    """Publish, unpublish (back to draft) or archive a post."""
    post = await access_for_edit(session, actor, post_id)
    await _transition(session, actor, post, status.value)
    return await read(session, actor, post.id)


async def delete(session: AsyncSession, actor: User, post_id: uuid.UUID) -> None:
    """Soft-delete a post (its author or a moderator); its tags stop counting it."""
    post = await access_for_edit(session, actor, post_id)
    was_counted = _counted(post)
    post.deleted_at = utcnow()
    await session.flush()
    await tags.recount(session, post.id, was_counted=was_counted, counted=False)
    events.publish(session, PostDeleted(**_event(post, actor)))


async def revisions(
    session: AsyncSession, actor: User, post_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[PostRevision], str | None]:
    """Earlier states of a post, newest first (its author and moderators)."""
    post = await session.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise PostNotFound()
    if post.author_id != actor.id and not is_moderator(actor):
        if may_read(post, actor):
            raise PostForbidden("Only the author and moderators see revisions")
        raise PostNotFound()
    stmt = select(PostRevision).where(PostRevision.post_id == post.id)
    return await keyset_page(
        session,
        stmt,
        sort_col=PostRevision.revision,
        id_col=PostRevision.id,
        cursor=cursor,
        limit=limit,
    )


# --- views and shares ----------------------------------------------------------------------


def anonymous_token(secret: str, cookie: str | None, ip: str | None, user_agent: str | None) -> str:
    """The anonymous viewer's token: the `sparkle_anon` cookie when it is well-formed, otherwise
    one derived from IP and User-Agent, so a client that drops cookies still counts once a day."""
    if cookie and ANON_COOKIE_RE.match(cookie):
        return cookie
    digest = hmac.new(
        secret.encode(), f"anon|{ip}|{user_agent}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:32]


def viewer_key(viewer: User | None, token: str) -> str:
    if viewer is not None:
        return str(viewer.id)
    return hashlib.sha256(f"anon:{token}".encode()).hexdigest()


async def record_view(
    session: AsyncSession, viewer: User | None, post_id: uuid.UUID, key: str
) -> int:
    """Count a view of a published post at most once per viewer per UTC day; the view count."""
    post = await access_readable(session, viewer, post_id)
    if post.status != PostStatus.PUBLISHED:
        return post.view_count
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(PostView)
        .values(post_id=post.id, viewer_key=key, day=utcnow().date())
        .on_conflict_do_nothing()
        .returning(PostView.post_id)
    )
    if (await session.execute(stmt)).first() is None:
        return post.view_count
    return await _bump(session, post.id, Post.view_count)


async def share(
    session: AsyncSession,
    limiter: Limiter,
    viewer: User | None,
    post_id: uuid.UUID,
    client_key: str,
) -> int:
    """Count a share of a published post (a few per minute per caller and post)."""
    post = await access_readable(session, viewer, post_id)
    if post.status != PostStatus.PUBLISHED:
        raise PostNotPublished("Only published posts are shared")
    await limiter.hit(SHARE_PER_POST, "post-share", str(post.id), client_key)
    return await _bump(session, post.id, Post.share_count)


async def _bump(session: AsyncSession, post_id: uuid.UUID, column: Any) -> int:
    stmt = (
        update(Post)
        .where(Post.id == post_id)
        .values({column: column + 1, Post.updated_at: Post.updated_at})
        .returning(column)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).scalar_one())
