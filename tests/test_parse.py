"""The parser: Markdown fixtures beside their expected JSON, plus the pieces fixtures cannot show
(missing paths, symlinks, FIFOs, size limits, the pure-Python YAML fallback).

Each `tests/fixtures/parse/NAME.md` is parsed from disk (so images resolve next to it) and named
`NAME.md` in diagnostics; `NAME.json` holds `{"document": <show --json>, "diagnostics": [...]}`
(`document` is null when the file cannot be read). After a deliberate format change, rewrite the
expected files with `CARDGEN_UPDATE_FIXTURES=1 .venv/bin/python -m pytest tests/test_parse.py`
and review the diff: the fixtures are the specification.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cardgen import parse
from cardgen.diagnostics import CODES
from cardgen.parse import (
    MAX_SOURCE_BYTES,
    MAX_SOURCE_LINES,
    bold_spans,
    discover,
    document_json,
    one_line,
    parse_file,
    parse_text,
    slugify,
    split_arrow,
    split_cells,
    split_tagline,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "parse"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md"))
UPDATE = os.environ.get("CARDGEN_UPDATE_FIXTURES") == "1"


def run_fixture(name: str) -> dict:
    doc, diags = parse_file(FIXTURES / f"{name}.md", f"{name}.md")
    return {
        "document": document_json(doc) if doc is not None else None,
        "diagnostics": [d.format() for d in diags],
    }


@pytest.mark.parametrize("name", CASES)
def test_fixture(name: str) -> None:
    got = run_fixture(name)
    expected_path = FIXTURES / f"{name}.json"
    if UPDATE:
        expected_path.write_text(
            json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected


def test_every_fixture_has_expected_json_and_every_code_prefix_is_known() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(CASES)
    for name in CASES:
        # Fixtures named after a code must produce that code.
        code = name.split("-")[0].upper()
        if code in CODES:
            got = run_fixture(name)
            assert any(f" {code} " in d for d in got["diagnostics"]), name


def test_every_parse_code_that_a_text_can_produce_has_a_fixture() -> None:
    """P001/P003/P004/P022 need the file system or several files: tested below."""
    produced = set()
    for name in CASES:
        for line in run_fixture(name)["diagnostics"]:
            produced.add(line.split(": ", 1)[1].split()[0])
    needs_files = {"P001", "P003", "P004", "P022"}
    parse_codes = {c for c in CODES if c.startswith("P")}
    assert parse_codes - needs_files <= produced


# --------------------------------------------------------------------------------------------
# What fixtures cannot show


def test_missing_path_is_p001(tmp_path: Path) -> None:
    doc, diags = parse_file(tmp_path / "nope.md", "nope.md")
    assert doc is None
    assert [d.format() for d in diags] == ["nope.md:1:1: P001 error: no such file or directory"]
    found, diags = discover([tmp_path / "nope"])
    assert found == [] and [d.code for d in diags] == ["P001"]


def test_directory_and_fifo_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "dir.md").mkdir()
    doc, diags = parse_file(tmp_path / "dir.md", "dir.md")
    assert doc is None and [d.code for d in diags] == ["P001"]
    fifo = tmp_path / "fifo.md"
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(fifo)
    doc, diags = parse_file(fifo, "fifo.md")  # would block forever if it were opened for reading
    assert doc is None
    assert [d.format() for d in diags] == ["fifo.md:1:1: P001 error: not a regular file"]


def test_symlink_out_of_the_folder_is_p004(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "ok.md").write_text("# Ok\n\n- q → a\n", encoding="utf-8")
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n", encoding="utf-8")
    (sources / "evil.md").symlink_to(outside)
    (sources / "loop.md").symlink_to(sources / "loop.md")
    (sources / ".hidden").mkdir()
    (sources / ".hidden" / "skipped.md").write_text("# Hidden\n", encoding="utf-8")
    found, diags = discover([sources])
    assert [f.name for f, _ in found] == ["ok.md"]
    assert sorted((Path(d.loc.path).name, d.code) for d in diags) == [
        ("evil.md", "P004"),
        ("loop.md", "P001"),
    ]


def test_size_limits_are_p003_and_fast(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"# Big\n\n" + b"x" * MAX_SOURCE_BYTES)
    doc, diags = parse_file(big, "big.md")
    assert doc is None
    assert [d.format() for d in diags] == [
        f"big.md:1:1: P003 error: file is {MAX_SOURCE_BYTES + 7:,} bytes; "
        f"the limit is {MAX_SOURCE_BYTES:,}"
    ]
    # The same limits hold for text handed to parse_text directly (the importer does that).
    _, diags = parse_text("a\n" * MAX_SOURCE_LINES, "many.md")
    assert [d.format() for d in diags] == [
        f"many.md:1:1: P003 error: source has {MAX_SOURCE_LINES + 1:,} lines; "
        f"the limit is {MAX_SOURCE_LINES:,}"
    ]
    _, diags = parse_text("é" * (MAX_SOURCE_BYTES // 2 + 1), "wide.md")
    assert [d.code for d in diags] == ["P003"]


def test_yaml_checks_hold_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI may install PyYAML without its C extension: the pure-Python path must agree."""
    monkeypatch.setattr(parse, "_YAML_LOADER", __import__("yaml").SafeLoader)
    for name in ("p013-alias-bomb", "p010-yaml-nesting", "front-matter", "p011-wrong-types"):
        got = run_fixture(name)
        expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        assert [d.split(" error:")[0] for d in got["diagnostics"]] == [
            d.split(" error:")[0] for d in expected["diagnostics"]
        ]
        assert got["document"] == expected["document"]


