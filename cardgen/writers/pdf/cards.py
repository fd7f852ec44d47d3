"""The cut-out cards' payload: which cards go on paper, their faces, and the JSON that
`cards.typ` draws (pages of fronts and backs at positions computed by `options.card_layout`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cardgen import spans as sp
from cardgen.model import Card, CardKind, Document, Loc, Row
from cardgen.writers.pdf.content import Content
from cardgen.writers.pdf.options import (
    BAND_MM,
    PRINTABLE_MM,
    CardLayout,
    PdfOptions,
    card_layout,
)

Face = dict[str, Any]  # one side of a card: label, main and sub paragraphs (lists of spans), ...

LEGIBLE_PT = 6.0  # card text shrunk below this gets a B203 warning
# Card text set below this is dense (B205); a word with break marks is kept whole only when
# that leaves the face at this size or larger.
DENSE_PT = 8.0
SUB_REL = 0.84  # size of a card's tip relative to its main text (cards.typ sets it so)
CODE_REL = 0.92  # size of code relative to the text around it (common.typ sets it so)

# Which cards go on paper (see docs/printing.md): a compare card shows every subject's value
# side by side, so it replaces that row's forward cards; identify cards repeat the same facts
# backwards and are left to Anki. Forward cards stay where a row has no compare card.
PRINTED_KINDS: tuple[CardKind, ...] = ("compare", "forward", "cloze", "scenario")
KIND_LABELS: dict[CardKind, str] = {
    "compare": "Compare",
    "forward": "Recall",
    "cloze": "Trap",
    "scenario": "Scenario",
    "identify": "Identify",
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
    label: str,
    main: list[list[sp.Span]],
    sub: list[list[sp.Span]] | None = None,
    sub_label: str = "",
    center: bool = False,
) -> Face:
    return {
        "label": label,
        "main": main,
        "sub": sub or [],
        "sub_label": sub_label,
        "center": center,
    }


_BREAKS = re.compile("[\\s\u200b]+")  # where a line may break: spaces, marked breaks
_SPACES = re.compile("\\s+")


def _long_words(face: Face, inner_pt: float, max_pt: float, whole: bool = False) -> list[sp.Span]:
    """The words of a face that might not fit a line of `inner_pt` at `max_pt` (no glyph is
    wider than 1 em, so a word of fewer characters fits), each as its span with `t` set to the
    word and `rel` its size relative to the face's (the tip is set smaller): the template
    measures only these to shrink the text until the widest fits (`widest-word`). The pieces
    between break marks, or with `whole` the whole words that have marks inside: the template
    keeps those whole when that leaves the text at `DENSE_PT` or larger (cards.typ's
    `fit-size`)."""
    shortest = int(inner_pt // max_pt)
    split = _SPACES if whole else _BREAKS
    out = []
    for paras, rel in ((face["main"], 1), (face["sub"], face.get("sub_rel", SUB_REL))):
        for para in paras:
            for span in para:
                if "t" not in span:
                    continue
                for word in split.split(span["t"]):
                    if len(word) >= shortest and (not whole or "\u200b" in word):
                        out.append({**span, "t": word, "rel": rel})
    return out


def _smallest(face: Face) -> float:
    """The size of the smallest text of a face relative to its main text: the tip is set at
    0.84 em, code at 0.92 em (a cloze blank's number never goes below `LEGIBLE_PT`). The
    template multiplies it by the size it chose, so that B203 reports the smallest text."""
    out = 1.0
    sub_rel = face.get("sub_rel", SUB_REL)
    for paras, rel in ((face["main"], 1.0), (face["sub"], sub_rel)):
        for para in paras:
            for span in para:
                if "t" in span:
                    out = min(out, rel * (CODE_REL if span.get("c") else 1.0))
        if paras and face["sub_label"] and rel == sub_rel:
            out = min(out, rel)
    return out


def versus(names: list[str], loc: Loc, content: Content) -> list[sp.Span]:
    """ "A vs B vs C" as spans that a line breaks only before a "vs": each name, and "vs" with
    the name after it, is one kept span (set whole when it fits a line)."""
    out: list[sp.Span] = []
    for n, name in enumerate(names):
        plain = content.text(sp.plain(sp.inline(name)), loc)
        if n:
            out.append({"t": " "})
        out.append({"t": f"vs {plain}" if n else plain, "k": 1})
    return out


SHORT_ANSWER_CHARS = 40  # a back with one answer no longer than this is set centred and large
FIRST_WORDS = 8  # a back names its front by the attribute, or by this many words of its prompt


def first_words(text: str) -> str:
    """The first `FIRST_WORDS` words of a Markdown text, as plain text ("…" when cut)."""
    words = sp.plain(sp.inline(text)).split()
    return " ".join(words[:FIRST_WORDS]) + (" …" if len(words) > FIRST_WORDS else "")


def card_faces(card: Card, rows: dict[Loc, Row], content: Content) -> tuple[Face, Face]:
    """The front and back of one printed card (see `_card_faces`). Every front is set left,
    in the middle of the card; a back names the front it answers (`answers`: the attribute or
    the prompt's first words, so that a stray card finds its partner), and a short answer on
    its own is set centred and large (`big`)."""
    front, back = _card_faces(card, rows, content)
    front["center"] = False
    back["answers"] = content.text(_answers(card, rows), card.loc)
    plain = "".join(sp.plain(p) for p in back["main"])
    back["big"] = len(back["main"]) == 1 and not back["sub"] and len(plain) <= SHORT_ANSWER_CHARS
    back["center"] = back["big"]
    return front, back


def _answers(card: Card, rows: dict[Loc, Row]) -> str:
    if card.kind == "compare":
        row = rows.get(card.loc)
        return sp.plain(sp.inline(row.attribute)) if row else first_words(card.prompt)
    if card.kind == "cloze" and card.extra:
        return first_words(card.extra)
    return first_words(card.prompt)


def _card_faces(card: Card, rows: dict[Loc, Row], content: Content) -> tuple[Face, Face]:
    """The front and back of one printed card: lists of paragraphs of spans. `rows`: the
    document's table rows by location (a compare card's front names its row's attribute)."""
    loc = card.loc
    label = KIND_LABELS.get(card.kind, card.kind.title())
    tip = [content.inline(card.extra, loc)] if card.extra else []
    if card.kind == "compare":
        row = rows.get(loc)
        attribute = row.attribute if row else card.prompt
        front = _face(
            label,
            [content.inline(attribute, loc, bold=True)],
            [versus([n for n, _ in card.columns], loc, content)],
        )
        front["sub_rel"] = 1.0  # one size on a front: "A vs B" as large as the attribute
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
    front = _face(label, [content.inline(card.prompt, loc)])
    back = _face(label, [content.inline(card.answer, loc)], tip, "Tip")
    return front, back


def _deck_name(doc: Document, content: Content) -> str:
    """The deck's last `::` part (or the title), at most 48 characters: every card's footer."""
    name = sp.plain(sp.inline(doc.deck.split("::")[-1].strip() or doc.title))
    if len(name) > 48:
        name = name[:47].rstrip() + "…"
    return content.text(name, doc.loc)


def _reminder(options: PdfOptions) -> str:
    """The line at the bottom of every card page: how to print and cut."""
    if options.layout == "fold":
        return (
            "Print at 100 % (actual size, no “fit to page”), one-sided  ·  "
            "cut along the dashed lines, fold along the dotted ones"
        )
    return (
        "Print at 100 % (actual size, no “fit to page”), two-sided, flip on the long edge  ·  "
        "cut along the dashed lines"
    )


def _layout_data(
    layout: CardLayout, front_max: float, back_max: float, offset: tuple[float, float]
) -> dict[str, Any]:
    """The grid and the sizes the template needs, all in mm or pt."""
    return {
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
        "dense": DENSE_PT,
        "sub_rel": SUB_REL,
        "pad_x": layout.pad[0],
        "pad_y": layout.pad[1],
        "front_max": front_max,
        "back_max": back_max,
        "offset_x": offset[0],
        "offset_y": offset[1],
    }


def cards_data(
    doc: Document, cards: Iterable[Card], options: PdfOptions, content: Content
) -> dict[str, Any]:
    """The payload of `cards.typ`: the printed cards, numbered, a page's worth at a time."""
    layout = card_layout(options)
    scale = max(0.8, min(1.6, min(layout.card_w, layout.card_h) / 74))
    chosen = printed_cards(cards)
    deck_name = _deck_name(doc, content)
    items = []
    rows = _rows_by_loc(doc)
    front_max, back_max = round(14 * scale, 2), round(11 * scale, 2)
    inner_pt = (layout.card_w - 2 * layout.pad[0]) / 25.4 * 72
    for n, card in enumerate(chosen, 1):
        front, back = card_faces(card, rows, content)
        front["long"] = _long_words(front, inner_pt, front_max)
        back["long"] = _long_words(back, inner_pt, back_max)
        front["whole"] = _long_words(front, inner_pt, front_max, whole=True)
        back["whole"] = _long_words(back, inner_pt, back_max, whole=True)
        front["rel"], back["rel"] = _smallest(front), _smallest(back)
        items.append({"key": card.key, "n": n, "front": front, "back": back})
    per = layout.per_page
    pages = [
        {
            "cards": [
                {
                    "card": item,
                    "front": list(layout.front_origin(i)),
                    "back": list(layout.back_origin(i, options.back_offset_mm)),
                }
                for i, item in enumerate(items[p : p + per])
            ]
        }
        for p in range(0, len(items), per)
    ]
    return {
        "title": content.text(sp.plain(sp.inline(doc.title)), doc.loc),
        "deck": deck_name,
        "total": len(items),
        "reminder": _reminder(options),
        "layout": _layout_data(layout, front_max, back_max, options.back_offset_mm),
        "pages": pages,
    }
