"""Query text helpers: a websearch-style parser that builds safe FTS5 MATCH expressions,
pg_trgm-compatible trigram similarity (SQLite's typo tolerance is scored in Python), and
snippet markup that lets only `<mark>` through."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3

# What unicode61 and pg_trgm both treat as a word: letters and digits.
WORD_RE = re.compile(r"[^\W_]+")
# websearch syntax: -negation, "quoted phrases" (the closing quote is optional), bare words.
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
MAX_TERMS = 32
MAX_TRIGRAMS = 64

# Snippet highlight delimiters as the databases emit them: control characters never produced
# by HTML escaping, turned into <mark> after the text around them has been escaped.
MARK_START, MARK_END = "\x02", "\x03"


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    negated: bool = False
    phrase: bool = False


def parse(q: str) -> list[list[Term]]:
    """Groups of terms joined by OR; the terms of a group must all hold (websearch rules)."""
    groups: list[list[Term]] = [[]]
    count = 0
    for m in _TOKEN_RE.finditer(q):
        neg = bool(m.group(1) or m.group(3))
        if m.group(2) is not None:
            words, phrase = WORD_RE.findall(m.group(2).lower()), True
        elif m.group(4).lower() == "or" and not neg:
            if groups[-1]:
                groups.append([])
            continue
        elif neg:
            words, phrase = WORD_RE.findall(m.group(4).lower()), True
        else:
            # Like websearch_to_tsquery, "title:column" is two words that must both appear.
            for word in WORD_RE.findall(m.group(4).lower()):
                if count < MAX_TERMS:
                    groups[-1].append(Term((word,)))
                    count += 1
            continue
        if words and count < MAX_TERMS:
            groups[-1].append(Term(tuple(words), neg, phrase and len(words) > 1))
            count += 1
    return [g for g in groups if any(not t.negated for t in g)]


def fts5_match(q: str) -> str | None:
    """A MATCH expression in which every user word is a quoted string, so no user input is
    ever read as FTS5 syntax. The last plain word also matches as a prefix."""
    groups = parse(q)
    if not groups:
        return None
    last = groups[-1][-1]
    out = []
    for group in groups:
        pos = [
            _quoted(t, prefix=t is last and not t.phrase and not t.negated)
            for t in group
            if not t.negated
        ]
        neg = [_quoted(t) for t in group if t.negated]
        out.append("(" + " AND ".join(pos) + "".join(f" NOT {n}" for n in neg) + ")")
    return " OR ".join(out)


def _quoted(term: Term, *, prefix: bool = False) -> str:
    # Words hold only letters and digits, so they cannot close the quotes.
    return '"' + " ".join(term.words) + '"' + (" *" if prefix else "")


def words(q: str) -> list[str]:
    return WORD_RE.findall(q.lower())


def trigram_match(q: str) -> str | None:
    """An FTS5 `trigram` MATCH expression: any trigram of any query word (candidates for the
    similarity scoring below)."""
    grams: list[str] = []
    for word in words(q):
        for i in range(len(word) - 2):
            if word[i : i + 3] not in grams:
                grams.append(word[i : i + 3])
    return " OR ".join(f'"{g}"' for g in grams[:MAX_TRIGRAMS]) or None


def _trigram_list(text: str) -> list[str]:
    """pg_trgm's trigrams in order: each word lower-cased, padded with two spaces in front
    and one behind."""
    out: list[str] = []
    for word in words(text):
        padded = f"  {word} "
        out.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return out


def similarity(a: str, b: str) -> float:
    """pg_trgm `similarity`: shared trigrams over all trigrams of both strings."""
    ta, tb = set(_trigram_list(a)), set(_trigram_list(b))
    if not ta or not tb:
        return 0.0
    common = len(ta & tb)
    return common / (len(ta) + len(tb) - common)


def word_similarity(q: str, text: str) -> float:
    """pg_trgm `word_similarity`: the best `similarity` between `q` and any contiguous run of
    trigrams in `text` (a run worth considering starts and ends on a shared trigram)."""
    tq = set(_trigram_list(q))
    seq = _trigram_list(text)
    hits = [i for i, g in enumerate(seq) if g in tq]
    best = 0.0
    for n, start in enumerate(hits):
        seen: set[str] = set()
        upto = start
        for end in hits[n:]:
            seen.update(seq[upto : end + 1])
            upto = end + 1
            common = len(seen & tq)
            best = max(best, common / (len(tq) + len(seen) - common))
    return best


def mark_snippet(raw: str | None) -> str:
    """Escape a database snippet, then turn its delimiters into <mark> tags; nh3 then
    guarantees the result holds no markup but balanced <mark> elements."""
    if not raw:
        return ""
    escaped = html.escape(raw, quote=False)
    marked = escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return nh3.clean(marked, tags={"mark"}, attributes={}, strip_comments=True)


def lead_text(text: str | None, max_words: int = 30) -> str:
    """The opening words of `text`: the snippet of a result matched by similarity alone."""
    if not text:
        return ""
    parts = text.replace(MARK_START, " ").replace(MARK_END, " ").split()
    return " ".join(parts[:max_words]) + (" …" if len(parts) > max_words else "")


def like_prefix(q: str) -> str:
    """A LIKE pattern for `q%` with LIKE's wildcards escaped (escape character `\\`)."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
