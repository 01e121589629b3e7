"""HTML safety on nh3 (ammonia): the allow-list for rendered rich content, plain-text escaping
and URL checks shared by every domain that turns user input into markup."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import nh3

RICH_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "code",
        "hr",
        "br",
        "img",
        "strong",
        "em",
        "s",
        "mark",
        "a",
    }
)
LINK_REL = "noopener noreferrer nofollow ugc"
LANGUAGE_RE = re.compile(r"^[a-z0-9+#-]{1,30}$")
# Anything a browser might strip or fold before parsing a URL ("java\tscript:") is refused.
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
# Once decoded, a space is just a space; control characters and backslashes are not.
_DECODED_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")

escape = html.escape


def is_safe_link(url: str) -> bool:
    """An absolute http(s) or mailto URL with nothing a browser could reinterpret."""
    if not url or len(url) > 2048 or _UNSAFE_URL_CHARS.search(url):
        return False
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return len(parts.path) > 0
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _fully_unquoted(url: str) -> str | None:
    """`url` percent-decoded until nothing changes (double encoding included); None when it
    keeps changing, which no honest URL does."""
    for _ in range(4):
        decoded = unquote(url)
        if decoded == url:
            return decoded
        url = decoded
    return None


def is_safe_image(url: str, media_origin: str) -> bool:
    """An image we serve (`/media/...`, or under our own origin) or any https image. Checked
    on the decoded form too: `/media/%2e%2e/...` is a dot segment once a server decodes it."""
    if not url or len(url) > 2048 or _UNSAFE_URL_CHARS.search(url):
        return False
    decoded = _fully_unquoted(url)
    if decoded is None or _DECODED_UNSAFE.search(decoded) or ".." in decoded:
        return False
    if url.startswith(("/media/", media_origin.rstrip("/") + "/media/")):
        # Our media keys never need percent-encoding; anything encoded is not one of ours.
        return "%" not in url
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc)


@lru_cache(maxsize=8)
def _rich_cleaner(media_origin: str) -> nh3.Cleaner:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return value if is_safe_image(value, media_origin) else None
        if tag == "a" and attr == "href":
            return value if is_safe_link(value) else None
        if tag == "code" and attr == "class":
            lang = value.removeprefix("language-")
            return value if value.startswith("language-") and LANGUAGE_RE.match(lang) else None
        if tag == "ol" and attr == "start":
            return value if value.isdigit() and len(value) <= 9 else None
        if tag == "ol" and attr == "type":
            return value if value in ("1", "a", "A", "i", "I") else None
        return value

    return nh3.Cleaner(
        tags=set(RICH_TAGS),
        clean_content_tags={"script", "style"},
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt", "title"},
            "code": {"class"},
            "ol": {"start", "type"},
        },
        tag_attribute_values={"a": {"target": {"_blank"}}, "img": {"loading": {"lazy"}}},
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


def clean_rich(markup: str, *, media_origin: str) -> str:
    """Sanitise rendered rich content against the same allow-list the renderer produces."""
    return _rich_cleaner(media_origin).clean(markup)


def strip_tags(markup: str) -> str:
    """Plain text of a fragment: every tag removed, entities kept escaped."""
    return nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"})
