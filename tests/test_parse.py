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

from cardgen.diagnostics import REGISTRY
from cardgen.markdown import bold_spans
from cardgen.model import Loc
from cardgen.source import (
    MAX_SOURCE_BYTES,
    MAX_SOURCE_LINES,
    discover,
    document_json,
    parse_file,
    parse_text,
    split_arrow,
    split_cells,
    split_tagline,
)
from cardgen.text import one_line, slugify

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
        if code in REGISTRY:
            got = run_fixture(name)
            assert any(f" {code} " in d for d in got["diagnostics"]), name


def test_every_parse_code_that_a_text_can_produce_has_a_fixture() -> None:
    """P001/P003-P007/P022 need the file system or several files: tested below."""
    produced = set()
    for name in CASES:
        for line in run_fixture(name)["diagnostics"]:
            produced.add(line.split(": ", 1)[1].split()[0])
    needs_files = {"P001", "P003", "P004", "P005", "P006", "P007", "P022"}
    parse_codes = {c for c in REGISTRY if c.startswith("P")}
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
    monkeypatch.setattr("cardgen.source.safe_yaml._YAML_LOADER", __import__("yaml").SafeLoader)
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
    missing = [code for code in REGISTRY if f"| {code} |" not in text]
    assert missing == []


# --------------------------------------------------------------------------------------------
# Finding sources: empty folders, files that are not Markdown, names that are not UTF-8


