"""Neutral text helpers shared by every stage: slugs, one-line folding, quoting in messages,
inline Markdown reduced to the words a reader sees (`plain`).

All are linear in the length of their input: no backtracking regexes on whitespace runs (a long
run of spaces in a cell once took quadratic time).
"""

from __future__ import annotations

import re
import unicodedata
import zlib

MAX_QUOTE = 60  # characters of source text quoted in a diagnostic message


def slugify(text: str) -> str:
    """ASCII slug: `Core Purpose` -> `core-purpose`; non-Latin text falls back to a short hash."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug and text.strip():
        slug = f"h{zlib.crc32(text.strip().encode('utf-8')):08x}"
    return slug


def one_line(text: str) -> str:
    """Trim and fold soft line breaks (and the blanks around them) into single spaces."""
    if "\n" not in text:
        return text.strip()
    return " ".join(part for part in (p.strip() for p in text.split("\n")) if part)


def quote(text: str, limit: int = MAX_QUOTE) -> str:
    """`text` quoted for a diagnostic message, shortened to about `limit` characters."""
    text = one_line(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def plain_label(text: str) -> str:
    """A header cell reduced for comparison: no emphasis markers, lower case, no trailing colon."""
    return text.strip().strip("*_").strip().rstrip(":").strip().lower()


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MARKERS = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)")
_NEEDS_PLAIN = re.compile(r"[*_`\[<\n\t]|  ")


def plain(text: str) -> str:
    """Markdown inline text reduced to what a reader sees: no emphasis, code or link syntax."""
    if not _NEEDS_PLAIN.search(text):
        return text.strip()
    text = _LINK.sub(r"\1", text)
    text = _BR.sub(", ", text)
    text = _MARKERS.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


_SENTENCE_END = re.compile(r"[.!?]+['\"’”)\]]*\s+")


def sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of `text`; a sentence ends at `.`, `!` or `?` (closing
    quotes and brackets included) followed by white space."""
    bounds = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds
