"""What a student notices at the printer (issue 15): the sheet and the cards read back with pypdf
(positions, sizes, fills) for the Cognito source and a three-subject fixture."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from cardgen.model import Loc
from cardgen.writers.base import DeckInput
from cardgen.writers.pdf import PdfOptions, card_layout, render_cards, render_sheet
from cardgen.writers.pdf.cards import versus
from cardgen.writers.pdf.content import Content
from cardgen.writers.pdf.fallback import (
    Fallback,
    fonts_fingerprint,
    language_of,
    system_font_files,
)
from cardgen.writers.pdf.sheet import trap_title

from .conftest import COGNITO, FIXTURES
from .test_pdf import deck_of, read_deck, segments

LOC = Loc("x.md", 1, 1)
THREE = FIXTURES / "print" / "messaging-three-subjects.md"
MM = 72 / 25.4
FOOTER_PT = 17 * MM  # the sheet's bottom margin: the footer (attribution, page numbers) is there


def sized_runs(data: bytes) -> list[list[tuple[str, float, float, float, str]]]:
    """Per page: every text run as (text, x, y, size in pt as printed, font name)."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        out: list[tuple[str, float, float, float, str]] = []

        def visit(text, cm, tm, font, size, out=out):
            if not text.strip():
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[3] or 1) * abs(cm[3] or 1)
            name = str(font.get("/BaseFont", "")) if font else ""
            out.append((text.strip(), x, y, round(size * scale, 2), name))

        page.extract_text(visitor_text=visit)
        pages.append(out)
    return pages


@pytest.fixture(scope="module")
def decks() -> dict[str, DeckInput]:
    return {
        "cognito": read_deck(COGNITO, "sources/cognito-user-pools-vs-identity-pools.md"),
        "three": read_deck(THREE, "tests/fixtures/print/messaging-three-subjects.md"),
    }


def sheet_of(deck: DeckInput, paper: str = "a4") -> bytes:
    data, diags = render_sheet(deck, PdfOptions(paper=paper))
    assert not [d for d in diags if d.code != "B201"], diags
    return data


# --------------------------------------------------------------------------------------------
# The sheet


def table_rows_per_page(data: bytes, attributes: list[str]) -> list[int]:
    """How many of the table's row labels (the first words of each attribute) start on each
    page, read at the attribute column's left edge."""
    out = []
    for runs in sized_runs(data):
        xs = [x for t, x, *_ in runs if t.startswith("Feature") or t.startswith("Attribute")]
        if not xs:
            out.append(0)
            continue
        left = min(xs)
        firsts = {a.split()[0] for a in attributes}
        found = [t for t, x, *_ in runs if abs(x - left) < 1 and t.split()[0] in firsts]
        out.append(len(found))
    return out


