"""Markdown texts -> the JSON spans a template draws, every character checked on the way.

`Content` turns a source's texts into spans (`cardgen.spans`), drops or replaces what the fonts
cannot draw (`glyphs.Glyphs`, which remembers it for B201) and turns the break opportunities
that `cardgen.spans` marked into something that never reaches the PDF's text (see below).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cardgen import spans as sp
from cardgen.model import Loc
from cardgen.writers.pdf.fallback import Fallback
from cardgen.writers.pdf.glyphs import Glyphs

# Break opportunities. `cardgen.spans` marks where a long word may break with zero-width spaces
# and soft hyphens; left in the text, Typst writes them into the PDF's text layer (and into the
# font's glyph-to-text map, so that pypdf reads "Ti\xadp" or "Faceb\u200book" even where no
# break was marked), and copying or searching the PDF fails. So they never reach the text: a span
# that has any gets `"z": 1` and its text is cut at every break (U+200B) by the template, which
# joins the pieces with an empty box, a break opportunity with no character. A soft hyphen
# becomes such a break too (no hyphen is drawn where a long word breaks: Typst's own hyphenation
# would map the real hyphens of the page to U+00AD as well). No break is left inside "::", "//"
# or "://" (`arn:aws:iam::123`, `s3://bucket` break after them, not between their characters).
_BREAK = "\u200b"
_MARKS = re.compile("[\u200b\u00ad]+")
_JOINED = re.compile("[:/](?:\u200b?[:/])+")  # a run of ':' and '/', maybe with breaks inside


def _unbroken(m: re.Match[str]) -> str:
    run = m.group(0)
    bare = run.replace(_BREAK, "")
    return bare if len(bare) <= 3 else run  # "::", ":::", "//", "://"; longer runs may break


def mark_breaks(items: list[sp.Span]) -> list[sp.Span]:
    """Spans with their break marks made template breaks (`"z": 1`, U+200B); in place."""
    for s in items:
        t = s.get("t")
        if not t or not _MARKS.search(t):
            continue
        t = _JOINED.sub(_unbroken, _MARKS.sub(_BREAK, t))
        if _BREAK in t:
            s["z"] = 1
        s["t"] = t
    return items


def keep_names(items: list[sp.Span], names: re.Pattern[str] | None) -> list[sp.Span]:
    """Spans with every occurrence of a name of several words (a subject's: "Identity Pools")
    in a span of its own marked `"k": 1`, which the template keeps on one line when it fits."""
    if names is None:
        return items
    out: list[sp.Span] = []
    for s in items:
        t = s.get("t")
        if not t or "k" in s or not names.search(t):
            out.append(s)
            continue
        for n, part in enumerate(names.split(t)):
            if part:
                out.append({**s, "t": part, **({"k": 1} if n % 2 else {})})
    return out


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """The names of several words, longest first, as whole words; None when there are none."""
    several = sorted({n.strip() for n in names if " " in n.strip()}, key=lambda n: (-len(n), n))
    if not several:
        return None
    return re.compile("(?<!\\w)(" + "|".join(map(re.escape, several)) + ")(?!\\w)")


class Content:
    """Builds the JSON for a template, checking every character on the way. `keep`: names
    (the subjects') that a line should not split (see `keep_names`)."""

    def __init__(self, keep: Iterable[str] = (), fallback: Fallback | None = None) -> None:
        self.glyphs = Glyphs(fallback)
        self.names = names_pattern(keep)

    def fallback_families(self) -> list[str]:
        """The font families chosen for characters the bundled fonts lack (in that order)."""
        fb = self.glyphs.fallback
        return list(fb.chosen) if fb else []

    def fallback_files(self) -> tuple[str, ...]:
        fb = self.glyphs.fallback
        return fb.files() if fb and fb.chosen else ()

    def _finish(self, items: list[sp.Span], loc: Loc) -> list[sp.Span]:
        return keep_names(mark_breaks(self.glyphs.spans(items, loc)), self.names)

    def inline(
        self, text: str, loc: Loc, *, bold: bool = False, italic: bool = False
    ) -> list[sp.Span]:
        return self._finish(sp.inline(text, bold=bold, italic=italic), loc)

    def cloze(self, text: str, loc: Loc, *, reveal: bool) -> list[sp.Span]:
        return self._finish(sp.cloze(text, reveal=reveal), loc)

    def blocks(self, text: str, loc: Loc) -> list[sp.Block]:
        out = []
        for block in sp.blocks(text):
            block["spans"] = self._finish(block["spans"], loc)
            out.append(block)
        return out

    def text(self, text: str, loc: Loc, *, bold: bool = False) -> str:
        return self.glyphs.clean(text, loc, bold=bold)
