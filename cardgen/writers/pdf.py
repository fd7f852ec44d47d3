"""Document + cards -> printable PDFs through Typst (the only module that imports `typst`).

Two outputs per source: a study sheet (`render_sheet`) and cut-out cards (`render_cards`). The
Typst templates ship beside this module (`sheet.typ`, `cards.typ`, `common.typ`); the content
goes in as one JSON document through `sys.inputs`, so no text from a source is ever spliced into
Typst syntax. Inline Markdown arrives as plain "spans" (`cardgen.spans`).

Fonts: DejaVu Sans Condensed (shipped in `fonts/`, four faces) for text, Typst's embedded DejaVu
Sans Mono for code; system fonts are ignored, so every machine renders the same bytes. Before a
compile every character is checked against the cmap of the face it will be set in: a character
without a glyph is reported (B201, naming the source line) and dropped (emoji) or replaced by
U+FFFD, never rendered as a silent box. The timestamp is fixed, so two renders are identical.
"""

from __future__ import annotations

import json
import math
import re
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from cardgen import spans as sp
from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Card, Document, Loc, Row

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE / "fonts"
FACES = {
    (False, False): "DejaVuSansCondensed.ttf",
    (True, False): "DejaVuSansCondensed-Bold.ttf",
    (False, True): "DejaVuSansCondensed-Oblique.ttf",
    (True, True): "DejaVuSansCondensed-BoldOblique.ttf",
}
TIMESTAMP = 0  # fixed creation time: two builds of the same sources are byte-identical
LEGIBLE_PT = 6.0  # card text shrunk below this gets a B203 warning
SUB_REL = 0.84  # size of a card's tip relative to its main text (cards.typ sets it so)
CODE_REL = 0.92  # size of code relative to the text around it (common.typ sets it so)
SPLIT_ROW_CHARS = 600  # a table row whose longest cell is longer may break across pages

PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
NAMED_CARDS: dict[str, tuple[float, float]] = {
    "a5": (148.0, 210.0),
    "a6": (105.0, 148.0),
    "a7": (74.0, 105.0),
    "a8": (52.0, 74.0),
    "index": (76.2, 127.0),  # 3 x 5 in
    "business": (85.0, 55.0),
}
LAYOUTS = ("duplex", "fold")
BAND_MM = 9.0  # strip at the bottom of each card page for the "print at 100 %" line
CARD_PAD_MM = 4.5  # inner margin of a card face
# Most printers cannot print the outermost few millimetres of a sheet at 100 % (4 to 5 mm is
# usual): the text of a card, and the reminder line, stay at least this far from the paper edge.
# The grid may still reach the edge (the edge is then the cut): the cards' inner margin grows.
PRINTABLE_MM = 5.0
MAX_OFFSET_MM = 30.0
_SIZE = re.compile(
    r"^\s*(?P<w>\d+(?:\.\d+)?)\s*[x×*]\s*(?P<h>\d+(?:\.\d+)?)\s*(?P<unit>mm|cm|in|inch|\")?\s*$",
    re.IGNORECASE,
)
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "inch": 25.4, '"': 25.4}

# Which cards go on paper (see docs/printing.md): a compare card shows every subject's value
# side by side, so it replaces that row's forward cards; identify cards repeat the same facts
# backwards and are left to Anki. Forward cards stay where a row has no compare card.
PRINTED_KINDS = ("compare", "forward", "cloze", "scenario")
KIND_LABELS = {
    "compare": "Compare",
    "forward": "Recall",
    "cloze": "Trap",
    "scenario": "Scenario",
    "identify": "Identify",
}


# --------------------------------------------------------------------------------------------
# Options and the card grid


