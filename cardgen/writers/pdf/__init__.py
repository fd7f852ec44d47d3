"""The PDF writer: per source a study sheet and cut-out cards, through Typst.

`PdfWriter` implements the writer interface (`cardgen.writers.base`). The modules behind it each
do one step:

- `options`: what a build asks for (`PdfOptions`, `parse_offset`) and the card grid
  (`card_layout` -> `CardLayout`); the CLI imports it, so it never loads Typst.
- `glyphs`: which characters the shipped fonts draw; B201 for those no font can.
- `fallback`: the fonts searched for characters the shipped ones lack (`--font` files, then
  the system's), and the digest of them that the build cache keys on.
- `content`: Markdown -> JSON spans for a template, checked by `glyphs`.
- `sheet`: the study sheet's payload (`sheet_data`), drawn by `sheet.typ`.
- `cards`: which cards go on paper and their faces (`printed_cards`, `card_faces`,
  `cards_data`), drawn by `cards.typ`.
- `compile`: payload -> PDF bytes (the only module that imports `typst`); B202, B203, B204,
  B205.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cardgen.diagnostics import Diagnostic
from cardgen.writers.base import DeckInput, DeckOutput
from cardgen.writers.pdf import compile as typst_compile
from cardgen.writers.pdf.cards import LEGIBLE_PT, SUB_REL, cards_data, printed_cards
from cardgen.writers.pdf.content import Content
from cardgen.writers.pdf.fallback import Fallback, language_of
from cardgen.writers.pdf.options import (
    NAMED_CARDS,
    PAPERS,
    CardLayout,
    PdfOptions,
    card_layout,
    card_size_mm,
    parse_offset,
)
from cardgen.writers.pdf.sheet import sheet_data

__all__ = [
    "LEGIBLE_PT",
    "NAMED_CARDS",
    "PAPERS",
    "SUB_REL",
    "CardLayout",
    "PdfOptions",
    "PdfWriter",
    "card_layout",
    "card_size_mm",
    "parse_offset",
    "printed_cards",
    "render_cards",
    "render_sheet",
]


def subject_names(deck: DeckInput) -> list[str]:
    """The names of the source's subjects (kept whole on a line: see `content.keep_names`)."""
    return [s.name for comp in deck.doc.comparisons for s in comp.subjects]


def _content(deck: DeckInput, options: PdfOptions) -> Content:
    """The content builder of one PDF: subjects' names kept whole, and the fonts searched when
    the bundled ones lack a character (`--font` files, then the system's: see `fallback`)."""
    fallback = Fallback(options.fonts, language_of(deck.text))
    return Content(keep=subject_names(deck), fallback=fallback)


def _with_fallback(data: dict[str, Any], content: Content) -> None:
    """Name the fallback families in the payload, only when there are any (so that a source the
    bundled fonts cover gets exactly the payload, and the PDF, it always had)."""
    families = content.fallback_families()
    if families:
        data["fallback"] = families


def render_sheet(deck: DeckInput, options: PdfOptions) -> tuple[bytes, list[Diagnostic]]:
    """The study sheet of one source: title, description, the comparison table(s), scenarios,
    traps and notes (the facts, not the cards). Empty bytes when Typst failed (B202)."""
    content = _content(deck, options)
    data = sheet_data(deck.doc, options, content)
    _with_fallback(data, content)
    compiled = typst_compile.compile_pdf(
        "sheet.typ", data, deck.doc, "study sheet", content.fallback_files()
    )
    typst_compile.forget()
    return compiled.pdf, content.glyphs.diagnostics(deck.text) + compiled.diagnostics


def render_cards(deck: DeckInput, options: PdfOptions) -> tuple[bytes, list[Diagnostic]]:
    """Cut-out cards: fronts and backs on alternating pages (backs mirrored for a long-edge
    flip and shifted by `back_offset_mm`), or front and back side by side (`fold`). Empty bytes
    when Typst failed (B202)."""
    content = _content(deck, options)
    data = cards_data(deck.doc, deck.cards, options, content)
    _with_fallback(data, content)
    compiled = typst_compile.compile_pdf(
        "cards.typ", data, deck.doc, "cards", content.fallback_files()
    )
    diags = compiled.diagnostics
    if compiled.pdf:  # the query reuses the compilation
        card_mm = (data["layout"]["card_w"], data["layout"]["card_h"])
        diags += typst_compile.shrink_warnings(compiled, deck.doc, deck.cards, card_mm)
    typst_compile.forget()
    return compiled.pdf, content.glyphs.diagnostics(deck.text) + diags


class PdfWriter:
    """`<id>.sheet.pdf` and `<id>.cards.pdf` per source (see the module docstring)."""

    format: ClassVar[str] = "pdf"
    uses_media: ClassVar[bool] = False  # images are not printed (yet)

    def __init__(self, options: PdfOptions | None = None) -> None:
        self.options = options if options is not None else PdfOptions()

    def file_names(self, doc_id: str) -> list[str]:
        return [f"{doc_id}.sheet.pdf", f"{doc_id}.cards.pdf"]

    def write(self, deck: DeckInput) -> DeckOutput:
        """The sheet, then the cards. Both report the characters the fonts lack: each
        diagnostic is said once, in order. A PDF that Typst could not build is left out of
        `files` (its B202 says why)."""
        out = DeckOutput()
        said: set[Diagnostic] = set()
        sheet_name, cards_name = self.file_names(deck.doc.id)
        for name, render in ((sheet_name, render_sheet), (cards_name, render_cards)):
            data, diags = render(deck, self.options)
            for d in diags:
                if d not in said:
                    said.add(d)
                    out.diagnostics.append(d)
            if data:
                out.files.append((name, data))
        return out
