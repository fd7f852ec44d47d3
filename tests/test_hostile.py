"""Broken and hostile input (issue 8, the parser side): each input of the corpus with the outcome
expected for it, a diagnostic code or success, and, for hostile text, proof that nothing escapes:
the text reaches Anki (a real collection renders the cards) and the PDF (read back with pypdf)
as text, never as HTML, template, cloze, media or Typst code.

Small inputs live in `tests/fixtures/hostile/`; big ones are generated in `tmp_path` (no
multi-MB files in the repository). Time and memory on the big inputs are measured outside the
tests (docs/source-format.md#limits): tests assert outcomes, never timings.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cardgen.pipeline import check as check_sources
from cardgen.source import MAX_FRONT_MATTER_BYTES, MAX_SOURCE_LINES, document_json, parse_file

from .conftest import COGNITO, FIXTURES, anki_collection, anki_import, cli

HOSTILE = FIXTURES / "hostile"
SCENARIO = "\n\n## Decision tree\n\n- After the hostile part? → still read\n"


# --------------------------------------------------------------------------------------------
# The corpus: name -> (how to make it in a folder, expected P codes; empty = success)


def copy(name: str) -> Callable[[Path], None]:
    return lambda folder: shutil.copy(HOSTILE / name, folder / name)


def text(name: str, make: Callable[[], str]) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(make(), encoding="utf-8")


def wide_table() -> str:
    n = 1_000
    head = "| Feature | " + " | ".join(f"S{i}" for i in range(n)) + " |"
    rule = "|" + "---|" * (n + 1)
    row = "| Row | " + " | ".join(f"v{i}" for i in range(n)) + " |"
    return f"# Wide\n\n{head}\n{rule}\n{row}\n{SCENARIO}"


def long_table() -> str:
    rows = "".join(f"| Row {i} | a{i} | b{i} |\n" for i in range(100_000))
    return f"# Long\n\n| Feature | A | B |\n|---|---|---|\n{rows}"


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\n---\n# Bomb" + SCENARIO


def fifo(folder: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(folder / "fifo.md")


def symlink_out(folder: Path) -> None:
    outside = folder.parent / "outside.md"
    outside.write_text("# Outside\n" + SCENARIO, encoding="utf-8")
    (folder / "link.md").symlink_to(outside)


def duplicate_ids(folder: Path) -> None:
    for name in ("one.md", "two.md"):
        (folder / name).write_text(f"---\nid: same-deck\n---\n# {name}{SCENARIO}", "utf-8")


CORPUS: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "empty file": (copy("empty.md"), {"P020", "P021"}),  # warnings: a deck with nothing in it
    "binary data": (copy("binary.md"), {"P002"}),
    "not UTF-8": (copy("not-utf8.md"), {"P002"}),
    "a FIFO named .md": (fifo, {"P001"}),
    "1,000-column table": (text("wide.md", wide_table), {"P108"}),
    "100,000-row table": (text("long.md", long_table), {"P003"}),
    "5 MB single line": (text("line.md", lambda: "# Line\n\n" + "word " * 1_000_000), {"P003"}),
    "20,001 lines": (text("lines.md", lambda: "# L\n" + "x\n" * MAX_SOURCE_LINES), {"P003"}),
    "10,000 nested block quotes": (
        text("quotes.md", lambda: "# Q\n\n" + ">" * 10_000 + " deep\n" + SCENARIO),
        {"P130"},
    ),
    "10,000 nested lists": (
        text("lists.md", lambda: "# L\n\n" + "- " * 10_000 + "deep\n"),
        {"P130", "P021"},
    ),
    "600 nested lists, indented": (
        text("indented.md", lambda: "# L\n\n" + "".join(" " * i + "- x\n" for i in range(0, 600))),
        {"P130", "P021"},
    ),
    "YAML alias bomb": (text("bomb.md", alias_bomb), {"P013"}),
    "YAML nested 5,000 deep": (
        text("deep.md", lambda: "---\nt: " + "[" * 5000 + "]" * 5000 + "\n---\n# D" + SCENARIO),
        {"P010"},
    ),
    "front matter over 64 KiB": (
        text("fm.md", lambda: "---\nsource: " + "x" * MAX_FRONT_MATTER_BYTES + "\n---\n# F"),
        {"P010", "P021"},
    ),
    "symlink out of the sources folder": (symlink_out, {"P004"}),
    "image paths that climb out or are absolute": (copy("images-out.md"), {"P120"}),
    "HTML and <script> in every field": (copy("html-everywhere.md"), set()),
    "Typst-significant characters everywhere": (copy("typst-everywhere.md"), set()),
    "Anki template and cloze syntax in values": (copy("anki-syntax.md"), set()),
    "subject and attribute empty after trimming": (copy("empty-after-trim.md"), {"P105"}),
    "duplicate deck ids across two sources": (duplicate_ids, {"P022"}),
    "200,000 blanks inside a cell": (
        text(
            "blanks.md",
            lambda: (
                "# B\n\n| F | A"
                + " " * 200_000
                + "— b {#a} |\n|---|---|\n| r"
                + " " * 200_000
                + "x | v |\n"
            ),
        ),
        set(),
    ),
    "control characters in values": (
        text(
            "control.md",
            lambda: "# C\x07\n\n| F | A\x1b[31m |\n|---|---|\n| r\x08 | v\x7f\x0c |\n",
        ),
        set(),
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_corpus_outcome(tmp_path: Path, case: str) -> None:
    make, expected = CORPUS[case]
    folder = tmp_path / "sources"
    folder.mkdir()
    make(folder)
    checked = check_sources([folder])
    codes = {d.code for d in checked.diagnostics if d.code.startswith("P")}
    assert codes == expected, [d.format() for d in checked.diagnostics]
    for d in checked.diagnostics:
        assert d.loc.line >= 1 and d.loc.col >= 1 and len(d.message) < 300, d
    # Success means a document with facts and no error; a P error means nothing gets built.
    errors = [d for d in checked.diagnostics if d.is_error]
    assert bool(errors) == bool(expected - {"P020", "P021"})
    r = cli("check", "--ignore", "L", str(folder))
    assert r.exit_code == (1 if errors else 0), r.output
    assert "Traceback" not in r.output


def test_content_after_deep_block_quotes_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "q.md"
    path.write_text("# Q\n\n" + ">" * 10_000 + " deep\n" + SCENARIO, encoding="utf-8")
    doc, diags = parse_file(path, "q.md")
    assert [s.answer for s in doc.scenarios] == ["still read"]
    assert [(d.code, d.loc.line) for d in diags] == [("P130", 3)]


def test_messages_stay_short_on_huge_cells(tmp_path: Path) -> None:
    big = "x" * 100_000
    path = tmp_path / "dup.md"
    path.write_text(f"# D\n\n| F | A |\n|---|---|\n| {big} | 1 |\n| {big} | 2 |\n", "utf-8")
    _, diags = parse_file(path, "dup.md")
    assert [d.code for d in diags] == ["P102"]
    assert len(diags[0].message) < 120


# --------------------------------------------------------------------------------------------
# BOM + CRLF: must work, with the same facts as LF


def test_bom_and_crlf_give_the_same_facts_as_lf(tmp_path: Path) -> None:
    lf = COGNITO.read_bytes()
    assert b"\r" not in lf
    variants = {
        "lf.md": lf,
        "bom-crlf.md": b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"),
        "cr.md": lf.replace(b"\n", b"\r"),
    }
    results = {}
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        doc, diags = parse_file(tmp_path / name, "cognito.md")
        assert diags == []
        results[name] = document_json(doc)
    assert results["bom-crlf.md"] == results["lf.md"] == results["cr.md"]
    assert len(results["lf.md"]["comparisons"][0]["rows"]) == 17


# --------------------------------------------------------------------------------------------
# Hostile text is kept as written, and stays text in every output


def test_hostile_text_is_kept_exactly_as_written() -> None:
    doc, diags = parse_file(HOSTILE / "html-everywhere.md", "h.md")
    assert [d.code for d in diags] == []
    assert doc.title == "<script>alert('title')</script> <img src=x onerror=alert(1)>"
    assert doc.deck == "<b>Deck</b>::<script>alert('deck')</script>"
    (comp,) = doc.comparisons
    assert comp.subjects[0].name == "<script>alert('subject')</script>"
    values = ("<script>alert('value')</script>", "<img src=x onerror=alert(3)>")
    assert comp.rows[0].values == values
    assert doc.traps[0].clozes == ("<script>alert('cloze')</script>",)

    doc, diags = parse_file(HOSTILE / "typst-everywhere.md", "t.md")
    assert [d.code for d in diags] == []
    assert doc.title == r"#set text(size: 200pt) $ x^2 $ @label <l> [x] \ *y*"
    row0, row1 = doc.comparisons[0].rows
    assert row0.values == ('$ #panic("boom") $', "[#text(fill: red)[x]] \\\\ \\")
    assert row1.values == (r"\*not bold\* and *em*", "`#code` and ```#raw```")
    assert doc.traps[0].title == '#panic("title")'

    doc, diags = parse_file(HOSTILE / "anki-syntax.md", "a.md")
    assert [d.code for d in diags] == []
    assert doc.comparisons[0].rows[0].values[0] == "{{c1::secret::hint}} and {{c2::more}}"
    assert doc.traps[0].clozes == ("{{c2::bold}}",)
    assert doc.scenarios[0].answer == "{{c1::Identity Pools}}"


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-build")
    src = root / "src"
    src.mkdir()
    for name in ("html-everywhere.md", "typst-everywhere.md", "anki-syntax.md"):
        shutil.copy(HOSTILE / name, src / name)
    r = cli("build", str(src), "-o", str(root / "out"))
    assert r.exit_code == 0, r.output
    return root / "out"


def rendered_cards(apkg_dir: Path, tmp: Path) -> list[tuple[str, str, str]]:
    """(tags, question HTML, answer HTML) of every card, as a real Anki collection renders it."""
    pytest.importorskip("anki.collection")
    with anki_collection(tmp / "collection.anki2") as col:
        for apkg in sorted(apkg_dir.glob("*.apkg")):
            anki_import(col, apkg)
        out = []
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            out.append((" ".join(card.note().tags), card.question(), card.answer()))
        return out


def strip_css(rendered: str) -> str:
    return re.sub(r"<style>.*?</style>", "", rendered, flags=re.S)


def test_hostile_text_stays_text_in_anki(hostile_build: Path, tmp_path: Path) -> None:
    cards = rendered_cards(hostile_build, tmp_path)
    assert len(cards) == 36
    for _tags, question, answer in cards:
        for side in (strip_css(question), strip_css(answer)):
            assert not re.search(r"<(script|img|svg|iframe|style|a)\b", side, re.I), side
            assert "onerror=alert" not in side.replace("&lt;img src=x onerror=alert", "")
            assert "{{" not in side and "[sound:" not in side
    # Only the real bold span is a cloze: one cloze card for the trap that has one.
    cloze = [(q, a) for tags, q, a in cards if "cloze" in tags.split() and "anki-syntax" in tags]
    assert len(cloze) == 1
    question, answer = (strip_css(s) for s in cloze[0])
    assert "{{c1::not a cloze}}" in html.unescape(question)
    assert "{{c2::bold}}" in html.unescape(answer)


def test_hostile_text_stays_text_in_the_pdfs(hostile_build: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    sheet = pypdf.PdfReader(hostile_build / "typst-everywhere.sheet.pdf")
    assert len(sheet.pages) == 1  # no injected #pagebreak() / #set page(height: 1pt)
    box = sheet.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4, not 1cm wide
    words = re.sub("[\u00ad\u200b]", "", "".join(p.extract_text() for p in sheet.pages))
    for literal in (
        "#set text(size: 200pt) $ x^2 $ @label <l> [x]",
        '$ #panic("boom") $',
        "#pagebreak() @x",
        '#panic("answer")',
        "= Typst heading",
    ):
        assert literal in words, literal
    cards = pypdf.PdfReader(hostile_build / "typst-everywhere.cards.pdf")
    text = re.sub("[\u00ad\u200b]", "", "".join(p.extract_text() for p in cards.pages))
    assert '#eval("1+1")' in text