def card_size_mm(value: str) -> tuple[float, float]:
    """`a7`, `a6`, `3x5in`, `74x105mm`, `10x15cm` -> (width, height) in mm; ValueError if bad."""
    key = value.strip().lower()
    if key in NAMED_CARDS:
        return NAMED_CARDS[key]
    m = _SIZE.match(key)
    if not m:
        names = ", ".join(sorted(NAMED_CARDS))
        raise ValueError(f"unknown card size {value!r} (use {names}, or WxH with mm, cm or in)")
    unit = (m.group("unit") or "mm").lower()
    w, h = float(m.group("w")) * _UNIT_MM[unit], float(m.group("h")) * _UNIT_MM[unit]
    if min(w, h) < 30:
        hint = f" (did you mean {m.group('w')}x{m.group('h')}in?)" if not m.group("unit") else ""
        raise ValueError(f"card size {value!r} is smaller than 30 mm on one side{hint}")
    return round(w, 3), round(h, 3)


@dataclass(frozen=True)
class PdfOptions:
    paper: str = "a4"  # "a4" | "letter"
    card_size: str = "a7"  # "a7", "a6", "3x5in", "74x105mm": sets how many fit a page
    layout: str = "duplex"  # "duplex" (backs mirrored for long-edge flip) | "fold"
    back_offset_mm: tuple[float, float] = (0.0, 0.0)  # shift of the back pages, x right, y down

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r} (use {' or '.join(PAPERS)})")
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r} (use {' or '.join(LAYOUTS)})")
        card_size_mm(self.card_size)
        dx, dy = self.back_offset_mm
        if not all(math.isfinite(v) and abs(v) <= MAX_OFFSET_MM for v in (dx, dy)):
            raise ValueError(f"back offset must be within ±{MAX_OFFSET_MM:g} mm on each axis")
        card_layout(self)  # the card must fit the paper


def parse_offset(value: str) -> tuple[float, float]:
    """`"1.5,-0.5"` -> (1.5, -0.5); ValueError if malformed (the CLI's `--back-offset X,Y`)."""
    parts = [p.strip() for p in value.replace(";", ",").split(",")]
    if len(parts) != 2:
        raise ValueError("expected X,Y in millimetres, e.g. 1.5,-0.5")
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError("expected X,Y in millimetres, e.g. 1.5,-0.5") from None
    return x, y


@dataclass(frozen=True)
class CardLayout:
    """The grid of one card page, in millimetres from the paper's top-left corner. For `fold`,
    a cell holds the front (left half) and the back (right half)."""

    paper_w: float
    paper_h: float
    card_w: float
    card_h: float
    cols: int
    rows: int
    x0: float
    y0: float
    fold: bool

    @property
    def cell_w(self) -> float:
        return self.card_w * (2 if self.fold else 1)

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def pad(self) -> tuple[float, float]:
        """Inner margin of every card face (x, y): `CARD_PAD_MM`, or more where the grid comes
        closer than that to the paper edge, so that text stays `PRINTABLE_MM` inside the paper.
        The same for every card (the grid is centred), so a back mirrors its front exactly."""
        return (
            round(max(CARD_PAD_MM, PRINTABLE_MM - self.x0), 3),
            round(max(CARD_PAD_MM, PRINTABLE_MM - self.y0), 3),
        )

    def front_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner of the card at grid position `index` (row-major) on a front page."""
        r, c = divmod(index, self.cols)
        return self.x0 + c * self.cell_w, self.y0 + r * self.card_h

    def back_origin(
        self, index: int, offset: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[float, float]:
        """Top-left corner of that card's back: same row, mirrored column (long-edge flip), plus
        the printer offset. For `fold`, the right half of the same cell."""
        r, c = divmod(index, self.cols)
        if self.fold:
            return self.x0 + c * self.cell_w + self.card_w, self.y0 + r * self.card_h
        x = self.x0 + (self.cols - 1 - c) * self.card_w + offset[0]
        return x, self.y0 + r * self.card_h + offset[1]


def card_layout(options: PdfOptions) -> CardLayout:
    """As many cards as fit the paper above the reminder band, either way round (ties keep the
    card as given), the grid centred. Cards may reach the paper edge: the edge is then the cut."""
    pw, ph = PAPERS[options.paper]
    w, h = card_size_mm(options.card_size)
    fold = options.layout == "fold"
    best: tuple[int, float, float, int, int] | None = None
    for cw, ch in ((w, h), (h, w)):
        unit_w = cw * (2 if fold else 1)
        cols = int((pw + 1e-6) // unit_w)
        rows = int((ph - BAND_MM + 1e-6) // ch)
        if cols and rows and (best is None or cols * rows > best[3] * best[4]):
            best = (cols * rows, cw, ch, cols, rows)
    if best is None:
        what = "two cards side by side (fold layout)" if fold else "one card"
        raise ValueError(
            f"card size {options.card_size!r} is too large: "
            f"{options.paper} paper cannot hold {what}"
        )
    _, cw, ch, cols, rows = best
    unit_w = cw * (2 if fold else 1)
    x0 = (pw - cols * unit_w) / 2
    y0 = (ph - BAND_MM - rows * ch) / 2
    return CardLayout(pw, ph, cw, ch, cols, rows, round(x0, 3), round(y0, 3), fold)


# --------------------------------------------------------------------------------------------
# Glyph coverage


def _cmap_chars(data: bytes) -> frozenset[int]:
    """Code points mapped to a glyph by a TrueType/OpenType font's cmap (format 12 or 4)."""
    num = struct.unpack_from(">H", data, 4)[0]
    base = None
    for i in range(num):
        tag, _sum, off, _len = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            base = off
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
    out: set[int] = set()
    if fmt == 12:
        for g in range(struct.unpack_from(">I", data, off + 12)[0]):
            start, end, _gid = struct.unpack_from(">III", data, off + 16 + 12 * g)
            out.update(range(start, end + 1))
        return frozenset(out)
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


