"""The document allow-list, its HTML rendering and what is derived from it (no database)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from sparkle.core.errors import ValidationFailed
from sparkle.posts import content
from sparkle.posts.mentions import extract
from tests.factories.posts import doc, paragraph, text

ORIGIN = "http://testserver"


def parse(document: Any) -> content.Document:
    return content.parse(document, media_origin=ORIGIN)


def error_paths(document: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        parse(document)
    return [f.field for f in info.value.fields]


def link(href: Any, **attrs: Any) -> dict[str, Any]:
    return {"type": "link", "attrs": {"href": href, **attrs}}


def image(src: Any, **attrs: Any) -> dict[str, Any]:
    return {"type": "image", "attrs": {"src": src, **attrs}}


class ActiveContent(HTMLParser):
    """Collects whatever a browser would run: script-ish elements, handlers, dangerous URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "svg",
            "math",
            "form",
            "base",
            "meta",
        }:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.found.append(f"{tag}[{name}]")
            lowered = (value or "").strip().lower()
            if name in {"href", "src"} and not lowered.startswith(
                ("https://", "http://", "mailto:", "/media/")
            ):
                self.found.append(f"{tag}[{name}={value}]")


def active_content(markup: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(markup)
    return parser.found


GOOD = [
    pytest.param(doc(), "", id="empty"),
    pytest.param(doc("Hello"), "<p>Hello</p>", id="paragraph"),
    pytest.param(
        doc(
            paragraph(
                text("b", {"type": "bold"}),
                text("i", {"type": "italic"}),
                text("s", {"type": "strike"}),
            )
        ),
        "<p><strong>b</strong><em>i</em><s>s</s></p>",
        id="marks",
    ),
    pytest.param(
        doc(
            paragraph(text("x", {"type": "bold"}, {"type": "highlight", "attrs": {"color": None}}))
        ),
        "<p><strong><mark>x</mark></strong></p>",
        id="nested-marks",
    ),
    pytest.param(
        doc({"type": "heading", "attrs": {"level": 2}, "content": [text("Title")]}),
        "<h2>Title</h2>",
        id="heading",
    ),
    pytest.param(
        doc(
            {
                "type": "orderedList",
                "attrs": {"start": 3, "type": None},
                "content": [{"type": "listItem", "content": [paragraph("one")]}],
            }
        ),
        '<ol start="3"><li><p>one</p></li></ol>',
        id="ordered-list",
    ),
    pytest.param(
        doc(
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            paragraph("a"),
                            {
                                "type": "bulletList",
                                "content": [{"type": "listItem", "content": [paragraph("b")]}],
                            },
                        ],
                    }
                ],
            }
        ),
        "<ul><li><p>a</p><ul><li><p>b</p></li></ul></li></ul>",
        id="nested-lists",
    ),
    pytest.param(
        doc({"type": "codeBlock", "attrs": {"language": "c++"}, "content": [text("a < b && c")]}),
        '<pre><code class="language-c++">a &lt; b &amp;&amp; c</code></pre>',
        id="code-block",
    ),
    pytest.param(
        doc({"type": "codeBlock", "attrs": {"language": None}, "content": [text("x")]}),
        "<pre><code>x</code></pre>",
        id="code-block-no-language",
    ),
    pytest.param(
        doc({"type": "blockquote", "content": [paragraph("q")]}, {"type": "horizontalRule"}),
        "<blockquote><p>q</p></blockquote><hr>",
        id="quote-and-rule",
    ),
    pytest.param(
        doc(paragraph(text("a"), {"type": "hardBreak", "marks": [{"type": "bold"}]}, text("b"))),
        "<p>a<br>b</p>",
        id="hard-break",
    ),
    pytest.param(
        doc(image("/media/u/1.png", alt="A cat", title=None)),
        '<img src="/media/u/1.png" alt="A cat" loading="lazy">',
        id="image-media",
    ),
    pytest.param(
        doc(image("http://testserver/media/u/1.png")),
        '<img src="http://testserver/media/u/1.png" loading="lazy">',
        id="image-own-origin",
    ),
    pytest.param(
        doc(image("https://cdn.example.com/a.jpg", alt='say "hi" <b>')),
        '<img src="https://cdn.example.com/a.jpg" alt="say &quot;hi&quot; &lt;b&gt;" '
        'loading="lazy">',
        id="image-https",
    ),
    pytest.param(
        doc(
            paragraph(
                text(
                    "site",
                    link(
                        "https://example.com/?a=1&b=2", target="_self", rel="x", **{"class": None}
                    ),
                )
            )
        ),
        '<p><a href="https://example.com/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer nofollow ugc">site</a></p>',
        id="link-forced-rel-target",
    ),
    pytest.param(
        doc(paragraph(text("mail", link("mailto:luna@example.com")))),
        '<p><a href="mailto:luna@example.com" target="_blank" '
        'rel="noopener noreferrer nofollow ugc">mail</a></p>',
        id="mailto",
    ),
]


