"""Feed, post, editor, drafts, tag, category and search pages: who sees what, what the forms
change, CSRF on every page POST, and hostile input that must stay inert in the HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from httpx import AsyncClient
from markupsafe import escape
from sqlalchemy import func, select

from sparkle.core.db import session_scope
from sparkle.core.runtime import Runtime
from sparkle.feed import service as feed_service
from sparkle.posts import pages as post_pages
from sparkle.posts.models import Post, Tag
from sparkle.social import service as social_service
from tests.factories.content import create_comment, get_comment, get_post
from tests.factories.posts import create_category, create_post, doc, paragraph, text
from tests.web.pages import HTML, HTMX, csrf_token, post_form, sign_in

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "' onmouseover='alert(1)",
]


class ActiveContent(HTMLParser):
    """Everything in a page that a browser would run or load as script."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/dist/"):
            self.found.append(f"<script {values}>")
        if tag in ("iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            scheme = re.match(r"\s*(javascript|data|vbscript):", value or "", re.IGNORECASE)
            if name in ("href", "src", "action", "formaction") and scheme:
                self.found.append(f"{tag}[{name}={value}]")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def cards(html: str) -> list[str]:
    """Titles of the post cards of a list page, in order."""
    return re.findall(r'class="post-card-title"><a href="/p/[^"]+">([^<]*)</a>', html)


async def signed_in(client: AsyncClient, account) -> AsyncClient:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await sign_in(client, account)
    return client


async def post_count(rt: Runtime) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)