@lru_cache(maxsize=1)
def coverage() -> dict[tuple[bool, bool], frozenset[int]]:
    """Per (bold, italic) face: the code points it has glyphs for."""
    return {face: _cmap_chars((FONT_DIR / name).read_bytes()) for face, name in FACES.items()}


# Invisible format characters that only make sense next to what we may drop (emoji joiners and
# presentation selectors, tag characters): removed silently.
_INVISIBLE = re.compile("[\u200d\ufe0e\ufe0f\U000e0020-\U000e007f]")
REPLACEMENT = "\ufffd"
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F1E6, 0x1F1FF))


def is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


class _Glyphs:
    """Checks text against the font faces and records what had to go, per source location."""

    def __init__(self) -> None:
        self.cover = coverage()
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

    def diagnostics(self) -> list[Diagnostic]:
        """One B201 warning per source line, pointing at the first character that had to go.
        A fact's location is its first line; the source is read again (when it can be) to find
        the exact line and column, e.g. inside a multi-line note."""
        by_line: dict[tuple[str, int], dict[str, int]] = {}  # (path, line) -> char -> column
        sources: dict[str, list[str]] = {}
        for fact_loc, chars in self.missing.items():
            if fact_loc.path not in sources:
                sources[fact_loc.path] = _source_lines(fact_loc.path)
            for ch in chars:
                loc = _locate(fact_loc, ch, sources[fact_loc.path])
                by_line.setdefault((loc.path, loc.line), {}).setdefault(ch, loc.col)
        out = []
        for (path, line), found in sorted(by_line.items()):
            chars = sorted(found, key=lambda c: found[c])
            loc = Loc(path, line, found[chars[0]])
            names = ", ".join(f"{_show(ch)} (U+{ord(ch):04X} {_name(ch)})" for ch in chars)
            emoji = [c for c in chars if is_emoji(c)]
            if len(emoji) == len(chars):
                what = "dropped from the PDF"
            elif not emoji:
                what = f"shown as {REPLACEMENT} in the PDF"
            else:
                what = f"emoji dropped, the others shown as {REPLACEMENT} in the PDF"
            out.append(diag(loc, "B201", f"no glyph in the PDF fonts for {names}: {what}"))
        return out


def _source_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _locate(fact: Loc, ch: str, lines: list[str]) -> Loc:
    """Where `ch` first occurs in the source at or after the fact's line (the fact's own
    location when the file cannot be read or no longer holds it). Columns count characters."""
    for n in range(max(fact.line - 1, 0), len(lines)):
        col = lines[n].find(ch)
        if col >= 0:
            return Loc(fact.path, n + 1, col + 1)
    return Loc(fact.path, fact.line, 1)


