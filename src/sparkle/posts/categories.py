"""Categories: a small admin-managed hierarchy with icons and colours."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import delete, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.accounts.models import User
from sparkle.core.errors import NotFound, ValidationFailed
from sparkle.posts.errors import CategoryExists
from sparkle.posts.models import Category, Post, PostStatus
from sparkle.posts.schemas import CategoryCreate, CategoryRead, CategoryUpdate
from sparkle.posts.tags import slugify

NAME_CHARS = 50


class CategoryNotFound(NotFound):
    code, title = "category_not_found", "Category not found"


async def all_categories(session: AsyncSession) -> list[Category]:
    stmt = select(Category).order_by(Category.position, Category.name)
    return list((await session.scalars(stmt)).all())


def build_tree(categories: list[Category], root: uuid.UUID | None = None) -> list[CategoryRead]:
    """Nest `categories` under their parents; the children of `root` (None: the top level)."""
    by_parent: dict[uuid.UUID | None, list[Category]] = defaultdict(list)
    known = {c.id for c in categories}
    for c in categories:
        by_parent[c.parent_id if c.parent_id in known else None].append(c)

    def nest(parent: uuid.UUID | None, seen: frozenset[uuid.UUID]) -> list[CategoryRead]:
        out = []
        for c in by_parent.get(parent, []):
            if c.id in seen:  # a cycle cannot be written, but never loop on one
                continue
            node = CategoryRead.model_validate(c, from_attributes=True)
            node.children = nest(c.id, seen | {c.id})
            out.append(node)
        return out

    return nest(root, frozenset())


def descendants(categories: list[Category], root: uuid.UUID) -> set[uuid.UUID]:
    """`root` and every category below it."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    for c in categories:
        children[c.parent_id].append(c.id)
    found, pending = {root}, [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def find(categories: list[Category], ref: str) -> Category | None:
    """A category by id or slug."""
    try:
        ident = uuid.UUID(ref)
    except ValueError:
        ident = None
    slug = slugify(ref, NAME_CHARS)
    return next((c for c in categories if c.id == ident or c.slug == slug), None)


async def access_by_slug(session: AsyncSession, slug: str) -> CategoryRead:
    """One category with its subtree and the number of published posts filed directly in it."""
    categories = await all_categories(session)
    category = find(categories, slug)
    if category is None:
        raise CategoryNotFound()
    read = CategoryRead.model_validate(category, from_attributes=True)
    read.children = build_tree(categories, category.id)
    read.post_count = int(
        await session.scalar(
            select(func.count()).where(
                Post.category_id == category.id,
                Post.status == PostStatus.PUBLISHED,
                Post.deleted_at.is_(None),
            )
        )
        or 0
    )
    return read


async def check_exists(
    session: AsyncSession, category_id: uuid.UUID, field: str = "categoryId"
) -> None:
    if await session.get(Category, category_id) is None:
        raise ValidationFailed("Unknown category", fields={field: "Unknown category"})


async def _check_unique(
    session: AsyncSession, name: str, slug: str, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Category.id).where(
        or_(func.lower(Category.name) == name.lower(), Category.slug == slug)
    )
    if exclude is not None:
        stmt = stmt.where(Category.id != exclude)
    if (await session.scalar(stmt.limit(1))) is not None:
        raise CategoryExists(fields={"name": "Already taken"})


def _slug(name: str) -> str:
    slug = slugify(name, NAME_CHARS)
    if not slug:
        raise ValidationFailed(fields={"name": "A name needs at least one letter or digit"})
    return slug


async def _check_parent(
    session: AsyncSession, category_id: uuid.UUID | None, parent_id: uuid.UUID
) -> None:
    """The parent must exist and must not be the category itself or one of its descendants."""
    categories = await all_categories(session)
    if not any(c.id == parent_id for c in categories):
        raise ValidationFailed(fields={"parentId": "Unknown category"})
    if category_id is not None and parent_id in descendants(categories, category_id):
        raise ValidationFailed(
            fields={"parentId": "A category cannot be placed under itself or its descendants"}
        )


async def create(session: AsyncSession, admin: User, data: CategoryCreate) -> Category:
    """Create a category (ADMIN)."""
    slug = _slug(data.name)
    await _check_unique(session, data.name, slug)
    if data.parent_id is not None:
        await _check_parent(session, None, data.parent_id)
    category = Category(
        name=data.name,
        slug=slug,
        description=data.description,
        parent_id=data.parent_id,
        icon=data.icon,
        color=data.color,
        position=data.position,
    )
    session.add(category)
    await session.flush()
    return category


async def access(session: AsyncSession, category_id: uuid.UUID) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise CategoryNotFound()
    return category


async def update(
    session: AsyncSession, admin: User, category_id: uuid.UUID, data: CategoryUpdate
) -> Category:
    """Change a category (ADMIN); moving it under its own subtree is refused."""
    category = await access(session, category_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        slug = _slug(changes["name"])
        await _check_unique(session, changes["name"], slug, exclude=category.id)
        category.name, category.slug = changes["name"], slug
    elif "name" in changes:
        raise ValidationFailed(fields={"name": "Must not be null"})
    if changes.get("parent_id") is not None:
        await _check_parent(session, category.id, changes["parent_id"])
    if "position" in changes and changes["position"] is None:
        raise ValidationFailed(fields={"position": "Must not be null"})
    for key in ("description", "parent_id", "icon", "color", "position"):
        if key in changes:
            setattr(category, key, changes[key])
    await session.flush()
    return category


async def remove(session: AsyncSession, admin: User, category_id: uuid.UUID) -> None:
    """Delete a category (ADMIN): its children move to the top level, its posts lose it."""
    category = await access(session, category_id)
    # The foreign keys say ON DELETE SET NULL; say it here too so no backend depends on it.
    await session.execute(
        sql_update(Category).where(Category.parent_id == category.id).values(parent_id=None)
    )
    await session.execute(
        sql_update(Post)
        .where(Post.category_id == category.id)
        .values(category_id=None, updated_at=Post.updated_at)
    )
    await session.execute(delete(Category).where(Category.id == category.id))