def test_deep_yaml_is_refused_without_recursion() -> None:
    text = "---\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\n# T\n"
    _, diags = parse_text(text, "deep.md")
    assert [(d.code, d.loc.line) for d in diags if d.code == "P010"] == [("P010", 2)]


def test_huge_numbers_and_exotic_tags_stay_text() -> None:
    text = "---\nid: " + "9" * 5000 + "\ndeck: !!python/object:os.system x\n---\n# T\n"
    doc, diags = parse_text(text, "n.md")
    assert doc.id == "9" * 5000 and doc.deck == "x"
    assert [d.code for d in diags] == ["P021"]


# --------------------------------------------------------------------------------------------
# Helpers (each one is linear: a long run of blanks used to take quadratic time)


def test_split_cells_honours_escapes_and_reports_columns() -> None:
    assert split_cells("| a | b \\| c |  d  |") == [("a", 3), ("b \\| c", 7), ("d", 17)]
    assert split_cells("a | b") == [("a", 1), ("b", 5)]
    assert split_cells("| a | |") == [("a", 3), ("", 6)]


def test_split_tagline_needs_blanks_around_the_em_dash() -> None:
    assert split_tagline("Lambda — Functions — on demand") == ("Lambda", "Functions — on demand")
    assert split_tagline("Read—write") == ("Read—write", "")
    assert split_tagline("Name - tagline") == ("Name - tagline", "")


def test_split_arrow_skips_code_spans() -> None:
    assert split_arrow("q → a → b") == ("q", "a → b")
    assert split_arrow("q -> a") == ("q", "a")
    assert split_arrow("use `a -> b`? → yes") == ("use `a -> b`?", "yes")
    assert split_arrow("``x ` -> y`` → z") == ("``x ` -> y``", "z")
    assert split_arrow("unclosed `code -> z") == ("unclosed `code", "z")
    assert split_arrow("no arrow") is None


def test_one_line_and_slugify() -> None:
    assert one_line("  a \n\n  b\t\n c ") == "a b c"
    assert slugify("Core Purpose / Artifact") == "core-purpose-artifact"
    assert slugify("Ünïcödé") == "unicode"
    assert slugify("日本語").startswith("h") and len(slugify("日本語")) == 9


def test_bold_spans_keep_the_markdown_as_written() -> None:
    text = r"**`code` and [link](https://x.y/a_b)** then **\*esc\* &amp;** and ***both***"
    assert bold_spans(text) == [
        "`code` and [link](https://x.y/a_b)",
        r"\*esc\* &amp;",
        "both",  # `***x***` is emphasis around strong: the bold span is `x`
    ]


# --------------------------------------------------------------------------------------------
# The documentation stays true


DOCS = Path(__file__).resolve().parent.parent / "docs"


def fenced(text: str, heading: str, lang: str) -> str:
    """The first ```lang block after `heading` in a Markdown text."""
    after = text[text.index(f"\n{heading}\n") :]
    start = after.index(f"\n```{lang}\n") + len(f"\n```{lang}\n")
    return after[start : after.index("\n```\n", start) + 1]


def test_the_documented_example_gives_the_documented_json() -> None:
    doc_text = (DOCS / "source-format.md").read_text(encoding="utf-8")
    example = fenced(doc_text, "## A complete example", "markdown")
    expected = json.loads(fenced(doc_text, "## JSON", "json"))
    doc, diags = parse_text(example, "example.md")
    assert diags == []
    assert document_json(doc) == expected
    contract = {"path", "title", "deck", "tags", "source", "description", "comparisons"}
    assert contract | {"traps", "scenarios", "notes"} <= set(expected)


def test_every_code_is_documented() -> None:
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"| {code} |" not in text]
    assert missing == []