def _show(ch: str) -> str:
    return repr(ch) if ch.isprintable() else f"'\\u{ord(ch):04x}'"


def _name(ch: str) -> str:
    return unicodedata.name(ch, "unnamed")


# --------------------------------------------------------------------------------------------
# Content -> JSON


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


def _mark_breaks(items: list[sp.Span]) -> list[sp.Span]:
    for s in items:
        t = s.get("t")
        if not t or not _MARKS.search(t):
            continue
        t = _JOINED.sub(_unbroken, _MARKS.sub(_BREAK, t))
        if _BREAK in t:
            s["z"] = 1
        s["t"] = t
    return items


class _Content:
    """Builds the JSON for a template, checking every character on the way."""

    def __init__(self) -> None:
        self.glyphs = _Glyphs()

    def inline(self, text: str, loc: Loc, *, bold: bool = False, italic: bool = False) -> list:
        return _mark_breaks(self.glyphs.spans(sp.inline(text, bold=bold, italic=italic), loc))

    def cloze(self, text: str, loc: Loc, *, reveal: bool) -> list:
        return _mark_breaks(self.glyphs.spans(sp.cloze(text, reveal=reveal), loc))

    def blocks(self, text: str, loc: Loc) -> list:
        out = []
        for block in sp.blocks(text):
            block["spans"] = _mark_breaks(self.glyphs.spans(block["spans"], loc))
            out.append(block)
        return out

    def text(self, text: str, loc: Loc, *, bold: bool = False) -> str:
        return self.glyphs.clean(text, loc, bold=bold)


FOOTER_PATH_CHARS = 60  # a longer source path is shortened from the left in the sheet's footer


def _attribution(doc: Document) -> tuple[str, str]:
    """The sheet footer's attribution: the text before the path, and the path, which the
    template keeps on one line (a long one loses its leading folders: `…/notes/aws/x.md`)."""
    lead = f"Source: {doc.source} — " if doc.source else "Source: "
    path = doc.path
    if len(path) > FOOTER_PATH_CHARS:
        tail = path[-(FOOTER_PATH_CHARS - 1) :]
        cut = tail.find("/")
        name = path.rsplit("/", 1)[-1]
        if 0 <= cut < len(tail) - 1:
            tail = tail[cut:]
        path = "…" + (tail if len(tail) >= len(name) else name)
    return lead, path


def sheet_data(doc: Document, options: PdfOptions, content: _Content) -> dict[str, Any]:
    src_loc = Loc(doc.path, 1, 1)
    lead, path = _attribution(doc)
    title = content.inline(doc.title, doc.loc, bold=True)
    comparisons = []
    for comp in doc.comparisons:
        has_tip = any(r.tip for r in comp.rows)
        comparisons.append(
            {
                "attribute_header": content.inline(
                    comp.attribute_header or "", comp.loc, bold=True
                ),
                "subjects": [
                    {
                        "name": content.inline(s.name, comp.loc, bold=True),
                        "tagline": content.inline(s.tagline, comp.loc),
                    }
                    for s in comp.subjects
                ],
                "has_tip": has_tip,
                "rows": [
                    {
                        "attribute": content.inline(r.attribute, r.loc, bold=True),
                        "values": [content.inline(v, r.loc) for v in r.values],
                        "tip": content.inline(r.tip, r.loc),
                        "split": max(len(x) for x in (r.attribute, r.tip, *r.values))
                        > SPLIT_ROW_CHARS,
                    }
                    for r in comp.rows
                ],
            }
        )
    return {
        "paper_w": PAPERS[options.paper][0],
        "paper_h": PAPERS[options.paper][1],
        "title": title,
        "title_plain": sp.plain(title),
        "description": content.blocks(doc.description, doc.loc),
        "comparisons": comparisons,
        "scenarios": [
            {
                "prompt": content.inline(s.prompt, s.loc),
                "answer": content.inline(s.answer, s.loc, bold=True),
            }
            for s in doc.scenarios
        ],
        "traps": [
            {
                "title": content.inline(t.title, t.loc, bold=True),
                "text": content.inline(t.text, t.loc),
            }
            for t in doc.traps
        ],
        "notes": [
            {
                "title": content.inline(n.title, n.loc, bold=True),
                "blocks": content.blocks(n.text, n.loc),
            }
            for n in doc.notes
        ],
        "footer": content.text(lead, src_loc),
        "footer_path": content.text(path, src_loc),
    }


