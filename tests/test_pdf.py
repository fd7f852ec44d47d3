"""The PDF writer: study sheets and cut-out cards, read back with pypdf (no mocks)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from cardgen import spans
from cardgen.cards import build_cards
from cardgen.model import Card, Document, Loc
from cardgen.source import parse_file, parse_text, read_text
from cardgen.writers import pdf
from cardgen.writers.base import DeckInput
from cardgen.writers.pdf import (
    CardLayout,
    PdfOptions,
    PdfWriter,
    card_layout,
    printed_cards,
    render_cards,
    render_sheet,
)
from cardgen.writers.pdf import compile as typst_compile
from cardgen.writers.pdf.cards import LEGIBLE_PT, SUB_REL
from cardgen.writers.pdf.content import Content
from cardgen.writers.pdf.glyphs import FACES, FONT_DIR, coverage
from cardgen.writers.pdf.options import PRINTABLE_MM, card_size_mm, parse_offset
from cardgen.writers.pdf.sheet import FOOTER_PATH_CHARS

from .conftest import COGNITO, ROOT

MM = 72 / 25.4
PAPER_PT = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
LABEL = re.compile(r"^#(\d+) / (\d+)$")

HOSTILE = """\
---
id: hostile
source: Typst test \\#source
---

# Hostile 🚀 input: #set page(width: 1cm) $x$ @ref <label> [link] \\\\ *star*

Description with `#import "x"` and \\# escaped, a \\* star and ≥ × → é “quotes” — dash ‘single’.

| Feature | Alpha — tagline [x] | Beta $y$ | Tip |
|---|---|---|---|
| Hash #set | uses `#let x = 1` and <b>tag</b> #strong[bold] | \\\\ backslash \\| pipe | tip 𓀀𓀁 |
| Breaks | line one<br>line two<br/>line three | **bold** _italic_ `code` | |
| Long | {long} | short | |

## Traps

- **Trap #1:** the **$HOME** and **@user** are [hidden] \\* here.

## Decision tree

- Prompt with <angle> and [brackets] and \\\\ and @at → Alpha — yes.

## Summary

A note over two lines,
the second with a 🛫 in it.
"""
LONG_VALUE = " ".join(["Lorem ipsum dolor sit amet, consectetur adipiscing elit."] * 90)

# Short content (the shape of a typical small source): its sections end on the first page.
SHORT = """\
---
id: short
deck: Test::Messaging
---

# SQS vs SNS

| Feature | Amazon SQS | Amazon SNS | Exam tip |
|---|---|---|---|
| Delivery | Consumers **poll** | Pushed to subscribers | "Poll" means SQS |
| Retention | 4 days default, up to 14 days | None | |

## Exam traps

- **Visibility timeout:** a message that is not deleted **reappears** after the timeout.
- **FIFO throughput** — FIFO queues handle **300 messages per second** without batching, \
**3,000** with batching.
- SNS does **not** persist messages: a subscriber that is down misses them.
{more_traps}
## Decision tree

- Does each message need exactly one worker? → Amazon SQS.
- Must one event reach email, SMS and queues at once? → SNS, with SQS subscribers.
- Need to replay last week's events? → EventBridge archive and replay.

## Remember

Queue work with SQS, broadcast with SNS.
"""


# --------------------------------------------------------------------------------------------
# Reading PDFs back


@dataclass(frozen=True)
class Run:
    text: str
    x: float  # PDF points from the left
    y: float  # PDF points from the bottom
    font: str


def runs(page) -> list[Run]:
    """Every text run on a page with its position (text matrix x current matrix) and font."""
    out: list[Run] = []

    def visit(text, cm, tm, font_dict, _size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        font = str(font_dict.get("/BaseFont", "")) if font_dict else ""
        out.append(Run(text.strip(), x, y, font))

    page.extract_text(visitor_text=visit)
    return out


def norm(text: str) -> str:
    """Extracted text made comparable: hyphenated line ends joined, whitespace collapsed. (Break
    opportunities are not removed: none may reach the PDF's text layer.)"""
    text = re.sub(r"-\n", "-", text)
    return " ".join(text.split())


def plain(markdown: str) -> str:
    return norm(spans.plain(spans.inline(markdown)))


def reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(data))


def all_text(data: bytes) -> str:
    return norm("\n".join(p.extract_text() for p in reader(data).pages))


def labels(page) -> dict[int, Run]:
    """Card number -> the run of its `#n / N` label on this page."""
    found = {}
    for run in runs(page):
        m = LABEL.match(run.text)
        if m:
            found[int(m.group(1))] = run
    return found