def test_folder_without_sources_is_p005(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    hidden_only = tmp_path / "hidden-only"
    (hidden_only / ".drafts").mkdir(parents=True)
    (hidden_only / ".drafts" / "a.md").write_text("# A\n", encoding="utf-8")
    (hidden_only / "notes.txt").write_text("# not a source\n", encoding="utf-8")
    for folder in (empty, hidden_only):
        found, diags = discover([folder])
        assert found == []
        assert [d.format() for d in diags] == [
            f"{folder}:1:1: P005 error: no sources found in {folder} (no .md or .markdown files)"
        ]


def test_a_folder_whose_only_source_is_unreadable_is_not_also_p005(tmp_path: Path) -> None:
    (tmp_path / "dir.md").mkdir()  # found (and refused later as P001), so the folder had one
    found, diags = discover([tmp_path])
    assert [f.name for f, _ in found] == ["dir.md"] and diags == []


def test_a_file_given_by_name_must_be_markdown(tmp_path: Path) -> None:
    for name in ("notes.txt", "cardgen.lock", "README"):
        (tmp_path / name).write_text("# T\n\n- q → a\n", encoding="utf-8")
        found, diags = discover([tmp_path / name])
        assert found == []
        assert [d.format() for d in diags] == [
            f"{tmp_path / name}:1:1: P006 error: not a Markdown source: a source's name ends in "
            ".md (or .markdown)"
        ]
    for name in ("a.md", "b.markdown", "C.MD"):
        (tmp_path / name).write_text("# T\n\n- q → a\n", encoding="utf-8")
        assert discover([tmp_path / name]) == ([(tmp_path / name, tmp_path)], [])
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in ("x.md", "y.markdown", "z.txt"):
        (folder / name).write_text("# T\n\n- q → a\n", encoding="utf-8")
    found, diags = discover([folder])
    assert [f.name for f, _ in found] == ["x.md", "y.markdown"] and diags == []


def make_bad_name(folder: Path) -> Path:
    """A file `\\xff.md` (a byte that is not UTF-8) in `folder`; skips where names must be UTF-8."""
    raw = os.path.join(os.fsencode(folder), b"\xff.md")
    try:
        with open(raw, "wb") as fh:
            fh.write(b"# T\n\n- q \xe2\x86\x92 a\n")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    return Path(os.fsdecode(raw))


def test_a_file_name_that_is_not_utf8_is_p007(tmp_path: Path) -> None:
    path = make_bad_name(tmp_path)
    expected = (
        f"{tmp_path}/\\xff.md:1:1: P007 error: file name is not valid UTF-8; rename it "
        "(letters, digits, dashes)"
    )
    for given in ([tmp_path], [path]):
        found, diags = discover(given)
        assert found == [] and [d.format() for d in diags] == [expected]
        diags[0].format().encode("utf-8")  # printable
    doc, diags = parse_file(path)
    assert doc is None and [d.format() for d in diags] == [expected]


# --------------------------------------------------------------------------------------------
# Front matter: where its keys and entries are; YAML errors at the line to fix


def test_p010_points_at_the_key_line_that_lacks_its_colon() -> None:
    text = "---\nid: typo\nsource: me\ndeck AWS::Oops\ntags: aws, dva\n---\n# T\n\n- q → a\n"
    doc, diags = parse_text(text, "typo.md")
    assert [d.format() for d in diags if d.code == "P010"] == [
        "typo.md:4:1: P010 error: front matter is not valid YAML: could not find expected ':'"
    ]
    assert doc.front_matter_error
    # An unclosed quote: at the line the quote opens, not at the end of the front matter.
    doc, diags = parse_text('---\nsource: "me\nid: x\n---\n# T\n', "q.md")
    assert [(d.code, d.loc.line, d.loc.col) for d in diags if d.is_error] == [("P010", 2, 9)]
    # A problem found on its own line keeps its own line and column.
    doc, diags = parse_text("---\nsource: me\n  id: x\n---\n# T\n", "m.md")
    assert [(d.code, d.loc.line, d.loc.col) for d in diags if d.is_error] == [("P010", 3, 5)]


def test_front_matter_keys_and_ignore_entries_keep_their_place_and_spelling() -> None:
    text = (
        "---\nsource: me\nid: my-deck\nlint:\n  ignore:\n    - L102:nope\n    - l105\n"
        "---\n# T\n\n- q → a\n"
    )
    doc, diags = parse_text(text, "t.md")
    assert diags == []
    assert doc.meta_loc("id") == Loc("t.md", 3, 1)
    assert doc.meta_loc("source") == Loc("t.md", 2, 1)
    assert doc.meta_loc("deck") is None and not doc.front_matter_error
    assert doc.lint_ignore == ("L102:nope", "l105")
    assert doc.lint_ignore_locs == (Loc("t.md", 6, 7), Loc("t.md", 7, 7))
    doc, _ = parse_text("---\nsource: me\nlint: {ignore: L101}\n---\n# T\n", "t.md")
    assert doc.lint_ignore == ("L101",) and doc.lint_ignore_locs == (Loc("t.md", 3, 16),)
    doc, _ = parse_text("---\nsource: me\nid: x\n# Never closed\n", "t.md")
    assert doc.front_matter_error


def test_scenario_links_to_a_subject_named_by_its_explicit_id() -> None:
    text = (
        "# T\n\n| Feature | Amazon SNS {#sns} | Amazon SQS {#sqs} | Kinesis |\n|---|---|---|---|\n"
        "| Model | Push | Pull | Stream |\n\n## Decision tree\n\n"
        "- Fan out to many? → SNS, with subscriptions.\n"
        "- Buffer work? → **sqs**\n"
        "- Replay a stream? → Kinesis.\n"
        "- Something else? → SNSX service\n"
        "- A kinesis-like thing? → Kinesisish\n"
    )
    doc, diags = parse_text(text, "t.md")
    assert doc is not None, diags
    assert [s.subject for s in doc.scenarios] == ["Amazon SNS", "Amazon SQS", "Kinesis", "", ""]


# --------------------------------------------------------------------------------------------
# QA 2a: a source reached twice is read once; tags that YAML reads as numbers or booleans


def test_discover_reads_a_file_reached_twice_once_in_first_seen_order(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    for name in ("a.md", "b.md", "c.md"):
        (sources / name).parent.mkdir(exist_ok=True)
        (sources / name).write_text(f"# {name}\n\n- q → a\n", encoding="utf-8")
    b = sources / "b.md"
    found, diags = discover([b, sources, sources / ".." / "sources" / "a.md", sources, b])
    assert diags == []
    assert [(f.name, root) for f, root in found] == [
        ("b.md", sources),  # named first: kept where it was first seen, with its own root
        ("a.md", sources),
        ("c.md", sources),
    ]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("5", ": a number (5) is not a string; quote it to make it a tag"),
        ("-0.5", ": a number (-0.5) is not a string; quote it to make it a tag"),
        ("true", ": true/false (true) is not a string; quote it to make it a tag"),
        ("[aws, no]", ": true/false (no) is not a string; quote it to make it a tag"),
        ("[a, 5, {x: 1}]", ""),
        ("{x: 1}", ""),
        ("[[a]]", ""),
        ("", ""),
    ],
)
def test_tags_that_are_not_strings_are_p011_at_the_key(value: str, problem: str) -> None:
    doc, diags = parse_text(f"---\nsource: x\ntags: {value}\n---\n# T\n\n- q → a\n", "t.md")
    assert [d.format() for d in diags] == [
        f"t.md:3:1: P011 error: `tags` must be a list of non-empty strings{problem}"
    ]
    assert doc.tags == ()


def test_string_tags_stay_as_written() -> None:
    text = "---\ntags: {}\n---\n# T\n\n- q → a\n"
    for value, tags in (
        ("aws", ("aws",)),  # one tag as a string (docs/source-format.md)
        ('"5"', ("5",)),
        ("['5', 'true', dva-c02, 2024-05-01]", ("5", "true", "dva-c02", "2024-05-01")),
    ):
        doc, diags = parse_text(text.replace("{}", value), "t.md")
        assert [d for d in diags if d.is_error] == [] and doc.tags == tags, value


def test_the_public_face_exports_what_other_modules_import() -> None:
    """`cardgen.source` is the one place to import the reader from, whichever module holds a
    name behind it."""
    import cardgen.source as source

    names = {
        "discover", "parse_file", "parse_text", "document_json", "not_markdown", "printable_path",
        "SOURCE_SUFFIXES", "MAX_SOURCE_BYTES", "MAX_SOURCE_LINES", "MAX_FRONT_MATTER_BYTES",
        "looks_utf16", "normalise_text", "read_text", "split_arrow", "split_cells",
        "split_tagline", "TIP_HEADERS", "TRAP_WORDS", "KNOWN_KEYS",
    }  # fmt: skip
    assert names <= set(source.__all__)
    assert all(getattr(source, name, None) is not None for name in source.__all__)
