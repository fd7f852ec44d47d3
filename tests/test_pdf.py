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

from cardgen import spans
from cardgen.cards import build_cards
from cardgen.model import Card, Document
from cardgen.parse import parse_file, parse_text
from cardgen.writers import pdf
from cardgen.writers.pdf import PdfOptions, card_layout, printed_cards, render_cards, render_sheet

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
| Hash #set | uses `#let x = 1` and <b>tag</b> #strong[bold] | \\\\ backslash \\| pipe | tip 漢字 |
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
    """Extracted text made comparable: no break opportunities, hyphenated line ends joined,
    whitespace collapsed."""
    text = text.replace(spans.ZWSP, "").replace(spans.SHY, "")
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


def cell_of(layout: pdf.CardLayout, run: Run, page_h: float) -> tuple[int, int]:
    """(row, column) of the grid cell holding a point, from the layout's geometry."""
    x_mm = run.x / MM
    y_mm = (page_h - run.y) / MM  # from the top
    col = int((x_mm - layout.x0) // layout.cell_w)
    row = int((y_mm - layout.y0) // layout.card_h)
    return row, col


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def cognito() -> tuple[Document, list[Card]]:
    doc, diags = parse_file(COGNITO, "sources/cognito-user-pools-vs-identity-pools.md")
    assert doc is not None and not [d for d in diags if d.is_error]
    return doc, build_cards(doc)


@pytest.fixture(scope="module")
def sheet(cognito) -> bytes:
    data, diags = render_sheet(*cognito, PdfOptions())
    assert diags == []
    return data


@pytest.fixture(scope="module")
def cards_pdf(cognito) -> bytes:
    data, diags = render_cards(*cognito, PdfOptions())
    assert diags == []
    return data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Document, list[Card]]:
    path = tmp_path_factory.mktemp("sources") / "hostile.md"
    path.write_text(HOSTILE.replace("{long}", LONG_VALUE), encoding="utf-8")
    doc, diags = parse_file(path)
    assert not [d for d in diags if d.is_error], diags
    return doc, build_cards(doc)


# --------------------------------------------------------------------------------------------
# The study sheet


def test_sheet_shows_every_fact_of_the_cognito_source(cognito, sheet):
    doc, _ = cognito
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
    doc, _ = cognito
    pages = reader(sheet).pages
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        text = norm(page.extract_text())
        assert f"page {n} of {len(pages)}" in text
        assert doc.source in text and doc.path in text


def test_sheet_repeats_the_table_header_after_a_page_break(cognito, sheet):
    doc, _ = cognito
    header = plain(doc.comparisons[0].attribute_header)
    page_two = runs(reader(sheet).pages[1])
    assert any(r.text == header for r in page_two)  # "Feature" heads the table on page 2 too


def test_sheet_renders_inline_markdown(cognito, sheet):
    doc, _ = cognito
    found = [r for p in reader(sheet).pages for r in runs(p)]
    # trap cloze spans are bold
    cloze = plain(doc.traps[0].clozes[0])
    assert any(cloze in r.text and "Bold" in r.font for r in found)
    assert not any(r.text.startswith("**") for r in found)


def test_sheet_markdown_breaks_code_and_italic(hostile):
    data, _ = render_sheet(*hostile, PdfOptions())
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
        data, _ = render(*cognito, PdfOptions(paper=paper))
        for page in reader(data).pages:
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            assert (w, h) == pytest.approx(PAPER_PT[paper], abs=0.05)


def test_typst_significant_characters_render_literally(hostile):
    data, diags = render_sheet(*hostile, PdfOptions())
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
    cards, _ = render_cards(*hostile, PdfOptions())
    card_text = all_text(cards)
    assert "$HOME" in card_text and "@user" in card_text and "#strong[bold]" in card_text


def test_missing_glyphs_warn_with_the_source_line(hostile):
    doc, _ = hostile
    data, diags = render_sheet(*hostile, PdfOptions())
    b201 = {d.loc.line: d for d in diags if d.code == "B201"}
    lines = HOSTILE.splitlines()
    where = {}
    for ch in ("🚀", "漢", "🛫"):
        n = next(i for i, line in enumerate(lines) if ch in line)
        where[ch] = (n + 1, lines[n].index(ch) + 1)
    assert set(b201) == {line for line, _ in where.values()}
    for ch, (line, col) in where.items():
        d = b201[line]
        assert d.loc.path == doc.path and d.loc.col == col and not d.is_error
        assert f"U+{ord(ch):04X}" in d.message
    assert "dropped" in b201[where["🚀"][0]].message
    assert "U+5B57" in b201[where["漢"][0]].message  # 字, same line: one warning
    # the note's warning names its second line, not the heading
    assert lines[where["🛫"][0] - 1].startswith("the second")
    text = all_text(data)
    assert "🚀" not in text and "Hostile input:" in text  # dropped, no double space left
    assert "tip \ufffd\ufffd" in text  # shown as replacement characters, not as silent boxes
    # the cards report the same warnings (the build says them once)
    _, card_diags = render_cards(*hostile, PdfOptions())
    assert {d for d in card_diags if d.code == "B201"} <= set(diags)


def test_common_typography_has_glyphs():
    have = pdf.coverage()
    for ch in "—–→←↔⇒×≥≤≠“”‘’«»éèêàçüöñÅ…•·°±½€£✓✗⚠★αβΩ":
        for face, cps in have.items():
            assert ord(ch) in cps, (ch, face)


# --------------------------------------------------------------------------------------------
# Cut-out cards


def test_printed_card_selection(cognito, cards_pdf):
    doc, cards = cognito
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
    data, diags = render_cards(*cognito, options)
    assert [d for d in diags if d.code != "B203"] == []
    pages = reader(data).pages
    total = len(printed_cards(cognito[1]))
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
    doc, cards = cognito
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
    plain_pdf, _ = render_cards(*cognito, PdfOptions())
    shifted_pdf, _ = render_cards(*cognito, PdfOptions(back_offset_mm=(dx, dy)))
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
    data, _ = render_cards(*cognito, options)
    pages = reader(data).pages
    total = len(printed_cards(cognito[1]))
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
    data, diags = render_cards(*hostile, options)
    pages = reader(data).pages
    page_h = float(pages[0].mediabox.height)
    chosen = printed_cards(hostile[1])
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
    doc, cards = hostile
    huge = doc.comparisons[0].rows[2]
    assert huge.attribute == "Long"
    options = PdfOptions(card_size="a8")
    _, diags = render_cards(doc, cards, options)
    b203 = [d for d in diags if d.code == "B203"]
    assert b203 and all(d.loc == huge.loc for d in b203)
    assert "needs" in b203[0].message and "--card-size" in b203[0].message


def test_renders_are_byte_identical(cognito, sheet, cards_pdf):
    assert render_sheet(*cognito, PdfOptions())[0] == sheet
    assert render_cards(*cognito, PdfOptions())[0] == cards_pdf
    # and in a fresh process (no cached compiler, fonts loaded again)
    code = (
        "import sys; from pathlib import Path; from cardgen.parse import parse_file;"
        "from cardgen.cards import build_cards; from cardgen.writers.pdf import *;"
        "doc, _ = parse_file(Path(sys.argv[1]), sys.argv[2]);"
        "sys.stdout.buffer.write(render_cards(doc, build_cards(doc), PdfOptions())[0])"
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
    doc, _ = parse_text("# Only notes\n\n## Summary\n\nJust text.\n", "sources/notes.md")
    data, diags = render_cards(doc, build_cards(doc), PdfOptions())
    assert diags == []
    assert "no printable cards" in all_text(data)
    data, diags = render_sheet(doc, [], PdfOptions())
    assert diags == [] and "Just text." in all_text(data)


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
    assert pdf.card_size_mm("3x5in") == (76.2, 127.0)
    assert pdf.card_size_mm("10 x 15 cm") == (100.0, 150.0)
    assert pdf.parse_offset("1.5, -0.5") == (1.5, -0.5)
    with pytest.raises(ValueError):
        pdf.parse_offset("1.5")


def test_typst_errors_become_diagnostics(cognito):
    doc, _ = cognito
    data, diags, _ = pdf._compile("sheet.typ", {"unexpected": True}, doc, "study sheet")
    assert data == b""
    assert [d.code for d in diags] == ["B202"] and diags[0].is_error
    assert "study sheet" in diags[0].message and diags[0].loc == doc.loc
    # some Typst errors carry no message at all: the diagnostic still says something
    assert pdf._typst_message(RuntimeError("")) == "RuntimeError without a message"


def test_templates_ship_with_the_package():
    for name in ("sheet.typ", "cards.typ", "common.typ"):
        assert (Path(pdf.__file__).parent / name).is_file()
    for face in pdf.FACES.values():
        assert (pdf.FONT_DIR / face).is_file()
    sources = "".join(
        (Path(pdf.__file__).parent / n).read_text() for n in ("sheet.typ", "cards.typ")
    )
    assert "@preview" not in sources and "sys.inputs.data" in sources
    package_data = (ROOT / "pyproject.toml").read_text()
    assert '"writers/*.typ"' in package_data and '"writers/fonts/*"' in package_data


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