def long_table(n: int) -> str:
    rows = []
    for k in range(n):
        words = " ".join(["value words here"] * (3 + (k * 7) % 11))
        rows.append(f"| Row{k:02d} label | {words} | alpha beta {k} | tip {k} {words[:40]} |")
    return (
        "---\nid: long-table\n---\n\n# A long table\n\n## Comparison\n\n"
        "| Attribute | One | Two | Exam tip |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_no_table_page_holds_a_single_row_carried_over(decks, paper):
    for deck in decks.values():
        attributes = [r.attribute for c in deck.doc.comparisons for r in c.rows]
        counts = table_rows_per_page(sheet_of(deck, paper), attributes)
        assert sum(counts) == len(attributes)
        assert 1 not in counts[1:], counts
    for n in range(14, 34):
        deck = deck_of(long_table(n), f"long-{n}.md")
        counts = table_rows_per_page(sheet_of(deck, paper), [f"Row{k:02d}" for k in range(n)])
        assert sum(counts) == n
        assert 1 not in counts[1:], (n, counts)


def test_sheet_body_text_is_at_least_8_pt(decks):
    for paper in ("a4", "letter"):
        for deck in decks.values():
            for runs in sized_runs(sheet_of(deck, paper)):
                small = [(t, s) for t, _x, y, s, _f in runs if s < 8 and y > FOOTER_PT]
                assert small == []


def fill_greys(data: bytes) -> set[float]:
    """Every non-stroking grey level set on the sheet's pages (0 black .. 1 white)."""
    out = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
            if op in (b"scn", b"sc", b"g") and len(operands) == 1:
                out.add(round(float(operands[0]), 3))
    return out


def test_sheet_fills_are_at_least_10_percent_grey(decks):
    hostile = deck_of(
        "---\nid: code\n---\n\n# Code\n\n## Notes\n\nUse `aws sts get-caller-identity`.\n\n"
        "```\naws s3 ls\n```\n",
        "code.md",
    )
    for deck in (*decks.values(), hostile):
        greys = fill_greys(sheet_of(deck))
        assert greys and all(g <= 0.9 or g == 1 for g in greys), greys


def test_the_summary_comes_before_the_table(decks):
    for deck in decks.values():
        first = sized_runs(sheet_of(deck))[0]
        summary = next(y for t, _x, y, *_ in first if t == "Summary")
        header = next(y for t, _x, y, *_ in first if t.startswith("Feature"))
        assert summary > header  # PDF y grows upwards: higher on the page


def test_trap_titles_stand_on_their_own_line_larger_than_the_key_terms(decks):
    runs = [r for page in sized_runs(sheet_of(decks["cognito"])) for r in page]
    title = next(r for r in runs if r[0].startswith("CRITICAL DISTINCTION"))
    assert title[0] == "CRITICAL DISTINCTION" and title[3] == 9.0 and "Bold" in title[4]
    term = next(r for r in runs[runs.index(title) :] if r[0].startswith("JWT tokens"))
    assert term[3] == 8.5 and term[2] < title[2] - 5  # on the line below, smaller
    derived = next(r for r in runs if r[0].startswith("UNAUTHENTICATED (GUEST) ACCESS"))
    assert derived[0] == "UNAUTHENTICATED (GUEST) ACCESS" and derived[3] == 9.0


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "",
            "UNAUTHENTICATED (GUEST) ACCESS requires Identity Pools.",
            ("UNAUTHENTICATED (GUEST) ACCESS", "Requires Identity Pools."),
        ),
        (
            "",
            "LAMBDA TRIGGERS are ONLY on **User Pools**.",
            ("LAMBDA TRIGGERS", "Are ONLY on **User Pools**."),
        ),
        (
            "",
            "SNS DOES NOT STORE MESSAGES: a subscriber that is down misses it.",
            ("SNS DOES NOT STORE MESSAGES", "A subscriber that is down misses it."),
        ),
        ("Given", "KEEP IT as it is", ("Given", "KEEP IT as it is")),
        ("", "AWS is short", ("", "AWS is short")),
        ("", "**BOLD** stays", ("", "**BOLD** stays")),
    ],
)
def test_untitled_traps_take_their_opening_capitals_as_title(title, text, expected):
    assert trap_title(title, text) == expected


# --------------------------------------------------------------------------------------------
# Words broken only where wider than their line

_TARGET = re.compile(r"[A-Za-z]+(?:[-/][A-Za-z]+)+|[A-Z][a-z]+(?:[A-Z][a-z]+){2,}")


def broken_words(data: bytes, deck: DeckInput) -> list[str]:
    """Words of the source with break opportunities inside (hyphens, slashes, camelCase humps)
    and the subjects' names, wherever a page's text has them split over two lines."""
    words = set(_TARGET.findall(deck.text))
    names = {s.name for c in deck.doc.comparisons for s in c.subjects}
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        text = page.extract_text()
        joined, lines = text.replace("\n", ""), text.split("\n")
        out += [w for w in words if joined.count(w) > text.count(w)]
        one = " ".join(" ".join(lines).split())
        out += [n for n in names if one.count(n) > sum(line.count(n) for line in lines)]
    return out


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_words_break_only_where_wider_than_their_line(decks, paper):
    for deck in decks.values():
        assert broken_words(sheet_of(deck, paper), deck) == []
        for size in ("a7", "a8", "index"):
            data, _ = render_cards(deck, PdfOptions(paper=paper, card_size=size))
            assert broken_words(data, deck) == [], size