def segments(page) -> list[tuple[float, float, float, float]]:
    """Every straight line drawn on a page (`m` then `l`), as (x1, y1, x2, y2) in PDF points:
    the content stream is walked with its transformation matrices (`q`, `Q`, `cm`)."""
    ops = ContentStream(page.get_contents(), page.pdf).operations
    ctm = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack = []
    start = (0.0, 0.0)
    out = []

    def apply(x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = ctm
        return a * x + c * y + e, b * x + d * y + f

    for operands, op in ops:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            a2, b2, c2, d2, e2, f2 = (float(v) for v in operands)
            a, b, c, d, e, f = ctm
            ctm = (
                a2 * a + b2 * c,
                a2 * b + b2 * d,
                c2 * a + d2 * c,
                c2 * b + d2 * d,
                e2 * a + f2 * c + e,
                e2 * b + f2 * d + f,
            )
        elif op == b"m":
            start = apply(float(operands[0]), float(operands[1]))
        elif op == b"l":
            end = apply(float(operands[0]), float(operands[1]))
            out.append((*start, *end))
            start = end
    return out


def content_box(layout: CardLayout, origin: tuple[float, float], page_h: float):
    """(left, bottom, right, top) in PDF points of the text area of the card at `origin`."""
    pad_x, pad_y = layout.pad
    left = (origin[0] + pad_x) * MM
    right = (origin[0] + layout.card_w - pad_x) * MM
    top = page_h - (origin[1] + pad_y) * MM
    bottom = page_h - (origin[1] + layout.card_h - pad_y) * MM
    return left, bottom, right, top


def cell_of(layout: CardLayout, run: Run, page_h: float) -> tuple[int, int]:
    """(row, column) of the grid cell holding a point, from the layout's geometry."""
    x_mm = run.x / MM
    y_mm = (page_h - run.y) / MM  # from the top
    col = int((x_mm - layout.x0) // layout.cell_w)
    row = int((y_mm - layout.y0) // layout.card_h)
    return row, col


# --------------------------------------------------------------------------------------------
# Fixtures


def read_deck(path: Path, shown: str | None = None) -> DeckInput:
    """A source on disk as the PDF writer gets it: parsed, its cards, the text as read."""
    doc, diags = parse_file(path, shown)
    assert doc is not None and not [d for d in diags if d.is_error], diags
    text, _ = read_text(path, shown or str(path))
    assert text is not None
    return DeckInput(doc, tuple(build_cards(doc)), text)


def deck_of(text: str, path: str) -> DeckInput:
    """A source's text as the PDF writer gets it."""
    doc, _ = parse_text(text, path)
    return DeckInput(doc, tuple(build_cards(doc)), text)


@pytest.fixture(scope="module")
def cognito() -> DeckInput:
    return read_deck(COGNITO, "sources/cognito-user-pools-vs-identity-pools.md")


@pytest.fixture(scope="module")
def sheet(cognito) -> bytes:
    data, diags = render_sheet(cognito, PdfOptions())
    assert diags == []
    return data


@pytest.fixture(scope="module")
def cards_pdf(cognito) -> bytes:
    data, diags = render_cards(cognito, PdfOptions())
    assert diags == []
    return data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> DeckInput:
    path = tmp_path_factory.mktemp("sources") / "hostile.md"
    path.write_text(HOSTILE.replace("{long}", LONG_VALUE), encoding="utf-8")
    return read_deck(path)


# --------------------------------------------------------------------------------------------
# The study sheet


def test_sheet_shows_every_fact_of_the_cognito_source(cognito, sheet):
    doc = cognito.doc
    text = all_text(sheet)
    comp = doc.comparisons[0]
    wanted = [plain(doc.title)]
    wanted += [plain(s.name) for s in comp.subjects]
    wanted += [plain(r.attribute) for r in comp.rows]
    wanted += [plain(t.title) for t in doc.traps if t.title]
    wanted += [plain(s.prompt) for s in doc.scenarios]
    wanted += [plain(r.tip) for r in comp.rows if r.tip]  # tips are visible
    wanted += [plain(n.title) for n in doc.notes]
    assert len(comp.rows) == 17 and len(doc.traps) == 7 and len(doc.scenarios) == 3
    missing = [w for w in wanted if w not in text]
    assert missing == []


def test_sheet_footer_has_page_numbers_and_the_source(cognito, sheet):
    doc = cognito.doc
    pages = reader(sheet).pages
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        text = norm(page.extract_text())
        assert f"page {n} of {len(pages)}" in text
        assert doc.source in text and doc.path in text


def test_sheet_repeats_the_table_header_after_a_page_break(cognito, sheet):
    doc = cognito.doc
    header = plain(doc.comparisons[0].attribute_header)
    page_two = runs(reader(sheet).pages[1])
    assert any(r.text == header for r in page_two)  # "Feature" heads the table on page 2 too


def sheet_sections(data: bytes, page_no: int) -> tuple[list[Run], list[Run], float]:
    """The runs below the table on one page of a sheet, split into the left and right column,
    and the middle of the page (in points)."""
    page = reader(data).pages[page_no]
    found = runs(page)
    width = float(page.mediabox.width)
    start = next(r.y for r in found if r.text in ("Scenarios", "Traps"))
    below = [r for r in found if r.y <= start + 1 and not r.text.startswith(("page ", "Source"))]
    below = [r for r in below if r.y > 17 * MM]  # not the footer
    middle = width / 2
    return [r for r in below if r.x < middle], [r for r in below if r.x >= middle], middle


def test_sheet_sections_share_both_columns():
    """Short scenarios, traps and summary are spread over both columns (they used to fill the
    left one only and leave the right half of the page blank)."""
    deck = deck_of(SHORT.format(more_traps=""), "sources/short.md")
    data, diags = render_sheet(deck, PdfOptions())
    assert diags == [] and len(reader(data).pages) == 1
    left, right, _ = sheet_sections(data, 0)
    assert left and right
    heights = [max(r.y for r in col) - min(r.y for r in col) for col in (left, right)]
    assert min(heights) > 0.5 * max(heights)  # as even as whole pieces allow
    text = norm(" ".join(r.text for r in left + right))
    for wanted in ("Scenarios", "Traps", "Remember", "Visibility timeout", "SQS subscribers"):
        assert wanted in text
    # reading order: the left column holds the first parts, the right one the rest
    assert norm(" ".join(r.text for r in left)).startswith("Scenarios")
    assert "Remember" in norm(" ".join(r.text for r in right))


def test_sheet_sections_longer_than_a_page_flow_across_pages():
    many = "".join(
        f"- **Trap {n}:** queue {n} keeps **{n * 7} messages** a while, and a few more words "
        "to make this about as long as a real trap note.\n"
        for n in range(70)
    )
    deck = deck_of(SHORT.format(more_traps=many), "sources/many.md")
    data, diags = render_sheet(deck, PdfOptions())
    pages = reader(data).pages
    assert diags == [] and len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert f"page {n} of {len(pages)}" in norm(page.extract_text())
    text = all_text(data)
    assert all(f"Trap {n} queue {n} keeps" in text for n in range(70))  # title, then text
    assert text.index("Trap 0 queue") < text.index("Trap 69 queue") < text.index("Remember")
    left, right, _ = sheet_sections(data, 0)
    assert left and right  # the first page's two columns are both used


def test_sheet_renders_inline_markdown(cognito, sheet):
    doc = cognito.doc
    found = [r for p in reader(sheet).pages for r in runs(p)]
    # trap cloze spans are bold
    cloze = plain(doc.traps[0].clozes[0])
    assert any(cloze in r.text and "Bold" in r.font for r in found)
    assert not any(r.text.startswith("**") for r in found)


def test_sheet_markdown_breaks_code_and_italic(hostile):
    data, _ = render_sheet(hostile, PdfOptions())
    found = [r for p in reader(data).pages for r in runs(p)]
    one = next(r for r in found if r.text == "line one")
    two = next(r for r in found if r.text == "line two")
    three = next(r for r in found if r.text == "line three")
    assert one.x == pytest.approx(two.x) == pytest.approx(three.x)
    assert one.y > two.y > three.y  # `<br>` and `<br/>` are line breaks
    assert any(r.text == "code" and "Mono" in r.font for r in found)
    assert any(r.text == "italic" and "Oblique" in r.font for r in found)
    assert any(r.text == "bold" and "Bold" in r.font for r in found)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_page_sizes(cognito, paper):
    for render in (render_sheet, render_cards):
        data, _ = render(cognito, PdfOptions(paper=paper))
        for page in reader(data).pages:
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            assert (w, h) == pytest.approx(PAPER_PT[paper], abs=0.05)


def test_typst_significant_characters_render_literally(hostile):
    data, diags = render_sheet(hostile, PdfOptions())
    text = all_text(data)
    for literal in [
        "#set page(width: 1cm) $x$ @ref <label> [link] \\ star",  # *star*: Markdown italic
        '#import "x"',
        "# escaped, a * star",
        "#let x = 1",
        "<b>tag</b> #strong[bold]",
        "\\ backslash | pipe",
        "Beta $y$",
        "Alpha",
        "tagline [x]",
        "Trap #1",
        "$HOME",
        "@user",
        "[hidden] * here",
        "Prompt with <angle> and [brackets] and \\ and @at",
        "≥ × → é “quotes” — dash ‘single’",
    ]:
        assert literal in text, literal
    # the title is text, not a `#set page` rule: the page keeps its size
    assert float(reader(data).pages[0].mediabox.width) == pytest.approx(595.28, abs=0.05)
    cards, _ = render_cards(hostile, PdfOptions())
    card_text = all_text(cards)
    assert "$HOME" in card_text and "@user" in card_text and "#strong[bold]" in card_text


def test_missing_glyphs_warn_with_the_source_line(hostile):
    doc = hostile.doc
    data, diags = render_sheet(hostile, PdfOptions())
    b201 = {d.loc.line: d for d in diags if d.code == "B201"}
    lines = HOSTILE.splitlines()
    where = {}
    # (Egyptian hieroglyphs: neither the bundled fonts nor any font CI installs has them)
    for ch in ("🚀", "𓀀", "🛫"):
        n = next(i for i, line in enumerate(lines) if ch in line)
        where[ch] = (n + 1, lines[n].index(ch) + 1)
    assert set(b201) == {line for line, _ in where.values()}
    for ch, (line, col) in where.items():
        d = b201[line]
        assert d.loc.path == doc.path and d.loc.col == col and not d.is_error
        assert f"U+{ord(ch):04X}" in d.message
    assert "dropped" in b201[where["🚀"][0]].message
    assert "U+13001" in b201[where["𓀀"][0]].message  # 𓀁, same line: one warning
    # the note's warning names its second line, not the heading
    assert lines[where["🛫"][0] - 1].startswith("the second")
    text = all_text(data)
    assert "🚀" not in text and "Hostile input:" in text  # dropped, no double space left
    assert "tip \ufffd\ufffd" in text  # shown as replacement characters, not as silent boxes
    # the cards report the same warnings (the build says them once)
    _, card_diags = render_cards(hostile, PdfOptions())
    assert {d for d in card_diags if d.code == "B201"} <= set(diags)


def test_common_typography_has_glyphs():
    have = coverage()
    for ch in "—–→←↔⇒×≥≤≠“”‘’«»éèêàçüöñÅ…•·°±½€£✓✗⚠★αβΩ":
        for face, cps in have.items():
            assert ord(ch) in cps, (ch, face)


# --------------------------------------------------------------------------------------------
# Cut-out cards


def test_printed_card_selection(cognito, cards_pdf):
    cards = cognito.cards
    chosen = printed_cards(cards)
    kinds = {c.kind for c in chosen}
    assert kinds == {"compare", "cloze", "scenario"}  # forward cards are covered by compare
    assert len(chosen) == 17 + 7 + 3
    text = all_text(cards_pdf)
    assert f"#{len(chosen)} / {len(chosen)}" in text


@pytest.mark.parametrize(
    ("paper", "size"), [("a4", "a7"), ("letter", "3x5in"), ("a4", "a8"), ("letter", "a7")]
)
def test_backs_sit_behind_their_fronts(cognito, paper, size):
    options = PdfOptions(paper=paper, card_size=size)
    layout = card_layout(options)
    assert layout.cols >= 2
    data, diags = render_cards(cognito, options)
    assert [d for d in diags if d.code not in ("B203", "B205")] == []
    pages = reader(data).pages
    total = len(printed_cards(cognito.cards))
    assert len(pages) == 2 * -(-total // layout.per_page)
    page_h = float(pages[0].mediabox.height)
    seen = 0
    for k in range(0, len(pages), 2):
        fronts, backs = labels(pages[k]), labels(pages[k + 1])
        assert fronts and set(fronts) == set(backs)
        seen += len(fronts)
        for n, front in fronts.items():
            r, c = cell_of(layout, front, page_h)
            assert (r, layout.cols - 1 - c) == cell_of(layout, backs[n], page_h)
            # exactly mirrored: same place within the card, same height
            shift = (layout.cols - 1 - 2 * c) * layout.card_w * MM
            assert backs[n].x - front.x == pytest.approx(shift, abs=0.05)
            assert backs[n].y == pytest.approx(front.y, abs=0.05)
    assert seen == total


def test_fronts_and_backs_alternate(cognito, cards_pdf):
    doc, cards = cognito.doc, cognito.cards
    chosen = printed_cards(cards)
    row_by_loc = {r.loc: r for r in doc.comparisons[0].rows}
    pages = reader(cards_pdf).pages
    for k in range(0, len(pages), 2):
        front_text = norm(pages[k].extract_text())
        back_text = norm(pages[k + 1].extract_text())
        for n in labels(pages[k]):
            card = chosen[n - 1]
            if card.kind == "compare":
                attribute = plain(row_by_loc[card.loc].attribute)
                assert attribute in front_text
                first_value = plain(card.columns[0][1])[:30]
                assert first_value in back_text and first_value not in front_text
            elif card.kind == "scenario":
                assert plain(card.prompt)[:30] in front_text
                assert plain(card.answer)[:20] in back_text
            elif card.kind == "cloze":
                revealed = norm(spans.plain(spans.cloze(card.prompt, reveal=True)))
                assert revealed[:40] in back_text
                # the deletions are blanks on the front: a deletion whose words appear nowhere
                # else in the trap is missing from the front card's text
                layout = card_layout(PdfOptions())
                page_h = float(pages[k].mediabox.height)
                cell = cell_of(layout, labels(pages[k])[n], page_h)
                on_card = norm(
                    " ".join(r.text for r in runs(pages[k]) if cell_of(layout, r, page_h) == cell)
                )
                on_card = on_card.replace(doc.deck.split("::")[-1], "")  # minus the footer
                assert "(1)" in on_card
                for hidden in doc_cloze(doc, card):
                    hidden = norm(spans.plain(spans.inline(hidden)))
                    if revealed.count(hidden) == 1:
                        assert hidden in back_text and hidden not in on_card


def doc_cloze(doc: Document, card: Card) -> tuple[str, ...]:
    return next(t.clozes for t in doc.traps if t.loc == card.loc)


def test_back_offset_moves_the_backs(cognito):
    dx, dy = 2.5, -1.5
    plain_pdf, _ = render_cards(cognito, PdfOptions())
    shifted_pdf, _ = render_cards(cognito, PdfOptions(back_offset_mm=(dx, dy)))
    a, b = reader(plain_pdf).pages, reader(shifted_pdf).pages
    assert len(a) == len(b)
    for k in range(len(a)):
        before, after = labels(a[k]), labels(b[k])
        assert set(before) == set(after)
        for n in before:
            if k % 2 == 0:  # fronts stay put
                assert (after[n].x, after[n].y) == pytest.approx((before[n].x, before[n].y))
            else:  # backs move dx right and dy down (PDF y grows upwards)
                assert after[n].x - before[n].x == pytest.approx(dx * MM, abs=0.02)
                assert after[n].y - before[n].y == pytest.approx(-dy * MM, abs=0.02)


def test_fold_layout_puts_front_and_back_side_by_side(cognito):
    options = PdfOptions(layout="fold")
    layout = card_layout(options)
    data, _ = render_cards(cognito, options)
    pages = reader(data).pages
    total = len(printed_cards(cognito.cards))
    assert len(pages) == -(-total // layout.per_page)
    for page in pages:
        pairs: dict[int, list[Run]] = {}
        for run in runs(page):
            m = LABEL.match(run.text)
            if m:
                pairs.setdefault(int(m.group(1)), []).append(run)
        for found in pairs.values():
            front, back = sorted(found, key=lambda r: r.x)
            assert back.x - front.x == pytest.approx(layout.card_w * MM, abs=0.05)
            assert back.y == pytest.approx(front.y, abs=0.05)
        assert "fold along the dotted" in norm(page.extract_text())


def test_card_pages_remind_to_print_at_actual_size(cards_pdf):
    pages = reader(cards_pdf).pages
    for page in pages[::2]:
        assert "Print at 100 % (actual size, no “fit to page”)" in norm(page.extract_text())


def test_long_text_shrinks_to_fit_its_card(hostile):
    options = PdfOptions()
    layout = card_layout(options)
    data, diags = render_cards(hostile, options)
    pages = reader(data).pages
    page_h = float(pages[0].mediabox.height)
    chosen = printed_cards(hostile.cards)
    long_card = next(n for n, c in enumerate(chosen, 1) if LONG_VALUE[:40] in c.answer)
    checked = 0
    for k, page in enumerate(pages):
        found = labels(page)
        if long_card not in found:
            continue
        cell = cell_of(layout, found[long_card], page_h)
        page_runs = runs(page)
        # every run whose start lies in that card's cell stays inside the card, and the
        # whole long value is there (nothing cut)
        inside = [r for r in page_runs if cell_of(layout, r, page_h) == cell]
        if k % 2:
            checked += 1
            text = norm(" ".join(r.text for r in inside))
            assert norm(LONG_VALUE)[-60:] in text.replace(" ", " ")
            origin = layout.back_origin(layout.cols * cell[0] + (layout.cols - 1 - cell[1]))
            left = origin[0] * MM
            right = left + layout.card_w * MM
            top = page_h - origin[1] * MM
            bottom = top - layout.card_h * MM
            for r in inside:
                assert left <= r.x < right and bottom < r.y < top
    assert checked == 1
    assert not [d for d in diags if d.is_error]


def test_text_too_long_to_be_legible_warns(hostile):
    doc = hostile.doc
    huge = doc.comparisons[0].rows[2]
    assert huge.attribute == "Long"
    options = PdfOptions(card_size="a8")
    _, diags = render_cards(hostile, options)
    b203 = [d for d in diags if d.code == "B203"]
    assert b203 and all(d.loc == huge.loc for d in b203)
    assert "needs" in b203[0].message and "--card-size" in b203[0].message


@pytest.mark.parametrize("size", ["a8", "a7", "30x45mm"])
def test_cloze_blanks_stay_inside_their_card(size):
    """A blank for a long deletion ("300 messages per second") is at most a line wide: it used
    to run past the cut line and the paper edge on A8 cards, its "(1)" label cut off."""
    text = SHORT.format(more_traps="")
    _, diags = parse_text(text, "sources/short.md")
    assert not [d for d in diags if d.is_error]
    deck = deck_of(text, "sources/short.md")
    options = PdfOptions(card_size=size)
    layout = card_layout(options)
    data, _ = render_cards(deck, options)
    chosen = printed_cards(deck.cards)
    fifo = next(n for n, c in enumerate(chosen, 1) if "300 messages" in c.prompt)
    page_no = 2 * ((fifo - 1) // layout.per_page)
    page = reader(data).pages[page_no]
    page_h = float(page.mediabox.height)
    box = content_box(layout, layout.front_origin((fifo - 1) % layout.per_page), page_h)
    left, bottom, right, top = box
    # the blanks are the short horizontal lines on the card (cut lines cross the whole page)
    blanks = [
        s
        for s in segments(page)
        if abs(s[1] - s[3]) < 0.01
        and abs(s[2] - s[0]) < layout.card_w * MM
        and bottom - 5 <= s[1] <= top
        and s[0] < right + layout.card_w * MM / 2
        and max(s[0], s[2]) > left - 1
    ]
    on_card = [s for s in blanks if left - 0.5 <= min(s[0], s[2])]
    assert len(on_card) >= 2  # (1) and (2)
    for x1, _, x2, _ in on_card:
        assert left - 0.5 <= min(x1, x2) and max(x1, x2) <= right + 0.5
    found = [r for r in runs(page) if bottom <= r.y <= top and left - 1 <= r.x < right]
    label_one = [r for r in found if r.text == "(1)"]
    assert label_one and all(r.x < right - 5 for r in label_one)


def test_words_too_wide_for_the_card_shrink_and_warn():
    """A word that cannot wrap is set small enough to fit the line (not over the card's edge);
    below the legible size the build says so (B203)."""
    word = "W" * 15  # no break points are added to words shorter than 16 characters
    text = f"# Wide\n\n| Feature | A | B |\n|---|---|---|\n| {word} | x | y |\n"
    options = PdfOptions(card_size="30x30mm")
    layout = card_layout(options)
    data, diags = render_cards(deck_of(text, "sources/wide.md"), options)
    page = reader(data).pages[0]
    page_h = float(page.mediabox.height)
    left, _, right, _ = content_box(layout, layout.front_origin(0), page_h)
    found = []

    def visit(text, cm, tm, _font, size):
        if text.strip() == word:
            found.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], size * tm[0]))

    page.extract_text(visitor_text=visit)
    assert len(found) == 1
    x, size = found[0]
    # one short line: only its width made it shrink; it is centred, so starting inside the
    # line's left end it also ends inside the right one
    assert left - 0.05 <= x < (left + right) / 2
    assert size < LEGIBLE_PT
    assert [d.code for d in diags] == ["B203"] and "the front needs" in diags[0].message


TIP_VALUE = (
    "This value is intentionally quite long so that it will need to wrap across many lines of a "
    "card: it describes at length how cross-account access works when both an identity-based "
    "policy in the trusting account and a resource-based policy in the resource's account have to "
    "allow the request, except when the resource-based policy names the principal directly, in "
    "which case only one of them is needed"
)
TIP_SOURCE = f"""\
# Tips

| Feature | IAM role | Resource policy | Exam tip |
|---|---|---|---|
| Long value | {TIP_VALUE} | Short and also some more words here to fill the card a little more \
than before, in a second paragraph that goes on for a while longer | Cross-account access needs \
both policies to allow the request |
"""


def sizes_on_page(page) -> dict[float, list[str]]:
    """Font size (pt, as drawn) -> the runs set in it."""
    found: dict[float, list[str]] = {}

    def visit(text, cm, tm, _font, size):
        if text.strip():
            found.setdefault(round(size * tm[0] * cm[0], 2), []).append(text.strip())

    page.extract_text(visitor_text=visit)
    return found


def test_a_tip_below_the_legible_size_warns():
    """The tip is set at 0.84 of the card's text: with the answer at 6.75 pt it is 5.67 pt, and
    B203 says so (it used to look at the answer's size only), naming the smallest size."""
    deck = deck_of(TIP_SOURCE, "sources/tips.md")
    data, diags = render_cards(deck, PdfOptions(card_size="a8"))
    back = sizes_on_page(reader(data).pages[1])
    answer = next(size for size, texts in back.items() if "IAM role" in texts)
    tip = next(size for size, texts in back.items() if "Tip:" in texts)
    assert answer >= LEGIBLE_PT > tip
    assert tip == pytest.approx(answer * SUB_REL, abs=0.01)
    b203 = [d for d in diags if d.code == "B203"]
    assert len(b203) == 1 and "the back needs" in b203[0].message
    # one decimal, rounded to the nearest (5.67 pt reads "5.7"), but never up to 6 pt or more
    said = float(re.search(r"needs (\d+\.\d+) pt", b203[0].message).group(1))
    assert said == pytest.approx(tip, abs=0.05) and said < LEGIBLE_PT
    # the same card on A7 is legible throughout: no warning
    data, diags = render_cards(deck, PdfOptions(card_size="a7"))
    assert [d for d in diags if d.code == "B203"] == []
    back = sizes_on_page(reader(data).pages[1])
    assert min(size for size, texts in back.items() if "Tip:" in texts) >= LEGIBLE_PT


@pytest.mark.parametrize(
    ("size", "said"),
    [(5.67, "5.7"), (5.94, "5.9"), (5.95, "5.95"), (5.99, "5.99"), (5.999, "5.99"), (4.0, "4.0")],
)
def test_b203_sizes_round_to_the_nearest_but_never_up_to_legible(size, said):
    """B203 names the size with one decimal, rounded to the nearest; a size just below 6 pt
    that would read "6.0" gets two decimals, rounded down ("needs 6.0 pt" would not be a
    reason to warn)."""
    assert typst_compile.pt_label(size) == said


BREAKS_SOURCE = """\
---
id: breaks
source: Break test
---

# Long words

| Feature | IAM role | Bucket | Exam tip |
|---|---|---|---|
| ARN | arn:aws:iam::123456789012:role/very-long-role-name-for-testing-wrapping | \
s3://my-extremely-long-bucket-name-with-many-dashes/prefix | \
Resourcebasedpolicieslivewiththeresource and AssumeRoleWithWebIdentity |
| Code | `arn:aws:sqs:eu-west-1:123456789012:queue-name-that-is-long` | \
Supercalifragilisticexpialidocious | Pneumonoultramicroscopicsilicovolcanoconiosis |
"""
LONG_WORDS = (
    "Resourcebasedpolicieslivewiththeresource",
    "AssumeRoleWithWebIdentity",
    "Supercalifragilisticexpialidocious",
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "arn:aws:iam::123456789012:role/very-long-role-name-for-testing-wrapping",
    "s3://my-extremely-long-bucket-name-with-many-dashes/prefix",
)


@pytest.mark.parametrize("size", ["a7", "a8"])
def test_break_opportunities_stay_out_of_the_text_layer(size):
    """Long words may break anywhere, but the marks that allow it (zero-width spaces, soft
    hyphens) are not text: copying or searching the PDF finds "Tip:" and the whole words (they
    used to come out as "Ti\\xadp:" and "Res\\xadourc\\xade…")."""
    deck = deck_of(BREAKS_SOURCE, "sources/breaks.md")
    for data in (
        render_sheet(deck, PdfOptions())[0],
        render_cards(deck, PdfOptions(card_size=size))[0],
    ):
        raw = "\n".join(p.extract_text() for p in reader(data).pages)
        assert spans.ZWSP not in raw and spans.SHY not in raw
        joined = "".join(raw.split())  # a word broken across lines joins up again
        for word in LONG_WORDS:
            assert word in joined
        lines = [line.strip() for line in raw.splitlines()]
        # (on a card, a word that fits a line at 8 pt or more is set whole: the face shrinks)
        assert len([w for w in LONG_WORDS if not any(w in line for line in lines)]) >= 2
        for a, b in zip(lines, lines[1:]):  # never between the two characters of "::", "//"
            assert not (a.endswith((":", "/")) and b.startswith((":", "/"))), (a, b)
    assert "Tip:" in all_text(data)


def test_break_marks_skip_double_colons_and_slashes():
    content = Content()
    loc = Loc("sources/x.md", 1, 1)
    (arn,) = content.inline("arn:aws:iam::123456789012:role/very-long-role-name", loc)
    assert arn["z"] == 1 and spans.SHY not in arn["t"]
    assert arn["t"].split(spans.ZWSP)[:4] == ["arn:", "aws:", "iam::", "123456789012:"]
    (url,) = content.inline("see s3://my-extremely-long-bucket-name/x", loc)
    assert url["t"].startswith("see s3://" + spans.ZWSP + "my-")
    (word,) = content.inline("Supercalifragilisticexpialidocious", loc)
    assert word["t"].replace(spans.ZWSP, "") == "Supercalifragilisticexpialidocious"
    assert spans.SHY not in word["t"] and word["t"].count(spans.ZWSP) > 10
    (short,) = content.inline("short words", loc)
    assert short == {"t": "short words"}


def test_sheet_footer_keeps_a_long_path_on_one_line():
    path = "sources/" + "a-rather-long-folder-name/" * 5 + "messaging-queues.md"
    data, diags = render_sheet(deck_of(SHORT.format(more_traps=""), path), PdfOptions())
    assert diags == []
    page = reader(data).pages[0]
    footer = [r for r in runs(page) if r.y < 17 * MM]
    shown = next(r for r in footer if r.text.endswith("messaging-queues.md"))
    assert shown.text.startswith("…/") and len(shown.text) <= FOOTER_PATH_CHARS
    assert path.endswith(shown.text[1:])
    assert any(r.text.startswith("Source:") for r in footer)


LONG_DECK = "Test::IAM Role ARNs vs S3 Bucket URLs vs KMS Key Policies and Grants"


@pytest.mark.parametrize(
    ("size", "layout_name"),
    [
        ("a8", "duplex"),
        ("a7", "duplex"),
        ("30x45mm", "duplex"),
        ("business", "fold"),
        ("a6", "duplex"),
    ],
)
def test_card_footer_stays_on_one_line(size, layout_name):
    """The deck name at the foot of a card is set smaller, and cut with "…" if need be, to stay
    on one line inside the card (on A8 it used to wrap: "… KMS Key" / "Poli…")."""
    text = SHORT.format(more_traps="").replace("deck: Test::Messaging", f"deck: {LONG_DECK}")
    options = PdfOptions(card_size=size, layout=layout_name)
    layout = card_layout(options)
    data, _ = render_cards(deck_of(text, "sources/short.md"), options)
    page = reader(data).pages[0]
    page_h = float(page.mediabox.height)
    left, bottom, right, _ = content_box(layout, layout.front_origin(0), page_h)
    found: list[tuple[str, float, float, float]] = []  # text, x, y, size

    def visit(text, cm, tm, _font, fsize):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and left - 1 <= x < right and bottom - 1 <= y < bottom + 15:
            found.append((text.strip(), x, y, fsize * tm[0] * cm[0]))

    page.extract_text(visitor_text=visit)
    found = [f for f in found if f[3] < 6]  # the footer, not a card text that ends near it
    assert found
    assert len({round(y, 1) for _, _, y, _ in found}) == 1  # one line
    shown = " ".join(t for t, *_ in found)
    name = LONG_DECK.split("::")[-1]
    if shown != name:
        assert shown.endswith("…") and name.startswith(shown[:-1].rstrip())
    assert all(x >= left - 0.05 and fsize <= 5.5 + 0.01 for _, x, _, fsize in found)
    assert min(fsize for *_, fsize in found) >= 4.5 - 0.01


def test_short_sheet_paragraphs_do_not_split_across_pages():
    """A short paragraph at the end of a page moves whole to the next one (with its heading)
    rather than leaving a line or two alone; the number of traps before it is varied so that
    it meets the page's end at every line."""
    summary = (
        "Alpha summary starts here and " + "goes on about queues and topics " * 7 + "Omega end."
    )
    pages_seen = set()
    for n in range(43, 53):  # (the paragraph meets the end of the first page in this range)
        more = "".join(
            f"- **Trap {k}:** a trap of about two lines in a column, {k}.\n" for k in range(n)
        )
        text = SHORT.format(more_traps=more).replace(
            "Queue work with SQS, broadcast with SNS.", summary
        )
        data, _ = render_sheet(deck_of(text, "sources/short.md"), PdfOptions())
        pages = [norm(p.extract_text()) for p in reader(data).pages]
        start = [i for i, t in enumerate(pages) if "Alpha summary" in t]
        end = [i for i, t in enumerate(pages) if "Omega end." in t]
        assert start == end, n
        pages_seen.add(start[0])
    assert pages_seen == {0, 1}  # the paragraph met the end of the first page


@pytest.mark.parametrize(
    ("paper", "size", "layout_name"),
    [
        ("a4", "a7", "duplex"),
        ("a4", "a6", "duplex"),
        ("a4", "a7", "fold"),
        ("a4", "70x99mm", "duplex"),
        ("letter", "a7", "duplex"),
    ],
)
def test_card_text_keeps_clear_of_the_paper_edge(cognito, paper, size, layout_name):
    """The grid may reach the paper edge (A7 on A4: 2 x 105 mm = 210 mm), but the text stays
    `PRINTABLE_MM` inside it, where printers can print at 100 %: left and right (the card's
    inner margin grows) and at the bottom (the "print at 100 %" line)."""
    options = PdfOptions(paper=paper, card_size=size, layout=layout_name)
    layout = card_layout(options)
    margin = PRINTABLE_MM
    assert layout.x0 + layout.pad[0] >= margin - 1e-6
    assert layout.y0 + layout.pad[1] >= margin - 1e-6
    data, _ = render_cards(cognito, options)
    pages = reader(data).pages[:4]
    pw = float(pages[0].mediabox.width)
    for page in pages:
        found = runs(page)
        assert found
        for r in found:
            assert margin * MM - 0.05 <= r.x <= pw - margin * MM
            assert r.y >= (margin + 0.5) * MM  # the baseline, with room for descenders


def test_renders_are_byte_identical(cognito, sheet, cards_pdf):
    assert render_sheet(cognito, PdfOptions())[0] == sheet
    assert render_cards(cognito, PdfOptions())[0] == cards_pdf
    # and in a fresh process (no cached compiler, fonts loaded again)
    code = (
        "import sys; from pathlib import Path; from cardgen.source import parse_file;"
        "from cardgen.cards import build_cards; from cardgen.writers.base import DeckInput;"
        "from cardgen.writers.pdf import *;"
        "doc, _ = parse_file(Path(sys.argv[1]), sys.argv[2]);"
        "deck = DeckInput(doc, tuple(build_cards(doc)), Path(sys.argv[1]).read_text());"
        "sys.stdout.buffer.write(render_cards(deck, PdfOptions())[0])"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(COGNITO),
            "sources/cognito-user-pools-vs-identity-pools.md",
        ],
        capture_output=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert out == cards_pdf


def test_no_printable_cards_still_gives_a_pdf():
    deck = deck_of("# Only notes\n\n## Summary\n\nJust text.\n", "sources/notes.md")
    data, diags = render_cards(deck, PdfOptions())
    assert diags == []
    assert "no printable cards" in all_text(data)
    data, diags = render_sheet(deck, PdfOptions())
    assert diags == [] and "Just text." in all_text(data)


# --------------------------------------------------------------------------------------------
# The writer interface


def test_writer_makes_the_sheet_then_the_cards(cognito, sheet, cards_pdf):
    writer = PdfWriter()
    assert writer.format == "pdf" and writer.options == PdfOptions()
    doc_id = cognito.doc.id
    assert writer.file_names(doc_id) == [f"{doc_id}.sheet.pdf", f"{doc_id}.cards.pdf"]
    out = writer.write(cognito)
    assert out.files == [(f"{doc_id}.sheet.pdf", sheet), (f"{doc_id}.cards.pdf", cards_pdf)]
    assert out.diagnostics == [] and out.counts is None and out.lock is None
    # the options it was made with reach both PDFs
    letter = PdfWriter(PdfOptions(paper="letter")).write(cognito)
    for _, data in letter.files:
        page = reader(data).pages[0]
        assert float(page.mediabox.width) == pytest.approx(PAPER_PT["letter"][0], abs=0.05)


def test_writer_says_each_diagnostic_once_in_order(hostile):
    """The sheet and the cards lack the same glyphs: the writer says each B201 once, the
    sheet's diagnostics first, then what only the cards had to say (B203 here)."""
    options = PdfOptions(card_size="a8")
    _, sheet_diags = render_sheet(hostile, options)
    _, card_diags = render_cards(hostile, options)
    out = PdfWriter(options).write(hostile)
    assert len(out.diagnostics) == len(set(out.diagnostics))
    assert out.diagnostics == sheet_diags + [d for d in card_diags if d not in sheet_diags]
    assert [d for d in out.diagnostics if d.code == "B201"] == [
        d for d in sheet_diags if d.code == "B201"
    ]
    assert any(d.code == "B203" for d in out.diagnostics)
    assert [name for name, _ in out.files] == PdfWriter().file_names("hostile")


def test_writer_leaves_out_a_pdf_typst_could_not_build(cognito, cards_pdf, monkeypatch):
    real = typst_compile.compile_pdf

    def sheet_fails(template, data, doc, what, fonts=()):
        if template == "sheet.typ":
            return real(template, {"unexpected": True}, doc, what, fonts)
        return real(template, data, doc, what, fonts)

    monkeypatch.setattr(typst_compile, "compile_pdf", sheet_fails)
    out = PdfWriter().write(cognito)
    assert out.files == [(f"{cognito.doc.id}.cards.pdf", cards_pdf)]
    assert [d.code for d in out.diagnostics] == ["B202"] and out.diagnostics[0].is_error


def test_missing_glyphs_are_located_in_the_text_given(tmp_path):
    """B201 finds the line and column in `DeckInput.text`, the text the document was parsed
    from: the source need not be on disk (and a file changed since is not read again)."""
    text = "# Glyphs\n\n## Summary\n\nA note over two lines,\nthe second with a 🛫 in it.\n"
    deck = deck_of(text, str(tmp_path / "gone.md"))  # no such file
    _, diags = render_sheet(deck, PdfOptions())
    (b201,) = [d for d in diags if d.code == "B201"]
    assert (b201.loc.line, b201.loc.col) == (6, text.splitlines()[5].index("🛫") + 1)


def test_importing_the_writer_does_not_load_typst():
    code = (
        "import sys; from cardgen.writers.pdf import PdfOptions, PdfWriter, parse_offset;"
        "PdfWriter(PdfOptions(card_size=\"a8\")); print('typst' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# Options and errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paper": "a3"}, "unknown paper"),
        ({"layout": "zigzag"}, "unknown layout"),
        ({"card_size": "huge"}, "unknown card size"),
        ({"card_size": "3x5"}, "did you mean 3x5in"),
        ({"card_size": "300x400mm"}, "too large"),
        ({"card_size": "a5", "layout": "fold"}, "side by side"),
        ({"back_offset_mm": (50.0, 0.0)}, "within"),
        ({"back_offset_mm": (float("nan"), 0.0)}, "within"),
    ],
)
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PdfOptions(**kwargs)