def printed_cards(cards: Iterable[Card]) -> list[Card]:
    """The cards that go on paper, in the given order (see PRINTED_KINDS)."""
    cards = list(cards)
    compared = {c.loc for c in cards if c.kind == "compare"}
    out = []
    for card in cards:
        if card.kind not in PRINTED_KINDS:
            continue
        if card.kind == "forward" and card.loc in compared:
            continue
        out.append(card)
    return out


def _rows_by_loc(doc: Document) -> dict[Loc, Row]:
    return {r.loc: r for comp in doc.comparisons for r in comp.rows}


def _face(
    label: str, main: list, sub: list | None = None, sub_label: str = "", center: bool = False
) -> dict:
    return {
        "label": label,
        "main": main,
        "sub": sub or [],
        "sub_label": sub_label,
        "center": center,
    }


_BREAKS = re.compile("[\\s\u200b]+")  # where a line may break: spaces, marked breaks


def _long_words(face: dict, inner_pt: float, max_pt: float) -> list[dict]:
    """The words of a face that might not fit a line of `inner_pt` at `max_pt` (no glyph is
    wider than 1 em, so a word of fewer characters fits), each as its span with `t` set to the
    word and `rel` its size relative to the face's (the tip is set smaller): the template
    measures only these to shrink the text until the widest fits (`widest-word`)."""
    shortest = int(inner_pt // max_pt)
    out = []
    for paras, rel in ((face["main"], 1), (face["sub"], SUB_REL)):
        for para in paras:
            for span in para:
                if "t" not in span:
                    continue
                for word in _BREAKS.split(span["t"]):
                    if len(word) >= shortest:
                        out.append({**span, "t": word, "rel": rel})
    return out


def _smallest(face: dict) -> float:
    """The size of the smallest text of a face relative to its main text: the tip is set at
    0.84 em, code at 0.92 em (a cloze blank's number never goes below `LEGIBLE_PT`). The
    template multiplies it by the size it chose, so that B203 reports the smallest text."""
    out = 1.0
    for paras, rel in ((face["main"], 1.0), (face["sub"], SUB_REL)):
        for para in paras:
            for span in para:
                if "t" in span:
                    out = min(out, rel * (CODE_REL if span.get("c") else 1.0))
        if paras and face["sub_label"] and rel == SUB_REL:
            out = min(out, rel)
    return out


def card_faces(card: Card, rows: dict[Loc, Row], content: _Content) -> tuple[dict, dict]:
    """The front and back of one printed card: lists of paragraphs of spans. `rows`: the
    document's table rows by location (a compare card's front names its row's attribute)."""
    loc = card.loc
    label = KIND_LABELS.get(card.kind, card.kind.title())
    tip = [content.inline(card.extra, loc)] if card.extra else []
    if card.kind == "compare":
        row = rows.get(loc)
        attribute = row.attribute if row else card.prompt
        names = " vs ".join(n for n, _ in card.columns)
        front = _face(
            label,
            [content.inline(attribute, loc, bold=True)],
            [content.inline(names, loc)],
            center=True,
        )
        back = _face(
            label,
            [
                content.inline(name, loc, bold=True) + [{"t": ": "}] + content.inline(value, loc)
                for name, value in card.columns
                if value.strip()
            ],
            tip,
            "Tip",
        )
        return front, back
    if card.kind == "cloze":
        head = [content.inline(card.extra, loc, bold=True)] if card.extra else []
        front = _face(label, head + [content.cloze(card.prompt, loc, reveal=False)])
        back = _face(label, head + [content.cloze(card.prompt, loc, reveal=True)])
        return front, back
    front = _face(label, [content.inline(card.prompt, loc)], center=len(card.prompt) < 90)
    back = _face(label, [content.inline(card.answer, loc)], tip, "Tip")
    return front, back


def cards_data(
    doc: Document, cards: list[Card], options: PdfOptions, content: _Content
) -> dict[str, Any]:
    layout = card_layout(options)
    scale = max(0.8, min(1.6, min(layout.card_w, layout.card_h) / 74))
    chosen = printed_cards(cards)
    deck_name = sp.plain(sp.inline(doc.deck.split("::")[-1].strip() or doc.title))
    if len(deck_name) > 48:
        deck_name = deck_name[:47].rstrip() + "…"
    deck_name = content.text(deck_name, doc.loc)
    items = []
    rows = _rows_by_loc(doc)
    front_max, back_max = round(14 * scale, 2), round(11 * scale, 2)
    inner_pt = (layout.card_w - 2 * layout.pad[0]) / 25.4 * 72
    for n, card in enumerate(chosen, 1):
        front, back = card_faces(card, rows, content)
        front["long"] = _long_words(front, inner_pt, front_max)
        back["long"] = _long_words(back, inner_pt, back_max)
        front["rel"], back["rel"] = _smallest(front), _smallest(back)
        items.append({"key": card.key, "n": n, "front": front, "back": back})
    per = layout.per_page
    pages = []
    for p in range(0, len(items), per):
        chunk = items[p : p + per]
        pages.append(
            {
                "cards": [
                    {
                        "card": item,
                        "front": list(layout.front_origin(i)),
                        "back": list(layout.back_origin(i, options.back_offset_mm)),
                    }
                    for i, item in enumerate(chunk)
                ]
            }
        )
    if options.layout == "fold":
        reminder = (
            "Print at 100 % (actual size, no “fit to page”), one-sided  ·  "
            "cut along the dashed lines, fold along the dotted ones"
        )
    else:
        reminder = (
            "Print at 100 % (actual size, no “fit to page”), two-sided, flip on the long edge  ·  "
            "cut along the dashed lines"
        )
    return {
        "title": content.text(sp.plain(sp.inline(doc.title)), doc.loc),
        "deck": deck_name,
        "total": len(items),
        "reminder": reminder,
        "layout": {
            "paper_w": layout.paper_w,
            "paper_h": layout.paper_h,
            "card_w": layout.card_w,
            "card_h": layout.card_h,
            "cols": layout.cols,
            "rows": layout.rows,
            "x0": layout.x0,
            "y0": layout.y0,
            "band": BAND_MM,
            "printable": PRINTABLE_MM,
            "fold": layout.fold,
            "legible": LEGIBLE_PT,
            "sub_rel": SUB_REL,
            "pad_x": layout.pad[0],
            "pad_y": layout.pad[1],
            "front_max": front_max,
            "back_max": back_max,
        },
        "pages": pages,
    }


# --------------------------------------------------------------------------------------------
# Compiling


@lru_cache(maxsize=4)
def _compiler(template: str) -> Any:
    import typst  # lazy: `cardgen --help` must not load the compiler

    fonts = _fonts()
    return typst.Compiler(
        input=str(HERE / template), root=str(HERE), font_paths=fonts, ignore_system_fonts=True
    )


# typst-py ends every compilation with `comemo::evict(10)`: whatever Typst memoised and did not
# reuse in the last 10 compilations is dropped. Across sources little is reused, but the last
# 10 documents stay cached: a process that built a few sources settled at 150 MB (60 MB
# without that cache). So after each document we compile an empty page `_FORGET_AFTER` times
# (each about 10 µs); what the document left is dropped, and real compilations got no slower
# (200 sources: 17.7 s with these, 19.4 s without). Output is the same either way.
_FORGET_AFTER = 10


def _forget() -> None:
    """Drop what Typst memoised for the last document (see `_FORGET_AFTER`)."""
    try:
        blank = _compiler("forget.typ")
        for _ in range(_FORGET_AFTER):
            blank.compile(format="svg")
    except Exception:  # only memory is at stake: never fail a build over it
        pass


@lru_cache(maxsize=1)
def _fonts() -> Any:
    import typst

    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONT_DIR)]
    )