@pytest.mark.parametrize(("document", "html"), GOOD)
def test_valid_documents_render(document: dict[str, Any], html: str) -> None:
    assert parse(document).html == html


def deep_quotes(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = paragraph("deep")
    for _ in range(levels):
        node = {"type": "blockquote", "content": [node]}
    return doc(node)


BAD = [
    pytest.param([], ["content"], id="not-an-object"),
    pytest.param({"type": "paragraph"}, ["content.type"], id="root-not-doc"),
    pytest.param({"content": []}, ["content.type"], id="no-type"),
    pytest.param(doc({"type": "iframe"}), ["content.content[0].type"], id="unknown-node"),
    pytest.param(doc(text("loose")), ["content.content[0].type"], id="text-at-top"),
    pytest.param(
        doc(paragraph(paragraph("x"))),
        ["content.content[0].content[0].type"],
        id="paragraph-in-paragraph",
    ),
    pytest.param(
        doc({"type": "heading", "attrs": {"level": 4}, "content": [text("h")]}),
        ["content.content[0].attrs.level"],
        id="heading-4",
    ),
    pytest.param(
        doc({"type": "heading", "content": [text("h")]}),
        ["content.content[0].attrs.level"],
        id="heading-no-level",
    ),
    pytest.param(
        doc({"type": "paragraph", "attrs": {"onclick": "alert(1)"}, "content": [text("x")]}),
        ["content.content[0].attrs.onclick"],
        id="unknown-attr",
    ),
    pytest.param(
        doc({"type": "paragraph", "html": "<script>", "content": []}),
        ["content.content[0].html"],
        id="unknown-field",
    ),
    pytest.param(doc(paragraph(text(""))), ["content.content[0].content[0].text"], id="empty-text"),
    pytest.param(
        doc(paragraph(text("x", {"type": "underline"}))),
        ["content.content[0].content[0].marks[0].type"],
        id="unknown-mark",
    ),
    pytest.param(
        doc("a", "b", "c", paragraph(text("x", {"type": "bold"}, link("javascript:alert(1)")))),
        ["content.content[3].content[0].marks[1].attrs.href"],
        id="javascript-link",
    ),
    pytest.param(
        doc(paragraph(text("x", link(" JaVaScRiPt:alert(1)")))),
        ["content.content[0].content[0].marks[0].attrs.href"],
        id="javascript-link-obfuscated",
    ),
    pytest.param(
        doc(paragraph(text("x", link("java\tscript:alert(1)")))),
        ["content.content[0].content[0].marks[0].attrs.href"],
        id="javascript-link-tab",
    ),
    pytest.param(
        doc(paragraph(text("x", link("data:text/html,<script>alert(1)</script>")))),
        ["content.content[0].content[0].marks[0].attrs.href"],
        id="data-link",
    ),
    pytest.param(
        doc(paragraph(text("x", {"type": "link", "attrs": {}}))),
        ["content.content[0].content[0].marks[0].attrs.href"],
        id="link-without-href",
    ),
    pytest.param(
        doc(paragraph(text("x", link("https://e.com", onmouseover="x")))),
        ["content.content[0].content[0].marks[0].attrs.onmouseover"],
        id="link-handler",
    ),
    pytest.param(
        doc(image("data:image/svg+xml;base64,PHN2Zz4=")),
        ["content.content[0].attrs.src"],
        id="data-image",
    ),
    pytest.param(
        doc(image("http://evil.example.com/a.png")),
        ["content.content[0].attrs.src"],
        id="http-image",
    ),
    pytest.param(
        doc(image("//evil.example.com/a.png")),
        ["content.content[0].attrs.src"],
        id="protocol-relative",
    ),
    pytest.param(
        doc(image("/media/../api/auth/logout")),
        ["content.content[0].attrs.src"],
        id="media-traversal",
    ),
    pytest.param(
        doc(image("javascript:alert(1)")), ["content.content[0].attrs.src"], id="javascript-image"
    ),
    pytest.param(
        doc(image("https://e.com/a.png", onerror="alert(1)")),
        ["content.content[0].attrs.onerror"],
        id="onerror",
    ),
    pytest.param(doc({"type": "image"}), ["content.content[0].attrs.src"], id="image-without-src"),
    pytest.param(
        doc({"type": "codeBlock", "attrs": {"language": 'js"><script>'}, "content": [text("x")]}),
        ["content.content[0].attrs.language"],
        id="bad-language",
    ),
    pytest.param(
        doc({"type": "codeBlock", "content": [text("x", {"type": "bold"})]}),
        ["content.content[0].content[0].marks"],
        id="marks-in-code-block",
    ),
    pytest.param(
        doc({"type": "orderedList", "attrs": {"start": "1"}, "content": []}),
        ["content.content[0].attrs.start"],
        id="start-not-int",
    ),
    pytest.param(
        doc({"type": "horizontalRule", "content": [paragraph("x")]}),
        ["content.content[0].content"],
        id="leaf-with-content",
    ),
    pytest.param(
        doc({"type": "paragraph", "content": "text"}),
        ["content.content[0].content"],
        id="content-not-list",
    ),
]


@pytest.mark.parametrize(("document", "paths"), BAD)
def test_invalid_documents_name_the_path(document: Any, paths: list[str]) -> None:
    assert error_paths(document) == paths


def test_every_error_is_reported() -> None:
    document = doc({"type": "iframe"}, paragraph(text("x", link("javascript:x"))))
    assert error_paths(document) == [
        "content.content[0].type",
        "content.content[1].content[0].marks[0].attrs.href",
    ]


class TestLimits:
    def test_depth_twenty_is_accepted(self) -> None:
        # doc, 17 quotes, a paragraph and its text: 20 levels.
        assert parse(deep_quotes(17)).text == "deep"

    def test_deeper_is_refused(self) -> None:
        assert error_paths(deep_quotes(18)) == ["content" + ".content[0]" * 20]

    def test_deeply_nested_json_is_refused_without_crashing(self) -> None:
        assert error_paths(deep_quotes(500)) == ["content.content[0]" + ".content[0]" * 19]

    def test_hundred_images(self) -> None:
        assert parse(doc(*[image(f"/media/{i}.png") for i in range(100)])).images == 100
        assert error_paths(doc(*[image(f"/media/{i}.png") for i in range(101)])) == ["content"]

    def test_size(self) -> None:
        body = "word " * 1000
        fits = doc(*[body] * 40)
        assert len(json.dumps(fits)) < content.MAX_BYTES
        parse(fits)
        assert error_paths(doc(*[body] * 41)) == ["content"]


XSS_TEXT = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '"><iframe src="javascript:alert(1)">',
    "<a href=javascript:alert(1)>x</a>",
    "</p><style>*{display:none}</style>",
    "<!--<script>-->",
]