def test_card_sizes_set_how_many_fit():
    assert card_layout(PdfOptions(card_size="a7")).per_page == 6
    assert card_layout(PdfOptions(card_size="a8")).per_page == 12
    assert card_layout(PdfOptions(paper="letter", card_size="3x5in")).per_page == 4
    assert card_layout(PdfOptions(card_size="a7", layout="fold")).per_page == 3
    assert card_size_mm("3x5in") == (76.2, 127.0)
    assert card_size_mm("10 x 15 cm") == (100.0, 150.0)
    assert parse_offset("1.5, -0.5") == (1.5, -0.5)
    with pytest.raises(ValueError):
        parse_offset("1.5")


def test_typst_errors_become_diagnostics(cognito):
    doc = cognito.doc
    compiled = typst_compile.compile_pdf("sheet.typ", {"unexpected": True}, doc, "study sheet")
    data, diags = compiled.pdf, compiled.diagnostics
    assert data == b"" and compiled.compiler is None
    assert [d.code for d in diags] == ["B202"] and diags[0].is_error
    assert "study sheet" in diags[0].message and diags[0].loc == doc.loc
    # some Typst errors carry no message at all: the diagnostic still says something
    assert typst_compile.typst_message(RuntimeError("")) == "RuntimeError without a message"


def test_templates_ship_with_the_package():
    for name in ("sheet.typ", "cards.typ", "common.typ", "forget.typ"):
        assert (typst_compile.TEMPLATE_DIR / name).is_file()
        assert (Path(pdf.__file__).parent / name).is_file()  # beside the writer
    for face in FACES.values():
        assert (FONT_DIR / face).is_file()
    sources = "".join(
        (typst_compile.TEMPLATE_DIR / n).read_text() for n in ("sheet.typ", "cards.typ")
    )
    assert "@preview" not in sources and "sys.inputs.data" in sources
    package_data = (ROOT / "pyproject.toml").read_text()
    assert '"writers/pdf/*.typ"' in package_data and '"writers/pdf/fonts/*"' in package_data