def _typst_message(exc: BaseException) -> str:
    parts = [str(getattr(exc, "message", "") or "").strip()]
    if not parts[0]:
        parts = [str(exc).strip()]
    hints = [str(h).strip() for h in (getattr(exc, "hints", None) or []) if str(h).strip()]
    message = "; ".join(p for p in parts if p) or f"{type(exc).__name__} without a message"
    if hints:
        message += " (hint: " + "; ".join(hints) + ")"
    return " ".join(message.split())


def _compile(
    template: str, data: dict[str, Any], doc: Document, what: str
) -> tuple[bytes, list[Diagnostic], Any]:
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        compiler = _compiler(template)
        pdf, warns = compiler.compile_with_warnings(
            format="pdf", sys_inputs={"data": payload}, timestamp=TIMESTAMP
        )
    except Exception as exc:  # TypstError, or anything the binding raises: never a traceback
        return (
            b"",
            [diag(doc.loc, "B202", f"Typst could not build the {what}: {_typst_message(exc)}")],
            None,
        )
    diags = [
        diag(doc.loc, "B204", f"Typst warned while building the {what}: {_typst_message(w)}")
        for w in warns
    ]
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        return b"", [diag(doc.loc, "B202", f"Typst returned no PDF for the {what}")], None
    return pdf, diags, compiler