@pytest.mark.parametrize("payload", XSS_TEXT)
def test_html_in_text_is_inert(payload: str) -> None:
    document = doc(
        paragraph(
            text(payload),
            text(payload, {"type": "bold"}, link("https://e.com/?q=" + payload.replace(" ", ""))),
        ),
        {"type": "codeBlock", "attrs": {"language": "html"}, "content": [text(payload)]},
        image("https://e.com/a.png", alt=payload, title=payload),
    )
    rendered = parse(document)
    assert active_content(rendered.html) == []
    assert "<script" not in rendered.html
    assert payload in rendered.text


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "jav&#x09;ascript:alert(1)",
        "\x01javascript:alert(1)",
        "file:///etc/passwd",
        "/relative",
        "https:",
    ],
)
def test_dangerous_links_are_refused(href: str) -> None:
    assert error_paths(doc(paragraph(text("x", link(href))))) == [
        "content.content[0].content[0].marks[0].attrs.href"
    ]


@pytest.mark.parametrize(
    "src",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "javascript:alert(1)",
        "http://example.com/a.png",
        "ftp://example.com/a.png",
        "/api/posts",
        "media/a.png",
    ],
)
def test_dangerous_images_are_refused(src: str) -> None:
    assert error_paths(doc(image(src))) == ["content.content[0].attrs.src"]


# The Link mark exactly as the editor's toolbar and autolink write it.
EDITOR_LINK = {
    "target": "_blank",
    "rel": "noopener noreferrer nofollow",
    "class": None,
    "title": None,
}


