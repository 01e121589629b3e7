"""Rich post content: a Tiptap/ProseMirror JSON document checked against an allow-list,
rendered to sanitised HTML, with its plain text, excerpt, reading time and mentionable text."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sparkle.core import html as safe_html
from sparkle.core.errors import FieldError, ValidationFailed

MAX_BYTES = 200 * 1024
MAX_DEPTH = 20
MAX_IMAGES = 100
MAX_ERRORS = 20
EXCERPT_CHARS = 280
WORDS_PER_MINUTE = 200

BLOCKS = frozenset(
    {
        "paragraph",
        "heading",
        "bulletList",
        "orderedList",
        "blockquote",
        "codeBlock",
        "horizontalRule",
        "image",
    }
)
INLINE = frozenset({"text", "hardBreak"})
CHILDREN: dict[str, frozenset[str]] = {
    "doc": BLOCKS,
    "paragraph": INLINE,
    "heading": INLINE,
    "bulletList": frozenset({"listItem"}),
    "orderedList": frozenset({"listItem"}),
    "listItem": BLOCKS,
    "blockquote": BLOCKS,
    "codeBlock": frozenset({"text"}),
    "horizontalRule": frozenset(),
    "hardBreak": frozenset(),
    "image": frozenset(),
    "text": frozenset(),
}
SIMPLE_TAGS = {
    "paragraph": "p",
    "bulletList": "ul",
    "listItem": "li",
    "blockquote": "blockquote",
}
MARK_TAGS = {"bold": "strong", "italic": "em", "strike": "s", "code": "code", "highlight": "mark"}
TEXT_BLOCKS = frozenset({"paragraph", "heading", "codeBlock"})
LINK_TITLE_CHARS = 500
LIST_TYPES = frozenset({"1", "a", "A", "i", "I"})
LANGUAGE_NAME = re.compile(r"^[A-Za-z0-9+#._-]{1,50}$")

# An attribute check returns an error message, or None when the value is acceptable.
AttrCheck = Callable[[Any, str], str | None]


def _null_only(value: Any, _origin: str) -> str | None:
    # Attributes Tiptap always sends with a null default; anything else is not supported.
    return None if value is None else "Only null is supported"


def _optional_text(limit: int) -> AttrCheck:
    def check(value: Any, _origin: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit:
            return f"Must be text of at most {limit} characters"
        return None

    return check


def _int_between(low: int, high: int, *, optional: bool) -> AttrCheck:
    def check(value: Any, _origin: str) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"Must be an integer from {low} to {high}"
        return None

    return check


def _language(value: Any, _origin: str) -> str | None:
    # The editor reads the name from a pasted `language-*` class ("Python", "objective-c"); a
    # name outside the rendered pattern is kept in the document and left off the HTML.
    if value is None or (isinstance(value, str) and LANGUAGE_NAME.match(value)):
        return None
    return "Must be a short language name (letters, digits, +, #, ., _, -)"


def _list_type(value: Any, _origin: str) -> str | None:
    if value is None or value in LIST_TYPES:
        return None
    return "Must be one of 1, a, A, i, I"


def _size(value: Any, _origin: str) -> str | None:
    # Pasted images keep their width and height ("640", 640, "100%"); the page sizes images
    # itself, so they are checked for shape only and not rendered.
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return None
    if isinstance(value, str) and len(value) <= 20:
        return None
    return "Must be a size (a number, or text of at most 20 characters)"


def _image_src(value: Any, origin: str) -> str | None:
    if isinstance(value, str) and safe_html.is_safe_image(value, origin):
        return None
    return "Must be an https URL or one of our media URLs"


def _href(value: Any, _origin: str) -> str | None:
    if isinstance(value, str) and safe_html.is_safe_link(value):
        return None
    return "Must be an http, https or mailto URL"


NODE_ATTRS: dict[str, dict[str, AttrCheck]] = {
    "heading": {"level": _int_between(1, 3, optional=False)},
    "orderedList": {"start": _int_between(0, 1_000_000, optional=True), "type": _list_type},
    "codeBlock": {"language": _language},
    "image": {
        "src": _image_src,
        "alt": _optional_text(500),
        "title": _optional_text(500),
        "width": _size,
        "height": _size,
    },
}
REQUIRED_ATTRS = {"heading": ("level",), "image": ("src",)}
# The Link mark's attributes as the editor writes them (`title`, `class`, `target` and `rel`
# are null or its defaults unless pasted HTML carried them). The rendered link always opens in
# a new tab with our own `rel`, and carries no class, whatever the document says.
MARK_ATTRS: dict[str, dict[str, AttrCheck]] = {
    "link": {
        "href": _href,
        "title": _optional_text(LINK_TITLE_CHARS),
        "target": _optional_text(100),
        "rel": _optional_text(500),
        "class": _optional_text(1000),
    },
    "highlight": {"color": _null_only},
}
REQUIRED_MARK_ATTRS = {"link": ("href",)}


@dataclass
class Document:
    """A validated document and what is derived from it."""

    html: str
    text: str
    mention_text: str
    images: int

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def reading_time(self) -> int:
        return max(1, math.ceil(self.words / WORDS_PER_MINUTE))

    @property
    def excerpt(self) -> str:
        return make_excerpt(self.text)


def make_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text`, cut on a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1].rsplit(" ", 1)[0] if " " in flat[: limit + 1] else flat[:limit]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass
class _Walker:
    media_origin: str
    errors: list[FieldError] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    mention_text: list[str] = field(default_factory=list)
    images: int = 0

    def fail(self, path: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(path, message))

    def node(
        self, node: Any, path: str, depth: int, allowed: frozenset[str], in_code: bool = False
    ) -> str:
        if not isinstance(node, dict):
            self.fail(path, "Must be an object")
            return ""
        kind = node.get("type")
        if not isinstance(kind, str) or kind not in CHILDREN:
            self.fail(
                f"{path}.type",
                f"Unknown node type {kind!r}" if isinstance(kind, str) else "Required",
            )
            return ""
        if kind not in allowed:
            self.fail(f"{path}.type", f"'{kind}' is not allowed here")
            return ""
        if depth > MAX_DEPTH:
            self.fail(path, f"The document is nested too deeply (at most {MAX_DEPTH} levels)")
            return ""
        keys = (
            {"type", "text", "marks"} if kind == "text" else {"type", "attrs", "content", "marks"}
        )
        for key in node.keys() - keys:
            self.fail(f"{path}.{key}", "Unknown field")
        attrs = self.attrs(
            node.get("attrs"),
            f"{path}.attrs",
            NODE_ATTRS.get(kind, {}),
            REQUIRED_ATTRS.get(kind, ()),
        )
        if kind == "text":
            return self.text_node(node, path, in_code)
        if "marks" in node:
            if kind != "hardBreak":
                self.fail(f"{path}.marks", "Only text and line breaks carry marks")
            else:
                self.marks(node["marks"], f"{path}.marks")
        inner = self.children(node, kind, path, depth, in_code or kind == "codeBlock")
        return self.render(kind, attrs, inner)

    def children(
        self, node: dict[str, Any], kind: str, path: str, depth: int, in_code: bool
    ) -> str:
        content = node.get("content", [])
        if not isinstance(content, list):
            self.fail(f"{path}.content", "Must be a list")
            return ""
        if content and not CHILDREN[kind]:
            self.fail(f"{path}.content", f"'{kind}' has no content")
            return ""
        parts = [
            self.node(child, f"{path}.content[{i}]", depth + 1, CHILDREN[kind], in_code)
            for i, child in enumerate(content)
        ]
        if kind in TEXT_BLOCKS:
            self.text.append("\n")
            self.mention_text.append("\n")
        return "".join(parts)

    def attrs(
        self, attrs: Any, path: str, spec: dict[str, AttrCheck], required: tuple[str, ...]
    ) -> dict[str, Any]:
        if attrs is None:
            attrs = {}
        if not isinstance(attrs, dict):
            self.fail(path, "Must be an object")
            return {}
        for name, value in attrs.items():
            check = spec.get(name)
            if check is None:
                self.fail(f"{path}.{name}", "Unknown attribute")
            elif (message := check(value, self.media_origin)) is not None:
                self.fail(f"{path}.{name}", message)
        for name in required:
            if name not in attrs:
                self.fail(f"{path}.{name}", "Required")
        return attrs

    def marks(self, marks: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(marks, list):
            self.fail(path, "Must be a list")
            return []
        out: list[tuple[str, dict[str, Any]]] = []
        seen: set[str] = set()
        for i, mark in enumerate(marks):
            mpath = f"{path}[{i}]"
            if not isinstance(mark, dict):
                self.fail(mpath, "Must be an object")
                continue
            kind = mark.get("type")
            if kind not in MARK_TAGS and kind != "link":
                self.fail(f"{mpath}.type", f"Unknown mark {kind!r}")
                continue
            for key in mark.keys() - {"type", "attrs"}:
                self.fail(f"{mpath}.{key}", "Unknown field")
            attrs = self.attrs(
                mark.get("attrs"),
                f"{mpath}.attrs",
                MARK_ATTRS.get(kind, {}),
                REQUIRED_MARK_ATTRS.get(kind, ()),
            )
            if kind not in seen:
                seen.add(kind)
                out.append((kind, attrs))
        return out

    def text_node(self, node: dict[str, Any], path: str, in_code: bool) -> str:
        text = node.get("text")
        if not isinstance(text, str) or not text:
            self.fail(f"{path}.text", "Must be non-empty text")
            return ""
        marks = self.marks(node.get("marks", []), f"{path}.marks")
        if in_code and marks:
            self.fail(f"{path}.marks", "Text in a code block carries no marks")
        self.text.append(text)
        code = in_code or any(kind == "code" for kind, _ in marks)
        self.mention_text.append(" " if code else text)
        out = safe_html.escape(text)
        for kind, attrs in reversed(marks):
            if kind == "link":
                href = safe_html.escape(str(attrs.get("href", "")))
                title = attrs.get("title")
                titled = f' title="{safe_html.escape(title)}"' if isinstance(title, str) else ""
                rel = safe_html.LINK_REL
                out = f'<a href="{href}"{titled} target="_blank" rel="{rel}">{out}</a>'
            else:
                tag = MARK_TAGS[kind]
                out = f"<{tag}>{out}</{tag}>"
        return out

    def render(self, kind: str, attrs: dict[str, Any], inner: str) -> str:
        if kind == "doc":
            return inner
        if kind in SIMPLE_TAGS:
            tag = SIMPLE_TAGS[kind]
            return f"<{tag}>{inner}</{tag}>"
        if kind == "heading":
            level = attrs.get("level") if attrs.get("level") in (1, 2, 3) else 1
            return f"<h{level}>{inner}</h{level}>"
        if kind == "orderedList":
            start = attrs.get("start")
            numbered = f' start="{start}"' if isinstance(start, int) and start != 1 else ""
            style = attrs.get("type")
            styled = f' type="{style}"' if style in LIST_TYPES and style != "1" else ""
            return f"<ol{numbered}{styled}>{inner}</ol>"
        if kind == "codeBlock":
            language = attrs.get("language")
            lang = language.lower() if isinstance(language, str) else ""
            named = safe_html.LANGUAGE_RE.match(lang)
            cls = f' class="language-{safe_html.escape(lang)}"' if named else ""
            return f"<pre><code{cls}>{inner}</code></pre>"
        if kind == "horizontalRule":
            return "<hr>"
        if kind == "hardBreak":
            self.text.append("\n")
            self.mention_text.append("\n")
            return "<br>"
        return self.image(attrs)

    def image(self, attrs: dict[str, Any]) -> str:
        self.images += 1
        parts = [f'src="{safe_html.escape(str(attrs.get("src", "")))}"']
        for name in ("alt", "title"):
            if isinstance(attrs.get(name), str):
                parts.append(f'{name}="{safe_html.escape(attrs[name])}"')
        return f'<img {" ".join(parts)} loading="lazy">'


def parse(doc: Any, *, media_origin: str, field_name: str = "content") -> Document:
    """Validate `doc` and derive its HTML and text; a bad document is a 400 naming the path."""
    try:
        size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    except RecursionError:
        size = 0  # far too deep to serialise: the walk below names the level that is too deep
    if size > MAX_BYTES:
        raise ValidationFailed(
            fields=[FieldError(field_name, f"The document is larger than {MAX_BYTES // 1024} KB")]
        )
    walker = _Walker(media_origin=media_origin)
    markup = walker.node(doc, field_name, 1, frozenset({"doc"}))
    if walker.images > MAX_IMAGES:
        walker.fail(field_name, f"At most {MAX_IMAGES} images")
    if walker.errors:
        raise ValidationFailed("The document is not valid", fields=walker.errors)
    return Document(
        html=safe_html.clean_rich(markup, media_origin=media_origin),
        text="".join(walker.text).strip(),
        mention_text="".join(walker.mention_text),
        images=walker.images,
    )