class TestFeed:
    async def test_anonymous_home_is_the_landing_page(self, client: AsyncClient) -> None:
        html = (await client.get("/", headers=HTML)).text
        assert "Join the community" in html
        assert 'href="/feed"' in html

    async def test_feed_lists_published_posts_newest_first(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, title="Older sparkle")
        await create_post(rt, owner.user, title="Newer sparkle")
        await create_post(rt, owner.user, title="Secret draft", status="DRAFT")
        response = await client.get("/feed", headers=HTML)
        assert response.status_code == 200
        assert cards(response.text) == ["Newer sparkle", "Older sparkle"]
        for tab in ("latest", "popular", "trending", "following"):
            assert f'href="/feed?tab={tab}"' in response.text

    async def test_signed_in_home_is_the_feed(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, title="Hello feed")
        await signed_in(client, owner)
        html = (await client.get("/", headers=HTML)).text
        assert "Hi, owner_user" in html
        assert cards(html) == ["Hello feed"]
        assert 'href="/write"' in html

    async def test_popular_and_trending_tabs_render(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, title="Any post")
        async with session_scope(rt.sessions) as session:
            await feed_service.recompute_trending(session)
        for tab in ("popular", "trending"):
            response = await client.get(f"/feed?tab={tab}", headers=HTML)
            assert response.status_code == 200
            assert cards(response.text) == ["Any post"]
            assert f'href="/feed?tab={tab}" aria-current="page"' in response.text

    async def test_infinite_scroll_loads_the_next_page_as_a_fragment(
        self, client: AsyncClient, rt: Runtime, owner, monkeypatch: pytest.MonkeyPatch
    ) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setattr(post_pages, "PAGE_SIZE", 2)
        for n in range(5):
            await create_post(rt, owner.user, title=f"Post {n}")
        first = (await client.get("/feed", headers=HTML)).text
        assert cards(first) == ["Post 4", "Post 3"]
        more = re.search(r'hx-get="([^"]+)" hx-trigger="revealed"', first)
        assert more, first
        url = more.group(1).replace("&amp;", "&")
        second = await client.get(url, headers={**HTML, **HTMX})
        assert "<html" not in second.text
        assert cards(second.text) == ["Post 2", "Post 1"]
        third_url = re.search(r'hx-get="([^"]+)"', second.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        third = await client.get(third_url, headers={**HTML, **HTMX})
        assert cards(third.text) == ["Post 0"]
        assert 'hx-trigger="revealed"' not in third.text

    async def test_a_forged_cursor_is_a_400_page(self, client: AsyncClient) -> None:
        response = await client.get("/feed?cursor=not-a-cursor", headers=HTML)
        assert response.status_code == 400

    async def test_following_tab(
        self, client: AsyncClient, rt: Runtime, owner, other, make_account
    ) -> None:  # type: ignore[no-untyped-def]
        anonymous = await client.get("/feed?tab=following", headers=HTML)
        assert "Sign in to see the posts of the people you follow" in anonymous.text
        stranger = await make_account(username="stranger")
        await create_post(rt, other.user, title="By someone I follow")
        await create_post(rt, stranger.user, title="By a stranger")
        async with session_scope(rt.sessions) as session:
            await social_service.follow(session, rt.limiter, owner.user, other.user.id)
        await signed_in(client, owner)
        html = (await client.get("/feed?tab=following", headers=HTML)).text
        assert cards(html) == ["By someone I follow"]


class TestPostPage:
    async def test_renders_content_tags_category_and_author(
        self, client: AsyncClient, rt: Runtime, owner, other, admin
    ) -> None:  # type: ignore[no-untyped-def]
        category = await create_category(rt, admin.user, "Fan Art", color="#ec4899")
        content = doc(
            {"type": "heading", "attrs": {"level": 2}, "content": [text("A heading")]},
            paragraph(text("bold words", {"type": "bold"})),
        )
        post = await create_post(
            rt,
            owner.user,
            title="Sparkle art",
            content=content,
            tags=["Fan Art", "glitter"],
            category_id=category.id,
        )
        await signed_in(client, other)
        html = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert '<h1 data-testid="post-title">Sparkle art</h1>' in html
        assert "<h2>A heading</h2>" in html and "<strong>bold words</strong>" in html
        assert 'href="/t/fan-art"' in html and 'href="/t/glitter"' in html
        assert 'href="/c/fan-art"' in html
        assert "1 min read" in html
        assert 'data-testid="follow-button"' in html and ">Follow<" in html
        assert html.count('data-reaction="') == 6
        assert f'hx-post="/posts/{post.id}/view"' in html
        assert 'data-testid="edit-post"' not in html

    async def test_post_by_id_redirects_to_its_slug(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        response = await client.get(f"/p/{post.id}", headers=HTML)
        assert response.status_code == 301
        assert response.headers["location"] == f"/p/{post.slug}"

    async def test_drafts_are_404_to_others(
        self, client: AsyncClient, rt: Runtime, owner, other, moderator
    ) -> None:  # type: ignore[no-untyped-def]
        draft = await create_post(rt, owner.user, title="Work in progress", status="DRAFT")
        assert (await client.get(f"/p/{draft.slug}", headers=HTML)).status_code == 404
        await signed_in(client, other)
        assert (await client.get(f"/p/{draft.slug}", headers=HTML)).status_code == 404
        for account in (owner, moderator):
            await signed_in(client, account)
            response = await client.get(f"/p/{draft.slug}", headers=HTML)
            assert response.status_code == 200
            assert "This is a draft" in response.text
            assert "Comments open once the post is published" in response.text
            assert 'data-testid="edit-post"' in response.text

    async def test_unknown_post_is_404(self, client: AsyncClient) -> None:
        assert (await client.get("/p/nothing-here", headers=HTML)).status_code == 404

    async def test_view_counts_once_per_viewer(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        token = await csrf_token(client, f"/p/{post.slug}")
        for _ in range(2):
            response = await client.post(
                f"/posts/{post.id}/view", headers={**HTMX, "X-CSRF-Token": token}
            )
            assert response.status_code == 204
        html = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert "1 view ·" in html


class TestReactions:
    async def test_toggle_on_and_off(self, client: AsyncClient, rt: Runtime, owner, other) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, other)
        token = await csrf_token(client, f"/p/{post.slug}")
        url = f"/posts/{post.id}/reactions/LOVE"
        added = await post_form(client, url, {"action": "add"}, token=token, htmx=True)
        assert added.status_code == 200
        assert 'aria-label="Love: 1"' in added.text and 'aria-pressed="true"' in added.text
        again = await post_form(client, url, {"action": "add"}, token=token, htmx=True)
        assert 'aria-label="Love: 1"' in again.text
        removed = await post_form(client, url, {"action": "remove"}, token=token, htmx=True)
        assert 'aria-label="Love: 0"' in removed.text and 'aria-pressed="true"' not in removed.text

    async def test_anonymous_is_sent_to_sign_in(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        token = await csrf_token(client, f"/p/{post.slug}")
        response = await post_form(client, f"/posts/{post.id}/reactions/LIKE", {}, token=token)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")

    async def test_drafts_take_no_reactions(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        draft = await create_post(rt, owner.user, status="DRAFT")
        await signed_in(client, owner)
        token = await csrf_token(client)
        response = await post_form(client, f"/posts/{draft.id}/reactions/LIKE", {}, token=token)
        assert response.status_code == 409

    async def test_unknown_reaction_type_is_404(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, owner)
        token = await csrf_token(client)
        response = await post_form(client, f"/posts/{post.id}/reactions/MEH", {}, token=token)
        assert response.status_code == 404


class TestCommentReactions:
    async def test_toggle_on_a_comment(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        comment = await create_comment(rt, owner.user, post.id)
        await signed_in(client, other)
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert f'id="comment-reactions-{comment.id}"' in page
        token = await csrf_token(client, f"/p/{post.slug}")
        url = f"/comments/{comment.id}/reactions/WOW"
        added = await post_form(client, url, {"action": "add"}, token=token, htmx=True)
        assert added.status_code == 200 and 'aria-label="Wow: 1"' in added.text
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert 'aria-label="Wow: 1"' in page
        removed = await post_form(client, url, {"action": "remove"}, token=token, htmx=True)
        assert 'aria-label="Wow: 1"' not in removed.text
        assert (await get_comment(rt, comment.id)).reaction_count == 0

    async def test_anonymous_sees_counts_without_buttons(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        comment = await create_comment(rt, owner.user, post.id)
        await signed_in(client, other)
        token = await csrf_token(client, f"/p/{post.slug}")
        await post_form(
            client, f"/comments/{comment.id}/reactions/LIKE", {}, token=token, htmx=True
        )
        client.cookies.clear()
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert 'data-testid="comment-react"' not in page
        assert f'action="/comments/{comment.id}/reactions/LIKE"' not in page
        token = await csrf_token(client, f"/p/{post.slug}")
        response = await post_form(
            client, f"/comments/{comment.id}/reactions/LIKE", {}, token=token
        )
        assert response.status_code == 303 and "/signin" in response.headers["location"]

    async def test_unknown_comment_and_type(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        comment = await create_comment(rt, owner.user, post.id)
        await signed_in(client, owner)
        token = await csrf_token(client)
        missing = await post_form(client, f"/comments/{post.id}/reactions/LIKE", {}, token=token)
        assert missing.status_code == 404
        meh = await post_form(client, f"/comments/{comment.id}/reactions/MEH", {}, token=token)
        assert meh.status_code == 404


class TestDeletePost:
    async def test_anonymous_is_sent_to_sign_in(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        token = await csrf_token(client, f"/p/{post.slug}")
        response = await post_form(client, f"/p/{post.slug}/delete", {}, token=token)
        assert response.status_code == 303 and "/signin" in response.headers["location"]
        assert (await get_post(rt, post.id)).deleted_at is None

    async def test_other_user_is_refused(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, other)
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert 'data-testid="delete-post"' not in page
        token = await csrf_token(client)
        response = await post_form(client, f"/p/{post.slug}/delete", {}, token=token)
        assert response.status_code == 403
        assert (await get_post(rt, post.id)).deleted_at is None

    @pytest.mark.parametrize("who", ["owner", "moderator", "admin"])
    async def test_author_and_staff_delete(
        self, client: AsyncClient, rt: Runtime, owner, moderator, admin, who: str
    ) -> None:  # type: ignore[no-untyped-def]
        actor = {"owner": owner, "moderator": moderator, "admin": admin}[who]
        post = await create_post(rt, owner.user)
        await signed_in(client, actor)
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert 'data-testid="delete-post"' in page
        token = await csrf_token(client)
        response = await post_form(client, f"/p/{post.slug}/delete", {}, token=token, htmx=True)
        assert response.status_code == 200 and response.headers["hx-redirect"] == "/u/owner_user"
        assert (await get_post(rt, post.id)).deleted_at is not None
        assert (await client.get(f"/p/{post.slug}", headers=HTML)).status_code == 404


class TestComments:
    async def test_comment_reply_edit_delete(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, other)
        token = await csrf_token(client, f"/p/{post.slug}")
        url = f"/posts/{post.id}/comments"
        first = await post_form(client, url, {"content": "First!"}, token=token, htmx=True)
        assert first.status_code == 200
        assert 'id="comments"' in first.text and "<p>First!</p>" in first.text
        comment_id = re.search(r'id="comment-([0-9a-f-]+)"', first.text).group(1)  # type: ignore[union-attr]

        await signed_in(client, owner)
        token = await csrf_token(client, f"/p/{post.slug}")
        reply = await post_form(
            client, url, {"content": "Welcome!", "parent_id": comment_id}, token=token, htmx=True
        )
        assert re.search(r'class="comment-replies">\s*<li class="comment" id="comment-', reply.text)
        assert 'Comments <span class="muted">(2)</span>' in reply.text
        # The post's author may not rewrite someone else's comment.
        forbidden = await post_form(
            client, f"/comments/{comment_id}/edit", {"content": "Hijacked"}, token=token
        )
        assert forbidden.status_code == 403

        await signed_in(client, other)
        token = await csrf_token(client, f"/p/{post.slug}")
        edited = await post_form(
            client,
            f"/comments/{comment_id}/edit",
            {"content": "First, edited"},
            token=token,
            htmx=True,
        )
        assert "<p>First, edited</p>" in edited.text and "(edited)" in edited.text
        deleted = await post_form(
            client, f"/comments/{comment_id}/delete", {}, token=token, htmx=True
        )
        assert "<p>[deleted]</p>" in deleted.text
        assert "<p>Welcome!</p>" in deleted.text  # the reply keeps its place

    async def test_empty_comment_shows_the_error_under_the_form(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, owner)
        token = await csrf_token(client, f"/p/{post.slug}")
        response = await post_form(
            client, f"/posts/{post.id}/comments", {"content": "   "}, token=token, htmx=True
        )
        assert response.status_code == 400
        assert 'id="new-error">A comment cannot be empty</p>' in response.text

    async def test_anonymous_cannot_comment(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        html = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert "to join the discussion" in html and 'name="content"' not in html
        token = await csrf_token(client, f"/p/{post.slug}")
        response = await post_form(
            client, f"/posts/{post.id}/comments", {"content": "Hi"}, token=token
        )
        assert response.status_code == 303 and "/signin" in response.headers["location"]


class TestEditor:
    async def test_anonymous_is_sent_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/write", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/write"

    async def test_editor_page_loads_the_bundle(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await signed_in(client, owner)
        html = (await client.get("/write", headers=HTML)).text
        assert '<script src="/static/dist/editor.js" defer></script>' in html
        assert "data-editor-mount" in html and 'name="content"' in html
        for label in (
            "Bold",
            "Italic",
            "Strikethrough",
            "Heading 1",
            "Heading 2",
            "Bullet list",
            "Numbered list",
            "Quote",
            "Link",
            "Image from a URL",
            "Highlight",
            "Undo",
            "Redo",
        ):
            assert f'aria-label="{label}"' in html

    async def test_publish_creates_the_post(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await signed_in(client, owner)
        content = doc(paragraph(text("So shiny", {"type": "bold"})))
        form = {
            "title": "My sparkle",
            "content": json.dumps(content),
            "tags": "Fan Art, glitter",
            "excerpt": "",
            "cover_image": "",
            "category_id": "",
            "intent": "publish",
        }
        response = await post_form(client, "/write", form, token=await csrf_token(client, "/write"))
        assert response.status_code == 303
        slug = response.headers["location"].removeprefix("/p/")
        page = (await client.get(f"/p/{slug}", headers=HTML)).text
        assert "Your post is live" in page and "<strong>So shiny</strong>" in page
        assert 'href="/t/fan-art"' in page

    async def test_save_draft_then_publish_from_the_edit_page(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await signed_in(client, owner)
        token = await csrf_token(client, "/write")
        form = {"title": "Half done", "content": json.dumps(doc("Later")), "intent": "draft"}
        response = await post_form(client, "/write", form, token=token)
        slug = response.headers["location"].removeprefix("/p/")
        drafts = (await client.get("/me/drafts", headers=HTML)).text
        assert cards(drafts) == ["Half done"]
        edit = await client.get(f"/p/{slug}/edit", headers=HTML)
        assert 'value="Half done"' in edit.text and "&#34;Later&#34;" in edit.text
        form.update(title="Done now", intent="publish")
        saved = await post_form(client, f"/p/{slug}/edit", form, token=token)
        assert saved.status_code == 303
        assert cards((await client.get("/feed", headers=HTML)).text) == ["Done now"]
        assert cards((await client.get("/me/drafts", headers=HTML)).text) == []

    async def test_invalid_document_names_the_node_and_writes_nothing(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await signed_in(client, owner)
        link = {"type": "link", "attrs": {"href": "javascript:alert(1)"}}
        content = doc(paragraph(text("ok"), text("bad", link)))
        form = {
            "title": "Bad link",
            "content": json.dumps(content),
            "tags": "new-tag-one, new-tag-two",
            "intent": "publish",
        }
        before = await post_count(rt)
        response = await post_form(client, "/write", form, token=await csrf_token(client, "/write"))
        assert response.status_code == 400
        assert "content.content[0].content[1].marks[0].attrs.href" in response.text
        assert 'value="Bad link"' in response.text
        assert 'value="new-tag-one, new-tag-two"' in response.text
        assert await post_count(rt) == before
        async with rt.sessions() as session:
            assert (await session.scalar(select(func.count()).select_from(Tag))) == 0

    async def test_field_errors_are_inline(self, client: AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
        await signed_in(client, owner)
        form = {
            "title": "",
            "content": "{not json",
            "tags": "a, b, c, d, e, f",
            "cover_image": "javascript:alert(1)",
        }
        token = await csrf_token(client, "/write")
        response = await post_form(client, "/write", form, token=token)
        assert response.status_code == 400
        assert "The document could not be read" in response.text
        form["content"] = json.dumps(doc("fine"))
        response = await post_form(client, "/write", form, token=token)
        assert 'id="f-title-error"' in response.text
        form["title"] = "Fine title"
        response = await post_form(client, "/write", form, token=token)
        assert 'id="f-tags-error">At most 5 tags' in response.text
        assert 'id="f-cover_image-error">Must be an https URL' in response.text

    async def test_only_the_author_and_moderators_edit(
        self, client: AsyncClient, rt: Runtime, owner, other, moderator
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user, title="Mine")
        draft = await create_post(rt, owner.user, title="Hidden", status="DRAFT")
        await signed_in(client, other)
        assert (await client.get(f"/p/{post.slug}/edit", headers=HTML)).status_code == 403
        assert (await client.get(f"/p/{draft.slug}/edit", headers=HTML)).status_code == 404
        token = await csrf_token(client)
        form = {"title": "Stolen", "content": json.dumps(doc("x")), "intent": "save"}
        assert (
            await post_form(client, f"/p/{post.slug}/edit", form, token=token)
        ).status_code == 403
        await signed_in(client, moderator)
        assert (await client.get(f"/p/{post.slug}/edit", headers=HTML)).status_code == 200
        client.cookies.clear()
        assert (await client.get(f"/p/{post.slug}/edit", headers=HTML)).status_code == 303


class TestListPages:
    async def test_drafts_need_sign_in_and_show_only_mine(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        assert (await client.get("/me/drafts", headers=HTML)).status_code == 303
        await create_post(rt, owner.user, title="Owner draft", status="DRAFT")
        await create_post(rt, other.user, title="Other draft", status="DRAFT")
        await signed_in(client, owner)
        assert cards((await client.get("/me/drafts", headers=HTML)).text) == ["Owner draft"]

    async def test_tag_page(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, title="Tagged", tags=["theories"])
        await create_post(rt, owner.user, title="Untagged")
        response = await client.get("/t/theories", headers=HTML)
        assert "#theories" in response.text and cards(response.text) == ["Tagged"]
        assert (await client.get("/t/nope", headers=HTML)).status_code == 404

    async def test_category_page_includes_subcategories(
        self, client: AsyncClient, rt: Runtime, owner, admin
    ) -> None:  # type: ignore[no-untyped-def]
        parent = await create_category(rt, admin.user, "Videos", description="All about videos")
        child = await create_category(rt, admin.user, "Premieres", parent_id=parent.id)
        await create_post(rt, owner.user, title="In parent", category_id=parent.id)
        await create_post(rt, owner.user, title="In child", category_id=child.id)
        await create_post(rt, owner.user, title="Elsewhere")
        response = await client.get("/c/videos", headers=HTML)
        assert "All about videos" in response.text and 'href="/c/premieres"' in response.text
        assert cards(response.text) == ["In child", "In parent"]
        assert (await client.get("/c/nope", headers=HTML)).status_code == 404


class TestSearchPage:
    async def test_typo_finds_the_post_with_a_highlighted_snippet(
        self, client: AsyncClient, rt: Runtime, owner
    ) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, title="Sparkle theories", body="The sparkle is a clue.")
        html = (await client.get("/search?q=sparkle", headers=HTML)).text
        assert 'href="/p/sparkle-theories-' in html
        assert "<mark>" in html
        typo = (await client.get("/search?q=sparkel", headers=HTML)).text
        assert "Sparkle theories" in typo

    async def test_users_and_tags(self, client: AsyncClient, rt: Runtime, owner) -> None:  # type: ignore[no-untyped-def]
        await create_post(rt, owner.user, tags=["owner-fans"])
        users = (await client.get("/search?q=owner_user&type=users", headers=HTML)).text
        assert 'href="/u/owner_user"' in users
        tags = (await client.get("/search?q=owner-fans&type=tags", headers=HTML)).text
        assert 'href="/t/owner-fans"' in tags

    async def test_empty_and_too_long_queries(self, client: AsyncClient) -> None:
        assert (await client.get("/search", headers=HTML)).status_code == 200
        response = await client.get("/search?q=" + "x" * 300, headers=HTML)
        assert response.status_code == 400 and 'id="f-q-error"' in response.text


class TestCsrf:
    async def test_every_page_post_needs_the_token(
        self, client: AsyncClient, rt: Runtime, owner, other
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(rt, owner.user)
        await signed_in(client, other)
        await csrf_token(client)  # the cookie is set; only the matching form field is missing
        paths = [
            "/write",
            f"/p/{post.slug}/edit",
            f"/posts/{post.id}/view",
            f"/posts/{post.id}/reactions/LIKE",
            f"/posts/{post.id}/comments",
            f"/comments/{post.id}/edit",
            f"/comments/{post.id}/delete",
            f"/comments/{post.id}/reactions/LIKE",
            f"/p/{post.slug}/delete",
        ]
        for path in paths:
            response = await client.post(path, data={"content": "x", "title": "x"}, headers=HTML)
            assert response.status_code == 403, path
        assert await post_count(rt) == 1


class TestHostileInput:
    @pytest.mark.parametrize("payload", XSS)
    async def test_payloads_stay_inert(
        self, client: AsyncClient, rt: Runtime, owner, other, payload: str
    ) -> None:  # type: ignore[no-untyped-def]
        post = await create_post(
            rt,
            owner.user,
            title=f"Title {payload}",
            body=f"Body {payload}",
            excerpt=f"Excerpt {payload}",
            tags=[f"tag {payload}"],
        )
        await signed_in(client, other)
        token = await csrf_token(client, f"/p/{post.slug}")
        await post_form(client, f"/posts/{post.id}/comments", {"content": payload}, token=token)
        pages = [
            f"/p/{post.slug}",
            "/feed",
            "/search?q=" + payload,
            "/search?q=Title",
        ]
        for path in pages:
            response = await client.get(path, headers=HTML)
            assert response.status_code in (200, 400), path
            assert active_content(response.text) == [], (path, active_content(response.text))
        page = (await client.get(f"/p/{post.slug}", headers=HTML)).text
        assert str(escape(f"Title {payload}")) in page
