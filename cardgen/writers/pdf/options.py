"""What a PDF build is asked for: paper, card size and layout (`PdfOptions`), and the card grid
they give (`card_layout` -> `CardLayout`), in millimetres. No Typst here: the CLI imports this.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

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
    """The PDF options of a build (`cardgen build --paper --card-size --layout --back-offset`);
    ValueError when they cannot be printed (unknown names, a card larger than the paper)."""

    paper: str = "a4"  # "a4" | "letter"
    card_size: str = "a7"  # "a7", "a6", "3x5in", "74x105mm": sets how many fit a page
    layout: str = "duplex"  # "duplex" (backs mirrored for long-edge flip) | "fold"
    back_offset_mm: tuple[float, float] = (0.0, 0.0)  # shift of the back pages, x right, y down
    fonts: tuple[str, ...] = ()  # font files searched first when the bundled fonts lack a glyph

    def __post_init__(self) -> None:
        for f in self.fonts:
            if not Path(f).is_file() or not f.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
                raise ValueError(f"font file {f!r} not found (a .ttf, .otf, .ttc or .otc file)")
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
