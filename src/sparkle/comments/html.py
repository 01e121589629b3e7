"""Plain-text comments rendered to safe HTML: escaped text, paragraphs, autolinked URLs and
@mentions, sanitised again with nh3 as defence in depth."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3

# A URL ends before whitespace or characters that cannot appear unescaped in one; trailing
# sentence punctuation is trimmed afterwards. Mentions as sparkle.posts.mentions reads them.
TOKEN_RE = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"'`]+)|(?<![\w@])@(?P<mention>[A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
URL_RE = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?*"
LINK_REL = "nofollow ugc noopener noreferrer"


def without_links(text: str) -> str:
    """The text with its URLs blanked out, so `https://youtube.com/@name` mentions nobody."""
    return URL_RE.sub(" ", text)


def _trim_url(url: str) -> str:
    while url and (url[-1] in TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in TOKEN_RE.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        if m.group("url"):
            url = _trim_url(m.group("url"))
            out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
            out.append(html.escape(m.group("url")[len(url) :]))
        else:
            name = m.group("mention")
            out.append(f'<a href="/u/{name}" class="mention">@{name}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


@lru_cache(maxsize=4096)
def render(text: str) -> str:
    """HTML for a comment's plain text: blank lines split paragraphs, newlines become breaks."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    raw = "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
    return nh3.clean(
        raw,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        allowed_classes={"a": {"mention"}},
        link_rel=LINK_REL,
        url_schemes={"http", "https"},
    )
