"""Glyph coverage: which characters the shipped fonts can draw, and B201 for those they cannot.

Fonts: DejaVu Sans Condensed (shipped in `fonts/`, four faces) for text, Typst's embedded DejaVu
Sans Mono for code; system fonts are ignored, so every machine renders the same bytes. Before a
compile every character is checked against the cmap of the face it will be set in: a character
without a glyph is reported (B201, naming the source line) and dropped (emoji) or replaced by
U+FFFD, never rendered as a silent box.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen import spans as sp
from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc

if TYPE_CHECKING:
    from cardgen.writers.pdf.fallback import Fallback

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FACES = {
    (False, False): "DejaVuSansCondensed.ttf",
    (True, False): "DejaVuSansCondensed-Bold.ttf",
    (False, True): "DejaVuSansCondensed-Oblique.ttf",
    (True, True): "DejaVuSansCondensed-BoldOblique.ttf",
}

# Invisible format characters that only make sense next to what we may drop (emoji joiners and
# presentation selectors, tag characters): removed silently.
_INVISIBLE = re.compile("[\u200d\ufe0e\ufe0f\U000e0020-\U000e007f]")
REPLACEMENT = "\ufffd"
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F1E6, 0x1F1FF))


def _cmap_offset(data: bytes, start: int = 0) -> int | None:
    """Where the `cmap` table starts in a TrueType/OpenType font whose table directory starts
    at `start` (0, or a face's offset in a collection), or None."""
    num = struct.unpack_from(">H", data, start + 4)[0]
    base = None
    for i in range(num):
        tag, _sum, off, _len = struct.unpack_from(">4sIII", data, start + 12 + 16 * i)
        if tag == b"cmap":
            base = off
    return base


def _format12(data: bytes, off: int) -> frozenset[int]:
    out: set[int] = set()
    for g in range(struct.unpack_from(">I", data, off + 12)[0]):
        start, end, _gid = struct.unpack_from(">III", data, off + 16 + 12 * g)
        out.update(range(start, end + 1))
    return frozenset(out)


def _format4(data: bytes, off: int) -> frozenset[int]:
    out: set[int] = set()
    segx2 = struct.unpack_from(">H", data, off + 6)[0]
    seg = segx2 // 2
    ends = struct.unpack_from(f">{seg}H", data, off + 14)
    starts = struct.unpack_from(f">{seg}H", data, off + 16 + segx2)
    deltas = struct.unpack_from(f">{seg}h", data, off + 16 + 2 * segx2)
    ro_base = off + 16 + 3 * segx2
    ranges = struct.unpack_from(f">{seg}H", data, ro_base)
    for k in range(seg):
        for c in range(starts[k], ends[k] + 1):
            if c == 0xFFFF:
                continue
            if ranges[k] == 0:
                gid = (c + deltas[k]) & 0xFFFF
            else:
                addr = ro_base + 2 * k + ranges[k] + 2 * (c - starts[k])
                gid = struct.unpack_from(">H", data, addr)[0]
                gid = (gid + deltas[k]) & 0xFFFF if gid else 0
            if gid:
                out.add(c)
    return frozenset(out)


def _cmap_chars(data: bytes) -> frozenset[int]:
    return cmap_chars_at(data, 0)


def cmap_chars_at(data: bytes, start: int) -> frozenset[int]:
    """Code points mapped to a glyph by a TrueType/OpenType font's cmap (format 12 or 4); the
    font's table directory starts at `start`."""
    base = _cmap_offset(data, start)
    if base is None:
        return frozenset()
    best: tuple[int, int] | None = None
    for i in range(struct.unpack_from(">H", data, base + 2)[0]):
        pid, eid, off = struct.unpack_from(">HHI", data, base + 4 + 8 * i)
        fmt = struct.unpack_from(">H", data, base + off)[0]
        if fmt == 12 and (pid, eid) in ((3, 10), (0, 4), (0, 6)):
            best = (12, base + off)
        elif fmt == 4 and (pid, eid) in ((3, 1), (0, 3)) and best is None:
            best = (4, base + off)
    if best is None:
        return frozenset()
    fmt, off = best
    return _format12(data, off) if fmt == 12 else _format4(data, off)


@lru_cache(maxsize=1)
def coverage() -> dict[tuple[bool, bool], frozenset[int]]:
    """Per (bold, italic) face: the code points it has glyphs for."""
    return {face: _cmap_chars((FONT_DIR / name).read_bytes()) for face, name in FACES.items()}


def is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


class Glyphs:
    """Checks text against the font faces and records what had to go, per source location.
    `fallback`: the fonts searched when the bundled ones lack a character (`fallback.Fallback`:
    the `--font` files and the system's); emoji are never looked up there."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        self.cover = coverage()
        self.fallback = fallback
        self.missing: dict[Loc, dict[str, None]] = {}

    def clean(self, text: str, loc: Loc, bold: bool = False, italic: bool = False) -> str:
        """`text` with every character the face cannot draw dropped (emoji) or replaced by
        U+FFFD; control characters become spaces; each loss is recorded against `loc`."""
        text = _INVISIBLE.sub("", text)
        if text.isascii() and text.isprintable():
            return text
        have = self.cover[(bold, italic)]
        out: list[str] = []
        dropped = False
        for ch in text:
            category = unicodedata.category(ch)
            if category == "Cc":
                out.append(" ")
            elif ord(ch) in have or category in ("Zs", "Zl", "Zp", "Cf", "Mn"):
                out.append(ch)  # spaces, format and combining marks: Typst handles them
            elif not is_emoji(ch) and self.fallback and self.fallback.family_for(ch):
                out.append(ch)  # another font has it
            else:
                self.missing.setdefault(loc, {})[ch] = None
                if is_emoji(ch):
                    dropped = True
                else:
                    out.append(REPLACEMENT if ord(REPLACEMENT) in have else "?")
        result = "".join(out)
        if dropped:  # "a 🚀 b" -> "a b", not "a  b"
            result = re.sub(r"(?<=\S) {2,}(?=\S)", " ", result)
        return result

    def spans(self, items: list[sp.Span], loc: Loc) -> list[sp.Span]:
        for s in items:
            if "t" in s:
                s["t"] = self.clean(s["t"], loc, bool(s.get("b")), bool(s.get("i")))
        return [s for s in items if "t" not in s or s["t"]]

    def diagnostics(self, source: str) -> list[Diagnostic]:
        """One B201 warning per source line, pointing at the first character that had to go.
        A fact's location is its first line; `source` (the text the document was parsed from)
        gives the exact line and column, e.g. inside a multi-line note."""
        lines = source.splitlines()
        by_line: dict[tuple[str, int], dict[str, int]] = {}  # (path, line) -> char -> column
        for fact_loc, chars in self.missing.items():
            for ch in chars:
                loc = _locate(fact_loc, ch, lines)
                by_line.setdefault((loc.path, loc.line), {}).setdefault(ch, loc.col)
        out = []
        for (path, line), found in sorted(by_line.items()):
            ordered = sorted(found, key=lambda c: found[c])
            loc = Loc(path, line, found[ordered[0]])
            names = ", ".join(f"{_show(ch)} (U+{ord(ch):04X} {_name(ch)})" for ch in ordered)
            emoji = [c for c in ordered if is_emoji(c)]
            if len(emoji) == len(ordered):
                what = "dropped from the PDF"
            elif not emoji:
                what = f"shown as {REPLACEMENT} in the PDF"
            else:
                what = f"emoji dropped, the others shown as {REPLACEMENT} in the PDF"
            out.append(diag(loc, "B201", f"no font has a glyph for {names}: {what}"))
        return out


def _locate(fact: Loc, ch: str, lines: list[str]) -> Loc:
    """Where `ch` first occurs in the source at or after the fact's line (the fact's own
    location when the source no longer holds it). Columns count characters."""
    for n in range(max(fact.line - 1, 0), len(lines)):
        col = lines[n].find(ch)
        if col >= 0:
            return Loc(fact.path, n + 1, col + 1)
    return Loc(fact.path, fact.line, 1)


def _show(ch: str) -> str:
    return repr(ch) if ch.isprintable() else f"'\\u{ord(ch):04x}'"


def _name(ch: str) -> str:
    return unicodedata.name(ch, "unnamed")
