"""Tags: normalised names, created on first use, with an exact usage count.

`usage_count` counts the published, non-deleted posts that carry the tag. Drafts, archived and
removed posts do not count, so a tag first used in a draft stays out of the public lists (and
its name private) until a post carrying it is published.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, delete, false, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core.db.base import new_id
from sparkle.core.db.paging import keyset_page
from sparkle.core.errors import FieldError, NotFound, ValidationFailed
from sparkle.posts.models import PostTag, Tag

MAX_TAGS = 5
TAG_CHARS = 30
_NON_WORD = re.compile(r"[^\w]+")


class TagNotFound(NotFound):
    code, title = "tag_not_found", "Tag not found"


def slugify(text: str, limit: int, *, prefix: bool = False) -> str:
    """Lower-case words joined by '-': letters of any script and digits survive, the rest goes.
    A `prefix` (what someone is still typing) keeps a trailing '-'."""
    folded = unicodedata.normalize("NFKC", text).lower()
    slug = _NON_WORD.sub("-", folded).replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug).lstrip("-")
    return slug[:limit] if prefix else slug[:limit].rstrip("-")


def normalize(raw: Sequence[str], field: str = "tags") -> list[str]:
    """Trimmed, lower-cased, slugged, at most 30 characters, de-duplicated, in the given order."""
    errors: list[FieldError] = []
    out: list[str] = []
    for i, value in enumerate(raw):
        slug = slugify(value.strip(), TAG_CHARS)
        if not slug:
            errors.append(FieldError(f"{field}[{i}]", "A tag needs at least one letter or digit"))
        elif slug not in out:
            out.append(slug)
    if len(out) > MAX_TAGS:
        errors.append(FieldError(field, f"At most {MAX_TAGS} tags"))
    if errors:
        raise ValidationFailed("Invalid tags", fields=errors)
    return out


async def ensure(session: AsyncSession, slugs: Sequence[str]) -> dict[str, uuid.UUID]:
    """The ids of the tags named `slugs`, creating the missing ones (race-safe)."""
    if not slugs:
        return {}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Tag).values(
        [{"id": new_id(), "name": s, "slug": s, "usage_count": 0} for s in slugs]
    )
    await session.execute(stmt.on_conflict_do_nothing())
    rows = await session.execute(select(Tag.slug, Tag.id).where(Tag.slug.in_(slugs)))
    return dict(rows.all())


async def post_tags(session: AsyncSession, post_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The post's tags in order, slug to id."""
    stmt = (
        select(Tag.slug, Tag.id)
        .join(PostTag, PostTag.tag_id == Tag.id)
        .where(PostTag.post_id == post_id)
        .order_by(PostTag.position)
    )
    return dict((await session.execute(stmt)).all())


async def replace(
    session: AsyncSession,
    post_id: uuid.UUID,
    slugs: Sequence[str],
    *,
    was_counted: bool,
    counted: bool,
) -> None:
    """Give the post exactly `slugs` and keep every affected tag's usage count exact."""
    old_ids = await post_tags(session, post_id)
    ids = await ensure(session, slugs)
    if list(old_ids) != list(slugs):
        await session.execute(delete(PostTag).where(PostTag.post_id == post_id))
        if slugs:
            session.add_all(
                [PostTag(post_id=post_id, tag_id=ids[s], position=i) for i, s in enumerate(slugs)]
            )
            await session.flush()
    await _count(session, old_ids.values() if was_counted else (), -1)
    await _count(session, ids.values() if counted else (), +1)


async def recount(
    session: AsyncSession, post_id: uuid.UUID, *, was_counted: bool, counted: bool
) -> None:
    """The post moved in or out of the published set: its tags' counts follow."""
    if was_counted == counted:
        return
    tag_ids = select(PostTag.tag_id).where(PostTag.post_id == post_id)
    await session.execute(
        update(Tag)
        .where(Tag.id.in_(tag_ids))
        .values(usage_count=Tag.usage_count + (1 if counted else -1))
        .execution_options(synchronize_session=False)
    )


async def _count(session: AsyncSession, tag_ids: Iterable[uuid.UUID], delta: int) -> None:
    ids = list(tag_ids)
    if ids:
        await session.execute(
            update(Tag)
            .where(Tag.id.in_(ids))
            .values(usage_count=Tag.usage_count + delta)
            .execution_options(synchronize_session=False)
        )


def _public() -> Select[Tag]:
    return select(Tag).where(Tag.usage_count > 0)


async def list_tags(
    session: AsyncSession, *, sort: str, prefix: str | None, cursor: str | None, limit: int
) -> tuple[list[Tag], str | None]:
    """Tags in use, by popularity, name or age, optionally those starting with `prefix`."""
    stmt = _public()
    if prefix:
        # A slug holds no LIKE wildcard ('_' and '%' never survive slugify).
        start = slugify(prefix, TAG_CHARS, prefix=True)
        stmt = stmt.where(Tag.slug.like(f"{start}%")) if start else stmt.where(false())
    if sort == "name":
        return await keyset_page(
            session,
            stmt,
            sort_col=Tag.slug,
            id_col=Tag.id,
            cursor=cursor,
            limit=limit,
            descending=False,
        )
    col = Tag.usage_count if sort == "popular" else Tag.created_at
    return await keyset_page(session, stmt, sort_col=col, id_col=Tag.id, cursor=cursor, limit=limit)


async def access_by_slug(session: AsyncSession, slug: str) -> Tag:
    tag = (
        await session.scalars(_public().where(Tag.slug == slugify(slug, TAG_CHARS)))
    ).one_or_none()
    if tag is None:
        raise TagNotFound()
    return tag