def render_sheet(
    doc: Document, cards: list[Card], options: PdfOptions
) -> tuple[bytes, list[Diagnostic]]:
    """The study sheet of one source: title, description, the comparison table(s), scenarios,
    traps and notes. `cards` is unused (the sheet shows the facts); it keeps the two writers'
    signatures alike."""
    del cards
    content = _Content()
    data = sheet_data(doc, options, content)
    pdf, diags, _ = _compile("sheet.typ", data, doc, "study sheet")
    _forget()
    return pdf, content.glyphs.diagnostics() + diags


def render_cards(
    doc: Document, cards: list[Card], options: PdfOptions
) -> tuple[bytes, list[Diagnostic]]:
    """Cut-out cards: fronts and backs on alternating pages (backs mirrored for a long-edge
    flip and shifted by `back_offset_mm`), or front and back side by side (`fold`)."""
    content = _Content()
    data = cards_data(doc, cards, options, content)
    pdf, diags, compiler = _compile("cards.typ", data, doc, "cards")
    if pdf and compiler is not None:
        diags.extend(_shrink_warnings(compiler, doc, cards, data))  # reuses the compilation
    _forget()
    return pdf, content.glyphs.diagnostics() + diags


def _pt(size: float) -> str:
    """`size` with one decimal, rounded to the nearest (5.87 pt is "5.9"), except that a size
    below `LEGIBLE_PT` never reads as it: 5.99 pt is "5.99" (two decimals, rounded down), never
    "6.0"."""
    shown = f"{size:.1f}"
    if size < LEGIBLE_PT <= float(shown):
        shown = str(Decimal(repr(size)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR))
    return shown


def _shrink_warnings(
    compiler: Any, doc: Document, cards: list[Card], data: dict
) -> list[Diagnostic]:
    """Cards with text below `LEGIBLE_PT` (recorded by the template): the main text had to shrink,
    or the tip or code in it (set smaller than the main text) went below. The size reported is
    the smallest text of the face."""
    try:
        found = json.loads(compiler.query("<cardgen-shrunk>", field="value", format="json"))
    except Exception:  # a failed query must not fail the build: the PDF is fine
        return []
    by_key = {c.key: c for c in cards}
    out = []
    seen: set[tuple[str, str]] = set()
    for item in found or []:
        key, side, size = item.get("key", ""), item.get("side", ""), float(item.get("size", 0))
        if (key, side) in seen:
            continue
        seen.add((key, side))
        card = by_key.get(key)
        loc = card.loc if card else doc.loc
        out.append(
            diag(
                loc,
                "B203",
                f"card {key!r}: the {side} needs {_pt(size)} pt type to fit a "
                f"{data['layout']['card_w']:g}×{data['layout']['card_h']:g} mm card "
                f"(its smallest text; legible is {LEGIBLE_PT:g} pt or more); "
                "shorten it or choose a larger --card-size",
            )
        )
    return out