# --------------------------------------------------------------------------------------------
# Spans (Markdown -> template input)


def test_spans_keep_markup_out_of_the_text():
    out = spans.inline("a **b** _c_ `d<br>e` f<br>g")
    assert out == [
        {"t": "a "},
        {"t": "b", "b": 1},
        {"t": " "},
        {"t": "c", "i": 1},
        {"t": " "},
        {"t": "d<br>e", "c": 1},
        {"t": " f"},
        {"br": 1},
        {"t": "g"},
    ]


def test_cloze_spans_blank_and_reveal():
    text = "User Pools issue **JWT tokens**; Identity Pools issue **AWS `STS` credentials**."
    front = spans.cloze(text, reveal=False)
    assert [s["blank"] for s in front if "blank" in s] == [1, 2]
    assert "JWT" not in spans.plain(front) and "STS" not in spans.plain(front)
    back = spans.cloze(text, reveal=True)
    assert (
        spans.plain(back)
        == "User Pools issue JWT tokens; Identity Pools issue AWS STS credentials."
    )
    assert all(s.get("u") for s in back if s.get("t") in ("JWT tokens", "STS"))


def test_long_words_get_break_opportunities():
    assert spans.breakable("short words") == "short words"
    camel = spans.breakable("AssumeRoleWithWebIdentity")
    assert camel.replace(spans.ZWSP, "") == "AssumeRoleWithWebIdentity" and spans.ZWSP in camel
    word = spans.breakable("Supercalifragilisticexpialidocious")
    assert spans.SHY in word
    assert spans.SHY not in spans.breakable("x" * 40, code=True)
