"""Payload -> PDF bytes through Typst: the only module that imports `typst` (lazily, so that
`cardgen --help` never loads the compiler).

The Typst templates ship beside this module (`sheet.typ`, `cards.typ`, `common.typ`); the content
goes in as one JSON document through `sys.inputs`, so no text from a source is ever spliced into
Typst syntax. System fonts are ignored and the timestamp is fixed, so two renders are identical.
Typst's errors become B202, its warnings B204; cards whose text had to shrink below the legible
size (recorded by `cards.typ`) become B203.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Card, Document
from cardgen.writers.pdf.cards import DENSE_PT, LEGIBLE_PT
from cardgen.writers.pdf.fallback import font_dir
from cardgen.writers.pdf.glyphs import FONT_DIR
from cardgen.writers.pdf.options import NAMED_CARDS

TEMPLATE_DIR = Path(__file__).resolve().parent  # the Typst root: the templates import each other
TIMESTAMP = 0  # fixed creation time: two builds of the same sources are byte-identical


@dataclass
class Compiled:
    """One compilation: the PDF (empty when it failed), Typst's diagnostics, and the compiler
    that made it (to query the document just compiled), None when it failed."""

    pdf: bytes
    diagnostics: list[Diagnostic]
    compiler: Any = None  # typst.Compiler (the binding has no type information)


@lru_cache(maxsize=8)
def _compiler(template: str, extra: tuple[str, ...] = ()) -> Any:
    """A compiler of `template` with the bundled fonts, and the `extra` font files (the
    fallback fonts a source needs; none for most)."""
    import typst  # lazy: `cardgen --help` must not load the compiler

    return typst.Compiler(
        input=str(TEMPLATE_DIR / template),
        root=str(TEMPLATE_DIR),
        font_paths=_fonts(extra),
        ignore_system_fonts=True,
    )


@lru_cache(maxsize=4)
def _fonts(extra: tuple[str, ...] = ()) -> Any:
    import typst

    return typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=True,
        font_paths=[str(FONT_DIR), *([str(font_dir(extra))] if extra else [])],
    )


# typst-py ends every compilation with `comemo::evict(10)`: whatever Typst memoised and did not
# reuse in the last 10 compilations is dropped. Across sources little is reused, but the last
# 10 documents stay cached: a process that built a few sources settled at 150 MB (60 MB
# without that cache). So after each document we compile an empty page `_FORGET_AFTER` times
# (each about 10 µs); what the document left is dropped, and real compilations got no slower
# (200 sources: 17.7 s with these, 19.4 s without). Output is the same either way.
_FORGET_AFTER = 10


def forget() -> None:
    """Drop what Typst memoised for the last document (see `_FORGET_AFTER`)."""
    try:
        blank = _compiler("forget.typ")
        for _ in range(_FORGET_AFTER):
            blank.compile(format="svg")
    except Exception:  # only memory is at stake: never fail a build over it
        pass


def typst_message(exc: BaseException) -> str:
    """A Typst error or warning as one line: its message, then its hints."""
    parts = [str(getattr(exc, "message", "") or "").strip()]
    if not parts[0]:
        parts = [str(exc).strip()]
    hints = [str(h).strip() for h in (getattr(exc, "hints", None) or []) if str(h).strip()]
    message = "; ".join(p for p in parts if p) or f"{type(exc).__name__} without a message"
    if hints:
        message += " (hint: " + "; ".join(hints) + ")"
    return " ".join(message.split())


def compile_pdf(
    template: str, data: dict[str, Any], doc: Document, what: str, fonts: tuple[str, ...] = ()
) -> Compiled:
    """Compile `template` over the payload `data`, with the extra font files `fonts`; never
    raises (B202 when Typst fails)."""
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        compiler = _compiler(template, fonts)
        pdf, warns = compiler.compile_with_warnings(
            format="pdf", sys_inputs={"data": payload}, timestamp=TIMESTAMP
        )
    except Exception as exc:  # TypstError, or anything the binding raises: never a traceback
        failed = diag(doc.loc, "B202", f"Typst could not build the {what}: {typst_message(exc)}")
        return Compiled(b"", [failed])
    diags = [
        diag(doc.loc, "B204", f"Typst warned while building the {what}: {typst_message(w)}")
        for w in warns
    ]
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        return Compiled(b"", [diag(doc.loc, "B202", f"Typst returned no PDF for the {what}")])
    return Compiled(pdf, diags, compiler)


def pt_label(size: float) -> str:
    """`size` with one decimal, rounded to the nearest (5.87 pt is "5.9"), except that a size
    below `LEGIBLE_PT` never reads as it: 5.99 pt is "5.99" (two decimals, rounded down), never
    "6.0"."""
    shown = f"{size:.1f}"
    if size < LEGIBLE_PT <= float(shown):
        shown = str(Decimal(repr(size)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR))
    return shown


def shrink_warnings(
    compiled: Compiled, doc: Document, cards: Iterable[Card], card_mm: tuple[float, float]
) -> list[Diagnostic]:
    """Cards with text below `LEGIBLE_PT` (recorded by the template): the main text had to shrink,
    or the tip or code in it (set smaller than the main text) went below. The size reported is
    the smallest text of the face. `card_mm`: the card's width and height."""
    if compiled.compiler is None:
        return []
    try:
        query = compiled.compiler.query("<cardgen-shrunk>", field="value", format="json")
        found = json.loads(query)
    except Exception:  # a failed query must not fail the build: the PDF is fine
        return []
    by_key = {c.key: c for c in cards}
    out = []
    seen: set[tuple[str, str]] = set()
    mm = f"{card_mm[0]:g}×{card_mm[1]:g} mm card"
    for item in found or []:
        key, side, size = item.get("key", ""), item.get("side", ""), float(item.get("size", 0))
        main = float(item.get("main", size))
        if (key, side) in seen:
            continue
        seen.add((key, side))
        card = by_key.get(key)
        loc = card.loc if card else doc.loc
        if size < LEGIBLE_PT:
            message = (
                f"card {key!r}: the {side} needs {pt_label(size)} pt type to fit a {mm} "
                f"(its smallest text; legible is {LEGIBLE_PT:g} pt or more); "
                f"shorten it or choose a larger --card-size{larger_card(card_mm)}"
            )
            out.append(diag(loc, "B203", message))
        elif main < DENSE_PT:
            message = (
                f"card {key!r}: the {side} is set at {main:.1f} pt to fit a {mm} "
                f"({DENSE_PT:g} pt or more reads easily); "
                f"choose a larger --card-size{larger_card(card_mm)} or shorten it"
            )
            out.append(diag(loc, "B205", message))
    return out


def larger_card(card_mm: tuple[float, float]) -> str:
    """ " (a7)": the next named card size larger than `card_mm`, or "" when none is."""
    area = card_mm[0] * card_mm[1]
    larger = sorted(
        (w * h, name)
        for name, (w, h) in NAMED_CARDS.items()
        if w * h > area * 1.05 and name != "business"
    )
    return f" ({larger[0][1]})" if larger else ""