def test_a_word_wider_than_its_line_still_breaks():
    word = "Averyveryverylongwordwithoutanybreaks" * 2
    deck = deck_of(
        f"---\nid: wide\n---\n\n# Wide\n\n| F | A | B |\n|---|---|---|\n| {word} | x | y |\n",
        "wide.md",
    )
    text = PdfReader(io.BytesIO(sheet_of(deck))).pages[0].extract_text()
    assert word not in text and word in text.replace("\n", "")


def test_a_vs_b_breaks_at_vs_on_card_fronts(decks):
    for size in ("a7", "a8", "index"):
        data, _ = render_cards(decks["cognito"], PdfOptions(card_size=size))
        lines = PdfReader(io.BytesIO(data)).pages[0].extract_text().split("\n")
        versus = [line for line in lines if "vs" in line.split()]
        assert versus
        for line in versus:
            assert line.startswith("vs ") or line == "Cognito User Pools vs Identity Pools"


def test_subject_names_are_kept_spans():
    content = Content(keep=["Identity Pools", "Cognito User Pools", "SQS"])
    spans = content.inline("Use **Identity Pools** or Cognito User Pools, not SQS.", LOC)
    assert [s for s in spans if s.get("k")] == [
        {"t": "Identity Pools", "b": 1, "k": 1},
        {"t": "Cognito User Pools", "k": 1},
    ]
    assert versus(["A one", "B two", "C"], LOC, content) == [
        {"t": "A one", "k": 1},
        {"t": " "},
        {"t": "vs B two", "k": 1},
        {"t": " "},
        {"t": "vs C", "k": 1},
    ]


# --------------------------------------------------------------------------------------------
# Cards

BLANK = re.compile(r"^\(\d+\)$")  # a cloze blank's number: part of the blank, not text