class TestEditorAttributes:
    """Attributes the editor writes (toolbar defaults, or carried in by pasted HTML) are
    accepted; their values are checked, and what a reader gets is decided here."""

    def test_toolbar_link_with_null_title(self) -> None:
        rendered = parse(doc(paragraph(text("site", link("https://e.com/", **EDITOR_LINK)))))
        assert rendered.html == (
            '<p><a href="https://e.com/" target="_blank" rel="noopener noreferrer nofollow ugc">'
            "site</a></p>"
        )

    def test_pasted_link_keeps_its_title_and_loses_target_rel_and_class(self) -> None:
        mark = link(
            "https://e.com/",
            title='The "best" <page>',
            target="_self",
            rel="me opener",
            **{"class": "external text-blue-600 hover:underline"},
        )
        assert parse(doc(paragraph(text("site", mark)))).html == (
            '<p><a href="https://e.com/" title="The &quot;best&quot; &lt;page&gt;" '
            'target="_blank" rel="noopener noreferrer nofollow ugc">site</a></p>'
        )

    def test_link_title_length(self) -> None:
        parse(doc(paragraph(text("x", link("https://e.com", title="t" * 500)))))
        path = "content.content[0].content[0].marks[0].attrs.title"
        assert error_paths(doc(paragraph(text("x", link("https://e.com", title="t" * 501))))) == [
            path
        ]
        assert error_paths(doc(paragraph(text("x", link("https://e.com", title=7))))) == [path]

    @pytest.mark.parametrize("name", ["target", "rel", "class"])
    def test_link_presentation_attributes_must_be_text(self, name: str) -> None:
        assert error_paths(doc(paragraph(text("x", link("https://e.com", **{name: ["x"]}))))) == [
            f"content.content[0].content[0].marks[0].attrs.{name}"
        ]

    def test_ordered_list_type(self) -> None:
        def numbered(kind: Any) -> dict[str, Any]:
            item = {"type": "listItem", "content": [paragraph("one")]}
            return doc(
                {"type": "orderedList", "attrs": {"start": 3, "type": kind}, "content": [item]}
            )

        assert parse(numbered("a")).html == '<ol start="3" type="a"><li><p>one</p></li></ol>'
        assert parse(numbered("1")).html == '<ol start="3"><li><p>one</p></li></ol>'
        assert error_paths(numbered("disc")) == ["content.content[0].attrs.type"]

    def test_pasted_code_language(self) -> None:
        def code(language: Any) -> dict[str, Any]:
            return doc(
                {"type": "codeBlock", "attrs": {"language": language}, "content": [text("x")]}
            )

        assert parse(code("Python")).html == '<pre><code class="language-python">x</code></pre>'
        assert parse(code("objective.c")).html == "<pre><code>x</code></pre>"
        assert error_paths(code("a b")) == ["content.content[0].attrs.language"]
        assert error_paths(code("x" * 51)) == ["content.content[0].attrs.language"]

    def test_pasted_image_size_is_accepted_and_not_rendered(self) -> None:
        sized = image("https://e.com/a.png", width="640", height=360)
        assert parse(doc(sized)).html == '<img src="https://e.com/a.png" loading="lazy">'
        assert error_paths(doc(image("https://e.com/a.png", width=True, height={}))) == [
            "content.content[0].attrs.width",
            "content.content[0].attrs.height",
        ]


class TestDerived:
    def test_text_keeps_block_boundaries(self) -> None:
        rendered = parse(
            doc(
                "First paragraph.",
                {"type": "heading", "attrs": {"level": 1}, "content": [text("Head")]},
            )
        )
        assert rendered.text == "First paragraph.\nHead"

    def test_excerpt_cuts_on_a_word(self) -> None:
        words = " ".join(f"word{i}" for i in range(100))
        excerpt = parse(doc(words)).excerpt
        assert len(excerpt) <= 281
        assert excerpt.endswith("…")
        assert excerpt[:-1] == words[: len(excerpt) - 1]
        assert words[len(excerpt) - 1] == " "  # the cut fell between two words

    def test_short_text_is_its_own_excerpt(self) -> None:
        assert parse(doc("Hello  there,", "friends")).excerpt == "Hello there, friends"

    @pytest.mark.parametrize(
        ("words", "minutes"), [(0, 1), (1, 1), (200, 1), (201, 2), (450, 3), (1000, 5)]
    )
    def test_reading_time(self, words: int, minutes: int) -> None:
        body = " ".join(["word"] * words)
        assert parse(doc(body) if words else doc()).reading_time == minutes

    def test_reading_time_counts_words_not_json(self) -> None:
        # Marks make the JSON long; the text is what is read.
        many_marks = paragraph(
            *[text(f"w{i} ", {"type": "bold"}, {"type": "italic"}) for i in range(150)]
        )
        assert parse(doc(many_marks)).reading_time == 1

    def test_mentions_outside_code_only(self) -> None:
        rendered = parse(
            doc(
                paragraph(text("Hi @Luna and @star_fan! "), text("@incode", {"type": "code"})),
                {"type": "codeBlock", "content": [text("@inblock")]},
                "mail me at someone@example.com or @@double, @ab too short",
            )
        )
        assert extract(rendered.mention_text) == ["luna", "star_fan"]