def card_texts(page_runs, layout, page_h):
    """The runs of a card page by grid cell, without labels (header, footer: below 6.6 pt) and
    blank numbers."""
    cells: dict[tuple[int, int], list] = {}
    for run in page_runs:
        text, x, y, size, _font = run
        if size < 6.6 or BLANK.match(text):
            continue
        row = int(((page_h - y) / MM - layout.y0) // layout.card_h)
        col = int((x / MM - layout.x0) // layout.cell_w)
        cells.setdefault((row, col), []).append(run)
    return cells


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("size", ["a7", "a8", "index"])
def test_fronts_one_alignment_and_at_most_three_sizes_a_page(decks, paper, size):
    options = PdfOptions(paper=paper, card_size=size)
    layout = card_layout(options)
    for deck in decks.values():
        data, _ = render_cards(deck, options)
        pages = sized_runs(data)
        page_h = float(PdfReader(io.BytesIO(data)).pages[0].mediabox.height)
        for runs in pages[::2]:  # the fronts
            cells = card_texts(runs, layout, page_h)
            sizes = {r[3] for rs in cells.values() for r in rs}
            assert len(sizes) <= 3, sizes
            for (_row, col), rs in cells.items():
                left = (layout.x0 + col * layout.card_w + layout.pad[0]) * MM
                assert min(r[1] for r in rs) == pytest.approx(left, abs=0.5)  # set left


def test_short_answers_are_centred_and_large(decks):
    options = PdfOptions()
    layout = card_layout(options)
    data, _ = render_cards(decks["cognito"], options)
    backs = [r for page in sized_runs(data)[1::2] for r in page]
    answer = next(r for r in backs if r[0] == "Identity Pools" and r[3] > 11)  # "Identity Pools."
    assert answer[3] == 14.0  # as large as a front (a long back is at most 11 pt)
    col = int((answer[1] / MM - layout.x0) // layout.card_w)
    left = (layout.x0 + col * layout.card_w + layout.pad[0]) * MM
    assert answer[1] > left + 15 * MM  # centred in the 65 mm line, not at its left edge


@pytest.mark.parametrize("size", ["a7", "a8", "index"])
def test_every_back_names_its_front(decks, size):
    options = PdfOptions(card_size=size)
    deck = decks["cognito"]
    data, _ = render_cards(deck, options)
    reader = PdfReader(io.BytesIO(data))
    attributes = [r.attribute for r in deck.doc.comparisons[0].rows]
    said = []
    for page in reader.pages[1::2]:
        lines = page.extract_text().split("\n")
        labels = [line for line in lines if re.search(r"#\d+ / \d+$", line.strip())]
        named = [line for line in lines if line.startswith("Q: ")]
        assert len(named) == len(labels) > 0
        said += named
    assert [q for q in said if q[3:] in attributes][:3] == [f"Q: {a}" for a in attributes[:3]]
    assert any(q.startswith("Q: Does the question involve") for q in said)


def crosses(page) -> set[tuple[float, float]]:
    """Centres (mm from the top-left corner) of the registration crosses on a page: a
    horizontal and a vertical line of 5 mm with the same midpoint."""
    h = float(page.mediabox.height)
    lines = [
        ((x1 + x2) / 2 / MM, (h - (y1 + y2) / 2) / MM, abs(x2 - x1) / MM, abs(y2 - y1) / MM)
        for x1, y1, x2, y2 in segments(page)
    ]
    hs = {(round(x, 2), round(y, 2)) for x, y, w, t in lines if abs(w - 5) < 0.01 and t < 0.01}
    vs = {(round(x, 2), round(y, 2)) for x, y, w, t in lines if abs(t - 5) < 0.01 and w < 0.01}
    return hs & vs


@pytest.mark.parametrize("offset", [(0.0, 0.0), (1.5, -0.5)])
@pytest.mark.parametrize(("paper", "size"), [("a4", "a7"), ("letter", "a8"), ("a4", "index")])
def test_backs_carry_registration_marks_at_the_mirrored_points(decks, offset, paper, size):
    options = PdfOptions(paper=paper, card_size=size, back_offset_mm=offset)
    layout = card_layout(options)
    data, _ = render_cards(decks["cognito"], options)
    pages = PdfReader(io.BytesIO(data)).pages
    fronts, backs = crosses(pages[0]), crosses(pages[1])
    assert fronts and backs
    corners = {
        (round(layout.x0 + i * layout.card_w, 2), round(layout.y0 + j * layout.card_h, 2))
        for i in range(layout.cols + 1)
        for j in range(layout.rows + 1)
    }
    assert fronts <= corners  # where the cut lines cross
    mirrored = {(round(layout.paper_w - x, 2), y) for x, y in fronts}
    moved = {(round(x + offset[0], 2), round(y + offset[1], 2)) for x, y in mirrored}
    assert backs == {c for c in moved if c in backs} and len(backs) >= len(fronts) - 2
    assert backs <= {(round(x + offset[0], 2), round(y + offset[1], 2)) for x, y in corners}


def test_dense_cards_warn_naming_the_card_and_a_larger_size(decks):
    deck = decks["cognito"]
    _, diags = render_cards(deck, PdfOptions(card_size="a8"))
    dense = [d for d in diags if d.code == "B205"]
    assert any("the-1-exam-trap" in d.message and "front" in d.message for d in dense)
    assert all("(a7)" in d.message and "shorten" in d.message for d in dense)
    assert all(re.search(r"set at [67]\.\d pt", d.message) for d in dense)
    _, diags = render_cards(deck, PdfOptions(card_size="a7"))
    assert diags == []


# --------------------------------------------------------------------------------------------
# Scripts beyond the bundled fonts (CI installs Debian's fonts-noto-cjk)

JAPANESE = FIXTURES / "print" / "japanese-particles.md"
needs_cjk = pytest.mark.skipif(
    not any("NotoSansCJK" in p.name for p in system_font_files()),
    reason="needs Debian's fonts-noto-cjk (.ci/run installs it)",
)


def fonts_in(data: bytes) -> set[str]:
    out = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            out.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return out


@needs_cjk
def test_japanese_prints_with_a_system_font_in_japanese_forms():
    deck = read_deck(JAPANESE, "tests/fixtures/print/japanese-particles.md")
    for render in (render_sheet, render_cards):
        data, diags = render(deck, PdfOptions())
        assert diags == []  # no B201: a font has every kana and kanji
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        assert "は" in text and "が" in text and "\ufffd" not in text
        assert "私は学生です" in text.replace("\n", "")
        assert any(f.startswith("NotoSansCJKjp") for f in fonts_in(data))  # Japanese forms
        assert "DejaVuSansCondensed" in fonts_in(data)  # Latin text stays in the bundled font


@needs_cjk
def test_the_language_picks_the_regional_forms():
    assert Fallback(lang="ja").family_for("漢") == "Noto Sans CJK JP"
    assert Fallback(lang="ko").family_for("漢") == "Noto Sans CJK KR"
    assert Fallback(lang="zh").family_for("漢") == "Noto Sans CJK SC"
    assert language_of("猫が好き") == "ja" and language_of("한국어 漢") == "ko"
    assert language_of("汉字") == "zh" and language_of("plain") == ""


def test_a_character_no_font_has_still_warns():
    deck = deck_of("---\nid: glyphs\n---\n\n# Hieroglyph 𓀀 here\n", "glyphs.md")
    _, diags = render_sheet(deck, PdfOptions())
    assert [d.code for d in diags] == ["B201"]
    assert "no font has a glyph for '𓀀' (U+13000" in diags[0].message


@needs_cjk
def test_output_is_unchanged_when_the_bundled_fonts_suffice(decks):
    """A --font file (and the system's fonts) are looked at only for characters the bundled
    fonts lack: a Latin source gives the same bytes with them as without."""
    cjk = next(str(p) for p in system_font_files() if p.name == "NotoSansCJK-Regular.ttc")
    deck = decks["cognito"]
    plain = render_sheet(deck, PdfOptions())[0], render_cards(deck, PdfOptions())[0]
    with_font = PdfOptions(fonts=(cjk,))
    assert (render_sheet(deck, with_font)[0], render_cards(deck, with_font)[0]) == plain
    assert "NotoSans" not in " ".join(fonts_in(plain[0]) | fonts_in(plain[1]))


def test_a_font_file_given_is_searched_first(tmp_path):
    font = tmp_path / "DejaVuSans-copy.ttf"
    bundled = FIXTURES.parent.parent / "cardgen/writers/pdf/fonts/DejaVuSansCondensed.ttf"
    font.write_bytes(bundled.read_bytes())
    fallback = Fallback(extra=(str(font),))
    # the bundled family is never a fallback (it would take the bundled faces' place)
    assert fallback.family_for("𓀀") is None and fallback.chosen == {}
    with pytest.raises(ValueError, match="not found"):
        PdfOptions(fonts=(str(tmp_path / "missing.ttf"),))


def test_installed_fonts_are_part_of_the_build_cache_key(tmp_path):
    font = tmp_path / "extra.ttf"
    font.write_bytes(b"not really a font")
    assert fonts_fingerprint(()) != fonts_fingerprint((str(font),))
    assert fonts_fingerprint(()) == fonts_fingerprint(())
