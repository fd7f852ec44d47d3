"""`cardgen import`: pasted study pages -> format-v1 sources.

The seed page must give the facts of its hand conversion; the pages in tests/fixtures/import/
(written in the same style for other topics) must give the facts in their JSON files. Facts are
compared through `parse_text` + `document_json`, the same contract `cardgen show --json` uses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cardgen.cli import cli
from cardgen.diagnostics import REGISTRY
from cardgen.importer import decode_page, import_page, title_slug
from cardgen.importer.emit import yaml_scalar
from cardgen.importer.words import strip_emoji
from cardgen.source import document_json, parse_file, parse_text
from tests.conftest import COGNITO, SEED, fuzz_settings

FIXTURES = Path(__file__).parent / "fixtures" / "import"
PAGES = sorted(FIXTURES.glob("*.txt"))


def facts(markdown: str) -> dict:
    """The facts the tests compare: what `show --json` says, trap bold markers removed."""
    doc, diags = parse_text(markdown, "imported.md")
    assert not [d for d in diags if d.is_error], [d.format() for d in diags]
    return _facts(document_json(doc))


def _facts(j: dict) -> dict:
    comp = j["comparisons"][0] if j["comparisons"] else {"subjects": [], "rows": []}
    return {
        "title": j["title"],
        "description": j["description"],
        "source": j["source"],
        "subjects": [{"name": s["name"], "tagline": s["tagline"]} for s in comp["subjects"]],
        "rows": [
            {"attribute": r["attribute"], "tip": r["tip"], "values": r["values"]}
            for r in comp["rows"]
        ],
        "scenarios": [
            {"prompt": s["prompt"], "answer": s["answer"], "subject": s["subject"]}
            for s in j["scenarios"]
        ],
        "traps": [{"title": t["title"], "text": t["text"].replace("**", "")} for t in j["traps"]],
        "notes": [{"title": n["title"], "text": n["text"]} for n in j["notes"]],
    }


def run_import(path: Path) -> tuple[str, list]:
    return import_page(path.read_text(encoding="utf-8"), path.name)


# --------------------------------------------------------------------------------------------
# The seed page against its hand conversion


@pytest.fixture(scope="module")
def seed_import() -> tuple[str, list]:
    return run_import(SEED)


@pytest.fixture(scope="module")
def hand() -> dict:
    doc, _ = parse_file(COGNITO)
    assert doc is not None
    return _facts(document_json(doc))


def test_seed_subjects_match_hand_conversion(seed_import, hand):
    got = facts(seed_import[0])
    assert got["subjects"] == hand["subjects"]
    assert len(got["subjects"]) == 2


def test_seed_rows_match_hand_conversion_one_by_one(seed_import, hand):
    got = facts(seed_import[0])
    assert len(got["rows"]) == len(hand["rows"]) == 17
    for mine, theirs in zip(got["rows"], hand["rows"]):
        assert mine == theirs
    assert sum(1 for r in got["rows"] if r["tip"]) == 12


def test_seed_scenarios_and_traps_match_hand_conversion(seed_import, hand):
    got = facts(seed_import[0])
    assert got["scenarios"] == hand["scenarios"]
    assert [s["subject"] for s in got["scenarios"]] == ["Cognito User Pools", "Identity Pools", ""]
    assert got["traps"] == hand["traps"]
    titles = [t["title"] for t in got["traps"]]
    assert titles[0] == "CRITICAL DISTINCTION"
    assert titles[2] == "" and got["traps"][2]["text"].startswith("UNAUTHENTICATED (GUEST)")
    assert titles[4] == "" and got["traps"][4]["text"].startswith("LAMBDA TRIGGERS are ONLY")


def test_seed_title_description_source_and_summary_match(seed_import, hand):
    got = facts(seed_import[0])
    for key in ("title", "description", "source", "notes"):
        assert got[key] == hand[key], key


def test_seed_front_matter_deck_tags_and_id(seed_import):
    doc, _ = parse_text(seed_import[0], "x.md")
    assert doc.deck == "DVA-C02::Cognito User Pools vs Identity Pools"
    assert doc.tags == ("dva-c02",)
    assert doc.id == "authentication-vs-authorization"
    assert title_slug(SEED.read_text(encoding="utf-8")) == "authentication-vs-authorization"


def test_seed_residue_is_dropped_and_reported(seed_import):
    markdown, diags = seed_import
    assert "Cargando" not in markdown and "Guides & Patterns" not in markdown
    assert "🎯" not in markdown
    residue = [d for d in diags if d.code == "I001"]
    assert [(d.loc.line, d.severity.value) for d in residue] == [(2, "warning"), (36, "warning")]
    assert "'Services', 'Comparisons', 'Guides & Patterns'" in residue[1].message


def test_seed_traps_all_get_a_cloze(seed_import):
    doc, _ = parse_text(seed_import[0], "x.md")
    assert all(t.clozes for t in doc.traps)
    clozes = [c for t in doc.traps for c in t.clozes]
    assert "UNAUTHENTICATED (GUEST) ACCESS" in clozes and "LAMBDA TRIGGERS" in clozes
    assert "ONLY" in clozes  # an ALL-CAPS word inside the sentence


# --------------------------------------------------------------------------------------------
# Pages in the same style, other topics, against their expected facts


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_gives_expected_facts(page: Path):
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    markdown, diags = run_import(page)
    got = facts(markdown)
    assert not [d for d in diags if d.is_error]
    for key, want in expected.items():
        if isinstance(want, list):
            assert len(got[key]) == len(want), key
            for i, (g, w) in enumerate(zip(got[key], want)):
                assert g == w, f"{key}[{i}]"
        else:
            assert got[key] == want, key


def test_fixture_pages_cover_the_variety_the_issue_asks_for():
    expected = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in PAGES]
    assert len(PAGES) >= 4
    assert sum(1 for e in expected if len(e["subjects"]) == 3) >= 3
    rows = [r for e in expected for r in e["rows"]]
    names = {s["name"] for e in expected for s in e["subjects"]}
    tips = [r["tip"] for r in rows if r["tip"]]
    assert any(not r["tip"] for r in rows) and tips
    assert any(t.startswith("Scenario:") for t in tips)
    assert any(t[0] in "'\"“‘" for t in tips)
    assert any(re.match(r"[A-Z0-9]{2,}\b", t) for t in tips)  # an acronym
    assert any(any(t.startswith(n) for n in names) for t in tips)  # a subject's name
    labels = [r["attribute"] for r in rows]
    for mark in ("/", "&", "("):
        assert any(mark in a for a in labels), mark
    assert any(re.search(r"\d", a) for a in labels)


@pytest.mark.parametrize("page", [SEED, *PAGES], ids=["seed", *[p.stem for p in PAGES]])
def test_nothing_is_lost(page: Path):
    """Every line of the page is in the output, or named in a residue warning."""
    markdown, diags = run_import(page)
    out_words = set(re.findall(r"\w+", markdown))
    residue = " ".join(d.message for d in diags if d.code == "I001")
    for line in page.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        missing = set(re.findall(r"\w+", line)) - out_words
        assert not missing or repr(line.strip()) in residue, line


@pytest.mark.parametrize("page", [SEED, *PAGES], ids=["seed", *[p.stem for p in PAGES]])
def test_import_is_deterministic_and_passes_check(page: Path, tmp_path: Path):
    first, diags = run_import(page)
    assert run_import(page)[0] == first
    assert all(d.code in REGISTRY for d in diags)
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "page.md").write_text(first, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------------------------
# Heuristics on small pages

HEADER = (
    "| Feature | Amazon SQS Fully managed queue | Amazon SNS Push notifications |\n|---|---|---|"
)
TAIL = (
    "Summary\nUse Amazon SQS to buffer work, and Amazon SNS to fan out to all subscribers.\n"
    "Prep Notes · SAA-C03 · 2026-01-01\n"
)


def page_with(rows: str, extra: str = "") -> str:
    return f"Loading...\nQueues vs Topics\nA short page\n{HEADER}\n{rows}\n{extra}{TAIL}"


def test_an_unsure_split_is_reported_with_its_page_line():
    text = page_with(
        "Storage Class Glacier Deep Archive is the cheapest tier | One | Two |\n"
        "Max Size | 256 KB | 256 KB |"
    )
    markdown, diags = import_page(text, "p.txt")
    unsure = [d for d in diags if d.code == "I002"]
    assert [d.loc.line for d in unsure] == [6]
    assert unsure[0].format().startswith("p.txt:6:1: I002 warning: unsure where the label ends")
    assert "; or label" in unsure[0].message  # the alternative reading is named
    assert not [d for d in diags if d.loc.line == 7 and d.code == "I002"]


def test_a_row_without_a_tip_keeps_its_whole_label():
    markdown, _ = import_page(page_with("User Registration & Sign-In UI | Yes | No |"), "p.txt")
    row = facts(markdown)["rows"][0]
    assert (row["attribute"], row["tip"]) == ("User Registration & Sign-In UI", "")


ROW_CASES = [  # first cell, label, tip
    ("Ordering FIFO is only on Amazon SQS", "Ordering", "FIFO is only on Amazon SQS"),
    ("Fan-out Amazon SNS copies each message", "Fan-out", "Amazon SNS copies each message"),
    ("Retention Scenario: 'keep it' → SQS", "Retention", "Scenario: 'keep it' → SQS"),
    ("Cost (per 1M) 'Free tier' covers a lot", "Cost (per 1M)", "'Free tier' covers a lot"),
    ("Delivery Model If consumers poll, use SQS", "Delivery Model", "If consumers poll, use SQS"),
    (
        "AWS Access Critical trap: nothing is pushed",
        "AWS Access",
        "Critical trap: nothing is pushed",
    ),
    ("Primary Use If it must rotate, use SQS", "Primary Use", "If it must rotate, use SQS"),
]


@pytest.mark.parametrize(("cell", "label", "tip"), ROW_CASES)
def test_row_splits_on_the_evidence(cell: str, label: str, tip: str):
    markdown, _ = import_page(page_with(f"{cell} | a | b |"), "p.txt")
    row = facts(markdown)["rows"][0]
    assert (row["attribute"], row["tip"]) == (label, tip)


def test_header_names_come_from_their_use_elsewhere_on_the_page():
    markdown, diags = import_page(page_with("Size | 1 | 2 |"), "p.txt")
    subjects = facts(markdown)["subjects"]
    assert subjects == [
        {"name": "Amazon SQS", "tagline": "Fully managed queue"},
        {"name": "Amazon SNS", "tagline": "Push notifications"},
    ]
    assert not [d for d in diags if d.code == "I003"]


def test_a_header_name_seen_nowhere_else_is_reported():
    text = "Title\n| Feature | Foo Bar Baz quux thing | Amazon SQS Queue of work |\n|---|---|---|\n"
    text += "Size | 1 | 2 |\nUse Amazon SQS for work queues, whatever anyone says.\n"
    _, diags = import_page(text, "p.txt")
    assert [(d.code, d.loc.line, d.loc.col) for d in diags if d.code == "I003"] == [("I003", 2, 13)]


def test_an_existing_tip_column_is_kept_as_is():
    text = "T\n| Feature | A Thing | B Thing | Exam tip |\n|---|---|---|---|\n"
    text += "| Size Big | 1 | 2 | Mind the gap |\n"
    row = facts(import_page(text, "p.txt")[0])["rows"][0]
    assert row == {"attribute": "Size Big", "tip": "Mind the gap", "values": ["1", "2"]}


def test_an_unplaced_line_is_kept_as_a_note_and_reported():
    text = page_with("Size | 1 | 2 |", extra="Prices change often and vary by Region.\n")
    markdown, diags = import_page(text, "p.txt")
    [unplaced] = [d for d in diags if d.code == "I004"]
    assert unplaced.loc.line == 7
    notes = facts(markdown)["notes"]
    assert {"title": "Unplaced text", "text": "Prices change often and vary by Region."} in notes


@pytest.mark.parametrize(
    "indicator",
    ["Loading...", "Cargando...", "Chargement…", "Carregando…", "Wird geladen...", "Загрузка...",
     "読み込み中…", "Caricamento in corso..."],
)  # fmt: skip
def test_loading_indicators_in_several_languages_are_dropped(indicator: str):
    text = page_with("Size | 1 | 2 |").replace("Loading...", indicator)
    markdown, diags = import_page(text, "p.txt")
    assert indicator not in markdown
    assert any(d.code == "I001" and d.loc.line == 1 for d in diags)


def test_decision_tree_sentences_become_linked_scenarios():
    text = page_with(
        "Size | 1 | 2 |",
        extra="🌳 Decision Tree\nNeed a buffer? → Amazon SQS. Must many apps get a copy (fan-out)? "
        "→ Amazon SNS. Need both? -> SNS topic feeding SQS queues.\n",
    )
    got = facts(import_page(text, "p.txt")[0])["scenarios"]
    assert got == [
        {"prompt": "Need a buffer?", "answer": "Amazon SQS.", "subject": "Amazon SQS"},
        {
            "prompt": "Must many apps get a copy (fan-out)?",
            "answer": "Amazon SNS.",
            "subject": "Amazon SNS",
        },
        {"prompt": "Need both?", "answer": "SNS topic feeding SQS queues.", "subject": ""},
    ]


def test_trap_lead_ins_give_titles_and_caps_give_clozes():
    extra = (
        "PRICING GOTCHA: SNS bills per delivery, and the Amazon SQS bill is per request.\n"
        "FAN OUT — one publish reaches ALL subscribers at once, never just one of them.\n"
        "VISIBILITY TIMEOUT is an Amazon SQS setting that people confuse with retention.\n"
        "The classic mistake: polling Amazon SNS, which only pushes.\n"
        "SNS IS NOT A QUEUE — only Amazon SQS keeps messages for a consumer that is down.\n"
    )
    markdown, _ = import_page(page_with("Size | 1 | 2 |", extra=extra), "p.txt")
    doc, _ = parse_text(markdown, "x.md")
    titles = [t.title for t in doc.traps]
    assert titles == ["PRICING GOTCHA", "FAN OUT", "", "The classic mistake", "SNS IS NOT A QUEUE"]
    assert doc.traps[1].clozes == ("ALL",)
    assert doc.traps[2].clozes == ("VISIBILITY TIMEOUT",)
    assert all(t.clozes for t in doc.traps)


def test_rows_with_wrong_cell_counts_are_fixed_and_reported():
    text = page_with("Size | 1 |\nCost Big money here | 1 | 2 | 3 |")
    markdown, diags = import_page(text, "p.txt")
    assert [d.loc.line for d in diags if d.code == "I005"] == [6, 7]
    rows = facts(markdown)["rows"]
    assert rows[0]["values"] == ["1", ""] and rows[1]["values"] == ["1", "2 | 3"]


def test_markdown_in_pasted_text_is_escaped():
    text = "Title *star* and _under_\n1. Not a list\n# Not a heading\n[x]: not-a-link\n"
    text += HEADER + "\nSize | a*b* | `c` |\n" + TAIL
    markdown, diags = import_page(text, "p.txt")
    assert not [d for d in diags if d.is_error]
    got = facts(markdown)
    assert got["title"] == r"Title \*star\* and \_under\_"
    assert "Not a list" in got["description"] and "not-a-link" in got["description"]
    assert got["rows"][0]["values"] == [r"a\*b\*", r"\`c\`"]


def test_no_attribution_and_no_table_are_reported():
    _, diags = import_page("Just a title\nSome words here that form a paragraph.\n", "p.txt")
    assert {"I007", "I008"} <= {d.code for d in diags}


def test_empty_and_undecodable_pages_are_errors():
    assert import_page("  \n\n", "p.txt")[1][0].code == "I010"
    text, diags = decode_page(b"ok\n\xff\xfe", "p.txt")
    assert (
        text is None and diags[0].format() == "p.txt:2:1: I010 error: page is not valid UTF-8 text"
    )
    assert decode_page(b"a\x00b", "p.txt")[1][0].code == "I010"
    assert decode_page("\ufeffx\r\ny".encode(), "p.txt") == ("x\ny", [])


LINES = [
    *SEED.read_text(encoding="utf-8").splitlines(),
    "| a | b |", "|---|---|", "**x", "# h", "> q", "- l", "1. x", "[a]: b", "`", "\\|", "? →",
    "Q? → A. R? → B.", "ALL CAPS: x", "⚠️", "x · 2026 · y", "<!-- c -->", "===", ":", "NULL",
    "F | a | b", "x | y | z", "Q? → A. S -> T", "Q? → A (B → C) -> D", "3 days ago · 5 min read",
    "🔥 T", "| short | row |",
]  # fmt: skip


def test_a_label_repeated_in_a_later_table_with_the_same_subjects_is_renamed():
    # found by the test below: the parser reads both tables as one comparison (P102)
    header = "| Feature | User Pools | Identity Pools |\n|---|---|---|\n"
    page = f"Pools\n\n{header}| Pricing | per MAU | free |\n\n{header}| Pricing | MAU | none |\n"
    markdown, diags = import_page(page, "p.txt")
    assert [d.code for d in diags if d.code in ("I011", "I013")] == ["I013"]
    doc, parse_diags = parse_text(markdown, "o.md")
    assert not [d for d in parse_diags if d.is_error]
    assert doc is not None
    rows = [r.attribute for c in doc.comparisons for r in c.rows]
    assert rows == ["Pricing", "Pricing (2)"]


@fuzz_settings(150)
@given(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=30)), max_size=20))
def test_any_text_imports_into_a_source_that_parses(lines: list[str]):
    markdown, diags = import_page("\n".join(lines), "p.txt")
    assert not [d for d in diags if d.code == "I011"]
    if markdown:
        _, parse_diags = parse_text(markdown, "o.md")
        assert not [d for d in parse_diags if d.is_error]


# --------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_writes_the_default_path_and_refuses_to_overwrite(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["import", str(SEED)])
    assert result.exit_code == 0, result.output
    out = Path("sources/authentication-vs-authorization.md")
    assert out.is_file()
    lines = result.output.splitlines()
    assert lines[0] == f"{SEED}:2:1: I001 warning: dropped line of page residue (loading " + (
        "indicator): 'Cargando...'"
    )
    # the trap whose cloze the importer proposed is listed for review (I015)
    assert any(" I015 warning: " in ln and "**User Pool**" in ln for ln in lines)
    assert lines[-2] == "Found 3 warnings."
    assert lines[-1].startswith(f"Wrote {out}: 17 rows (12 with tips), 7 traps, 3 scenarios")
    before = out.read_bytes()
    out.write_text("my edits", encoding="utf-8")
    again = runner.invoke(cli, ["import", str(SEED)])
    assert again.exit_code == 2
    assert "already exists; use --force" in again.output
    assert out.read_text(encoding="utf-8") == "my edits"
    forced = runner.invoke(cli, ["import", str(SEED), "--force"])
    assert forced.exit_code == 0 and out.read_bytes() == before
    check = runner.invoke(cli, ["check", "sources"])
    assert check.exit_code == 0, check.output


def test_cli_reads_stdin_and_writes_stdout(runner: CliRunner):
    result = runner.invoke(
        cli, ["import", "-", "-o", "-"], input=SEED.read_bytes(), catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("---\nid: authentication-vs-authorization\n")
    assert "<stdin>:2:1: I001 warning" in result.stderr
    assert result.stderr.splitlines()[-1] == "Found 3 warnings."


def test_cli_output_option_names_the_deck_id(runner: CliRunner, tmp_path: Path):
    out = tmp_path / "decks-src" / "cognito.md"
    result = runner.invoke(cli, ["import", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc, _ = parse_file(out)
    assert doc is not None and doc.id == "cognito"


def test_cli_errors(runner: CliRunner, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(cli, ["import", str(empty), "-o", str(tmp_path / "x.md")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{empty}:1:1: I010 error: page is empty",
        "Found 1 error.",
    ]
    assert not (tmp_path / "x.md").exists()
    # a missing or unreadable page is a located I010 error with exit 1, like P001 in `check`
    missing = runner.invoke(cli, ["import", str(tmp_path / "missing.txt")])
    assert missing.exit_code == 1
    assert missing.output.splitlines() == [
        f"{tmp_path / 'missing.txt'}:1:1: I010 error: no such file or directory",
        "Found 1 error.",
    ]
    not_a_file = runner.invoke(cli, ["import", str(tmp_path), "-o", "-"])
    assert not_a_file.exit_code == 1
    assert f"{tmp_path}:1:1: I010 error: is a directory" in not_a_file.output
    folder = tmp_path / "f.md"
    folder.mkdir()
    assert runner.invoke(cli, ["import", str(SEED), "-o", str(folder)]).exit_code == 2


def test_a_page_too_large_for_one_source_says_split_it(monkeypatch):
    # a real one takes 1 MiB of page; the limit is read when the source is checked
    monkeypatch.setattr("cardgen.source.files.MAX_SOURCE_BYTES", 300)
    header = "| Feature | User Pools | Identity Pools |\n|---|---|---|\n"
    rows = "".join(f"| Row {i} | value {i} | other {i} |\n" for i in range(20))
    markdown, diags = import_page(f"Pools\n\n{header}{rows}", "p.txt")
    errors = [d for d in diags if d.is_error]
    assert [d.code for d in errors] == ["I014"]  # and `cardgen import` writes nothing
    assert "split the page" in errors[0].message and "limit is 300" in errors[0].message


@fuzz_settings(300)
@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_front_matter_values_read_back_and_stay_readable(value: str):
    value = " ".join(value.split())  # what the importer gives: one line, no outer spaces
    if not value:
        return
    text = f"---\nid: x\ndeck: {yaml_scalar(value)}\n---\n\n# T\n"
    doc, diags = parse_text(text, "o.md")
    assert doc is not None and doc.deck == value, [d.format() for d in diags]
    # emoji, accents and other printable text are written as they are, not as \u escapes
    if all(ch.isprintable() and ch not in "\u2028\u2029\ufeff" for ch in value):
        assert "\\u" not in yaml_scalar(value).replace("\\\\", "")


# --------------------------------------------------------------------------------------------
# Defects found in review (each test failed before its fix)

KAFKA_TABLE = (
    "| Feature | Kafka | Kinesis |\n| Retention | Configurable | Up to 365 days |\n"
    "| Managed | MSK | Fully managed |\n"
)
KAFKA_BODY = (
    "Decision Tree\nNeed a managed stream with no servers? → Kinesis.\n\n"
    "Summary\nKinesis is simpler; Kafka is portable.\n"
)


def test_an_attribution_under_the_title_does_not_make_the_rest_footer():
    with_attribution = (
        f"Kafka vs Kinesis\nExamPrep Weekly · SAA-C03 · 2026-01-15\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    )
    without = f"Kafka vs Kinesis\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    markdown, diags = import_page(with_attribution, "p.txt")
    assert not [d for d in diags if d.code == "I001"]
    got, plain = facts(markdown), facts(import_page(without, "p.txt")[0])
    assert got["source"] == "ExamPrep Weekly · SAA-C03 · 2026-01-15"
    for key in ("scenarios", "notes", "rows"):
        assert got[key] == plain[key] and got[key], key
    # the footer after an attribution at the end is still dropped, and only that
    page = f"{without}\nExamPrep Weekly · SAA-C03 · 2026-01-15\nNext: Kafka Connect →\nShare\n"
    markdown, diags = import_page(page, "p.txt")
    [footer] = [d for d in diags if d.code == "I001"]
    assert footer.loc.line == 14 and "'Next: Kafka Connect →', 'Share'" in footer.message
    assert facts(markdown)["notes"] == plain["notes"]


def test_the_fixture_page_with_an_attribution_on_top_keeps_its_sections():
    page = FIXTURES / "dynamodb-aurora-elasticache.txt"
    _, diags = run_import(page)
    residue = [(d.loc.line, d.message) for d in diags if d.code == "I001"]
    # residue at the top (navigation, title emoji, reading time) and the footer at the end only
    assert [line for line, _ in residue] == [1, 4, 5, 30]
    assert "Updated 3 days ago" in residue[2][1] and "Related articles" in residue[3][1]


def test_a_reading_time_line_is_no_attribution():
    page = f"Kafka vs Kinesis\nUpdated 3 days ago · 12 min read\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert got["source"] == "" and got["scenarios"] and got["notes"]
    assert [d.loc.line for d in diags if d.code == "I007"] == [1]


def test_a_pipe_table_without_outer_pipes_is_a_table():
    page = (
        "Redis vs Memcached\n\nFeature | Redis | Memcached\n"
        "Persistence | Snapshots and AOF | None\nData types | Strings, lists, sets | Strings only\n"
        "\nSummary\nRedis does more.\n"
    )
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert [s["name"] for s in got["subjects"]] == ["Redis", "Memcached"]
    assert got["rows"] == [
        {"attribute": "Persistence", "tip": "", "values": ["Snapshots and AOF", "None"]},
        {"attribute": "Data types", "tip": "", "values": ["Strings, lists, sets", "Strings only"]},
    ]
    assert not [d for d in diags if d.code in ("I002", "I008")]
    # two lines of prose with a pipe each are no table
    prose = "T\nRead this | then that\nAnd this | then more\n"
    assert "I008" in {d.code for d in import_page(prose, "p.txt")[1]}


DB_HEADER = (
    "| Feature | Amazon DynamoDB Serverless key-value and document | Amazon Aurora MySQL "
    "compatible relational | Amazon ElastiCache In-memory cache |\n"
    "| Latency | single-digit ms | low ms | sub-millisecond |\n"
)


@pytest.mark.parametrize("named_elsewhere", [True, False])
def test_a_word_that_only_starts_other_names_is_not_a_name(named_elsewhere: bool):
    # `Amazon` occurs only as the start of `Amazon Aurora` and `Amazon ElastiCache`
    answer = "Amazon DynamoDB on-demand." if named_elsewhere else "DynamoDB on-demand."
    page = (
        f"Databases\n\n{DB_HEADER}\nDecision Tree\nNeed joins? → Amazon Aurora. "
        f"Need a cache? → Amazon ElastiCache.\nMassive writes? => {answer}\n"
    )
    markdown, diags = import_page(page, "p.txt")
    subjects = facts(markdown)["subjects"]
    assert subjects[0] == {
        "name": "Amazon DynamoDB",
        "tagline": "Serverless key-value and document",
    }
    unsure = [d for d in diags if d.code == "I003"]
    # with the page's own use of the name the split is sure; without it, it is reported
    assert [(d.loc.line, d.loc.col) for d in unsure] == ([] if named_elsewhere else [(3, 13)])


def test_a_second_scenario_without_a_question_mark_is_split():
    line = (
        "Need joins and complex SQL? → Amazon Aurora. Session store shared by web servers -> "
        "Amazon ElastiCache"
    )
    page = f"Databases\n\n{DB_HEADER}\nDecision Tree\n{line}\n"
    got = facts(import_page(page, "p.txt")[0])["scenarios"]
    assert [(s["prompt"], s["answer"]) for s in got] == [
        ("Need joins and complex SQL?", "Amazon Aurora."),
        ("Session store shared by web servers", "Amazon ElastiCache"),
    ]
    # an arrow in brackets belongs to the answer; one without a sentence end is reported
    page = f"Databases\n\n{DB_HEADER}\nDecision Tree\nNeed both? → A (B → C).\nX? → A then B -> C\n"
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)["scenarios"]
    assert [s["answer"] for s in got] == ["A (B → C).", "A then B -> C"]
    assert [(d.loc.line, d.loc.col) for d in diags if d.code == "I009"] == [(8, 14)]


def test_a_short_row_does_not_put_a_value_in_the_tip_column():
    page = (
        f"Databases\n\n{DB_HEADER}"
        "| Pricing Per request or per RCU/WCU | Per ACU-hour or instance | Per node-hour |\n"
        "| Caching Single-digit ms is the classic DynamoDB clue | DAX | n/a |\n"
    )
    markdown, diags = import_page(page, "p.txt")
    rows = facts(markdown)["rows"]
    # the label ran into the first value: the values stay under their subjects
    assert rows[1] == {
        "attribute": "Pricing",
        "tip": "",
        "values": ["Per request or per RCU/WCU", "Per ACU-hour or instance", "Per node-hour"],
    }
    # a tip ran into the label and a cell is missing: padded at the end, and said so clearly
    assert rows[2]["tip"] == "Single-digit ms is the classic DynamoDB clue"
    short = {d.loc.line: d.message for d in diags if d.code == "I005"}
    assert "as the value for 'Amazon DynamoDB'" in short[5]
    assert "('Amazon ElastiCache') empty" in short[6] and "wrong subjects" in short[6]


def test_no_attribution_is_reported_at_a_line_of_the_page():
    page = f"Kafka vs Kinesis\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    assert page.count("\n") == 11
    [i007] = [d for d in import_page(page, "p.txt")[1] if d.code == "I007"]
    assert (i007.loc.line, i007.loc.col) == (1, 1)


def test_an_emoji_dropped_from_the_title_is_reported():
    page = f"🔥 Kafka vs Kinesis\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    markdown, diags = import_page(page, "p.txt")
    assert facts(markdown)["title"] == "Kafka vs Kinesis"
    [dropped] = [d for d in diags if d.code == "I001"]
    assert dropped.format() == "p.txt:1:1: I001 warning: dropped the decoration '🔥' from the title"


# --------------------------------------------------------------------------------------------
# A QA reviewer's second round (pages in the style of the issue, cut to the defect)

GLACIER_HEADER = (
    "| Feature | S3 Glacier Instant Retrieval Millisecond access for rarely used data "
    "| S3 Glacier Flexible Retrieval Minutes to hours, free bulk retrievals "
    "| S3 Glacier Deep Archive Cheapest storage, 12-hour retrieval |\n|---|---|---|---|\n"
    "| Retrieval Time Deep Archive standard retrieval is within 12 hours | Milliseconds "
    "| 1-5 minutes (expedited) to 12 hours | 12 to 48 hours |\n"
    "| Price per GB | Highest of the three | Lower | Lowest |\n"
)
GLACIER_NAMES = [
    ("S3 Glacier Instant Retrieval", "Millisecond access for rarely used data"),
    ("S3 Glacier Flexible Retrieval", "Minutes to hours, free bulk retrievals"),
    ("S3 Glacier Deep Archive", "Cheapest storage, 12-hour retrieval"),
]


def test_header_names_that_would_collide_are_lengthened_and_reported():
    # the title uses `S3 Glacier` on its own, which made it look like every column's name
    page = f"S3 Glacier tiers compared\n{GLACIER_HEADER}Examtopics Digest · SAA-C03 · 2026-05-05\n"
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert [(s["name"], s["tagline"]) for s in got["subjects"]] == GLACIER_NAMES
    assert not [d for d in diags if d.code == "I013"]
    unsure = [d for d in diags if d.code == "I003"]
    assert [d.loc.col for d in unsure] == [13, 84, 155]
    assert "'S3 Glacier' alone would name other columns too" in unsure[0].message
    # with the full names used elsewhere, the same names and nothing to report
    used = (
        f"S3 Glacier tiers compared\n{GLACIER_HEADER}Decision Tree\n"
        "Need millisecond access? → S3 Glacier Instant Retrieval. Can wait 12 hours? → "
        "S3 Glacier Deep Archive. Need free bulk retrievals? → S3 Glacier Flexible Retrieval.\n"
    )
    markdown, diags = import_page(used, "p.txt")
    assert [(s["name"], s["tagline"]) for s in facts(markdown)["subjects"]] == GLACIER_NAMES
    assert not [d for d in diags if d.code in ("I003", "I013")]


def test_a_name_that_is_the_start_of_another_keeps_its_tagline():
    page = (
        "Amazon S3 storage options\n"
        "| Feature | Amazon S3 Object storage for anything "
        "| Amazon S3 Glacier Archive storage at the lowest price |\n|---|---|---|\n"
        "| Retrieval | Milliseconds | Minutes to hours |\n"
    )
    got = facts(import_page(page, "p.txt")[0])
    assert [(s["name"], s["tagline"]) for s in got["subjects"]] == [
        ("Amazon S3", "Object storage for anything"),
        ("Amazon S3 Glacier", "Archive storage at the lowest price"),
    ]
    # the same cell twice stays a duplicate (I013), not a made-up longer name
    twice = "Redis\n| Feature | Redis In-memory store | Redis In-memory store |\n|---|---|---|\n"
    markdown, diags = import_page(twice + "| Threads | Single | Single |\n", "p.txt")
    assert [s["name"] for s in facts(markdown)["subjects"]] == ["Redis", "Redis (2)"]
    assert [d.code for d in diags if d.code == "I013"] == ["I013"]


B2B_END = (
    "Summary\nInvite partners with B2B; build customer sign-in with B2C.\n"
    "Next: Conditional Access vs Identity Protection →\nPrivacy · Terms\n"
)


@pytest.mark.parametrize(
    "attribution, ending",
    [
        ("Exam Tutor · AZ-500 · 2026\n", B2B_END),  # attribution above the sections
        ("", B2B_END + "Exam Tutor · AZ-500 · 2026\n"),  # attribution at the very end
        ("", B2B_END.replace("Next: Conditional Access vs Identity Protection →\n", "")),
        ("", B2B_END.replace("Privacy · Terms", "Privacy · Terms · Contact")),
        ("", B2B_END.replace("Next: Conditional", "Next: Microsoft Entra Conditional")),
    ],
)
def test_footer_lines_at_the_end_are_dropped_after_a_summary(attribution: str, ending: str):
    page = f"Redis vs Memcached\n{KAFKA_TABLE}\n{attribution}{ending}"
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert got["notes"] == [
        {"title": "Summary", "text": "Invite partners with B2B; build customer sign-in with B2C."}
    ]
    assert "Privacy" not in markdown and "Next:" not in markdown
    footer = [d for d in diags if d.code == "I001"]
    assert len(footer) == 1 and "Privacy · Terms" in footer[0].message
    assert ("Next:" in footer[0].message) == ("Next:" in ending)
    # only the footer: a sentence ending the page stays
    kept, _ = import_page(page.replace("Privacy · Terms", "Privacy terms apply to B2C."), "p.txt")
    assert "Privacy terms apply to B2C." in kept


def test_a_plain_line_after_a_trap_is_no_invented_section():
    page = (
        f"Security Groups vs Network ACLs\n{KAFKA_TABLE}\nDecision Tree\n"
        "Block one malicious IP address? → Network ACLs.\n"
        "STATELESS TRAP: NACLs need outbound rules for responses; Security Groups do not.\n"
        "A security group can reference another security group; a NACL cannot.\n"
        "NetGuru · ANS-C01 · 2025-12-05\n"
    )
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert "(continued)" not in markdown
    assert [t["text"] for t in got["traps"]] == [
        "NACLs need outbound rules for responses; Security Groups do not.",
        "A security group can reference another security group; a NACL cannot.",
    ]
    assert not got["notes"]
    # with no heading above them, a plain line after a trap is unplaced and reported
    bare = page.replace("Decision Tree\nBlock one malicious IP address? → Network ACLs.\n", "")
    markdown, diags = import_page(bare, "p.txt")
    assert "(continued)" not in markdown
    assert [d.loc.line for d in diags if d.code == "I004"] == [7]


def test_a_section_stays_together_all_traps_or_all_note():
    watch = (
        f"Cloud Run vs GKE\n{KAFKA_TABLE}\n⚠️ Watch out\n"
        "Cloud Functions 2nd gen runs on Cloud Run under the hood, so the limits converge.\n"
        "GKE AUTOPILOT still bills for the pods you request, even when idle.\n"
    )
    got = facts(import_page(watch, "p.txt")[0])
    assert not got["notes"]
    assert [t["text"] for t in got["traps"]] == [
        "Cloud Functions 2nd gen runs on Cloud Run under the hood, so the limits converge.",
        "GKE AUTOPILOT still bills for the pods you request, even when idle.",
    ]
    # a summary keeps its paragraphs as its note, in order, a trap-like one included
    summary = watch.replace("⚠️ Watch out", "Summary")
    markdown, _ = import_page(summary, "p.txt")
    got = facts(markdown)
    assert not got["traps"] and "## Exam traps" not in markdown
    assert got["notes"][0]["title"] == "Summary"
    assert got["notes"][0]["text"].split("\n\n") == watch.splitlines()[-2:]


def test_a_source_label_is_not_part_of_the_source():
    attribution = "Sources: AWS documentation · DBS-C01 · 2025"
    page = f"Kafka vs Kinesis\n{KAFKA_TABLE}\n{KAFKA_BODY}{attribution}\n"
    markdown, _ = import_page(page, "p.txt")
    doc, _ = parse_text(markdown, "x.md")
    assert doc.source == "AWS documentation · DBS-C01 · 2025"
    assert doc.deck.startswith("DBS-C01::")


def test_a_utf16_page_is_named_as_such(runner: CliRunner, tmp_path: Path):
    text = SEED.read_text(encoding="utf-8")
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):
        assert [d.message for d in decode_page(data, "p.txt")[1]] == [
            "page is UTF-16 text; save it as UTF-8"
        ]
    assert "binary" in decode_page(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "p.txt")[1][0].message
    page = tmp_path / "p.txt"
    page.write_bytes(text.encode("utf-16"))
    result = runner.invoke(cli, ["import", str(page), "-o", "-"])
    assert result.exit_code == 1
    assert f"{page}:1:1: I010 error: page is UTF-16 text; save it as UTF-8" in result.output


def test_cli_refuses_an_output_that_is_not_a_markdown_source(runner: CliRunner, tmp_path: Path):
    out = tmp_path / "y.txt"
    result = runner.invoke(cli, ["import", str(SEED), "-o", str(out)])
    assert result.exit_code == 2
    assert "is not a Markdown source; name it .md (or .markdown)" in result.output
    assert not out.exists()
    upper = tmp_path / "y.MARKDOWN"
    assert runner.invoke(cli, ["import", str(SEED), "-o", str(upper)]).exit_code == 0
    assert runner.invoke(cli, ["check", str(upper)]).exit_code == 0


ALPHA_TABLE = "| Feature | Alpha | Beta |\n|---|---|---|\n| Speed | Fast | Slow |\n"


@pytest.mark.parametrize(
    "banner",
    [
        "We use cookies to improve your experience. Accept all | Reject | Manage preferences",
        "🍪 This site uses cookies. By continuing you agree to our cookie policy. Got it!",
        "Accept cookies",
        "☰ Menu",
    ],
)
def test_a_cookie_banner_or_menu_line_on_top_is_no_title(banner: str):
    page = f"{banner}\nAlpha vs Beta\n{ALPHA_TABLE}\nContoso · SAA-C03 · 2026-01-01\n"
    markdown, diags = import_page(page, "p.txt")
    assert facts(markdown)["title"] == "Alpha vs Beta"
    assert "id: alpha-vs-beta\n" in markdown and "ookie" not in markdown
    assert [(d.code, d.loc.line) for d in diags] == [("I001", 1)]
    # a sentence about cookies is content, not a banner
    text = "Session cookies are never shared between the two services."
    kept, _ = import_page(page.replace(banner, "Alpha vs Beta").replace("Contoso", f"{text}\nC"))
    assert text in kept


@pytest.mark.parametrize(
    "ending",
    [
        ["Was this article helpful?", "Yes · No"],
        ["Subscribe to our newsletter", "Enter your email", "Subscribe"],
        ["Related posts", "Kubernetes Networking 101", "CNI Plugins Compared", "Tags: a, b, c"],
        ["Related posts", "How We Moved Every Service From Alpha to Beta in Thirty Days"],
    ],
)
def test_residue_after_the_last_section_is_dropped_and_reported(ending: list[str]):
    page = "\n".join(["Alpha vs Beta", ALPHA_TABLE, "Summary", "Alpha is fast.", *ending])
    markdown, diags = import_page(page + "\n", "p.txt")
    got = facts(markdown)
    assert got["notes"] == [{"title": "Summary", "text": "Alpha is fast."}]
    assert not got["traps"]
    dropped = [d for d in diags if d.code == "I001"]
    assert len(dropped) == 1 and dropped[0].loc.line == 8
    assert all(repr(line) in dropped[0].message for line in ending)


@pytest.mark.parametrize("heading", ["Common mistakes", "⚠️ Common mistakes", "Mistakes to avoid"])
def test_a_warning_heading_over_traps_is_one_heading_never_an_empty_one(heading: str):
    page = (
        f"Alpha vs Beta\n{ALPHA_TABLE}\n{heading}\n"
        "CRITICAL: Alpha does NOT support agents in any tier.\n"
        "Candidates pick Beta for the lowest effort, which is wrong.\n"
        "Remember that Beta runs inside your network.\n"
    )
    markdown, _ = import_page(page, "p.txt")
    headings = re.findall(r"^## .*$", markdown, re.M)
    assert headings == ["## Comparison", f"## {strip_emoji(heading)} — exam traps"]
    assert [t["title"] for t in facts(markdown)["traps"]] == ["CRITICAL", "", ""]
    # any heading over traps only gets the traps, not an empty section and one of our own
    only = page.replace(heading, "Key points").rsplit("\n", 3)[0] + "\n"
    markdown, _ = import_page(only, "p.txt")
    assert re.findall(r"^## .*$", markdown, re.M) == ["## Comparison", "## Key points — exam traps"]
    assert len(facts(markdown)["traps"]) == 1
    # a warning heading over plain paragraphs only: they are traps too
    plain = page.replace("CRITICAL: Alpha does NOT", "Alpha does not")
    got = facts(import_page(plain, "p.txt")[0])
    assert not got["notes"] and len(got["traps"]) == 3


def test_a_one_word_subject_name_is_the_cloze_of_a_trap():
    page = (
        "Redis vs Memcached\n| Feature | Redis | Memcached |\n|---|---|---|\n"
        "| Threads | Single | Multi |\n\nExam traps\n"
        "Memcached has no persistence and no replication of its own.\n"
    )
    markdown, diags = import_page(page, "p.txt")
    assert "- **Memcached** has no persistence" in markdown
    assert "I006" not in [d.code for d in diags]


def test_a_colon_in_brackets_ends_no_trap_title():
    page = (
        "ClusterIP vs NodePort\n| Feature | ClusterIP | NodePort |\n|---|---|---|\n"
        "| Scope | Internal | External |\n\nGotchas\n"
        "Headless services (clusterIP: None) give no virtual IP at all.\n"
        "NodePort range [default: 30000-32767] is FIXED unless the flag changes.\n"
        "WATCH OUT: NodePort opens the port on every node.\n"
    )
    got = facts(import_page(page, "p.txt")[0])
    assert [(t["title"], t["text"]) for t in got["traps"]] == [
        ("", "Headless services (clusterIP: None) give no virtual IP at all."),
        ("", "NodePort range [default: 30000-32767] is FIXED unless the flag changes."),
        ("WATCH OUT", "NodePort opens the port on every node."),
    ]


def test_a_tab_separated_table_copied_from_a_browser_is_a_table():
    page = (
        "Redis vs Memcached\nCache Guides · SAA-C03 · 2026-01-20\n"
        "Two caches; the exam asks which one persists.\n\n"
        "Feature\tRedis Rich data structures\tMemcached Simple cache\n"
        "Persistence Only Redis survives a restart\tSnapshots | AOF\tNone\n"
        "Threads\tSingle\t\n"
        "Replication\tYes\n\nSummary\nRedis does more.\n"
    )
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert got["description"] == "Two caches; the exam asks which one persists."
    assert got["subjects"] == [
        {"name": "Redis", "tagline": "Rich data structures"},
        {"name": "Memcached", "tagline": "Simple cache"},
    ]
    assert got["rows"] == [
        {
            "attribute": "Persistence",
            "tip": "Only Redis survives a restart",
            "values": ["Snapshots | AOF", "None"],
        },
        {"attribute": "Threads", "tip": "", "values": ["Single", ""]},
        {"attribute": "Replication", "tip": "", "values": ["Yes", ""]},
    ]
    assert [d.loc.line for d in diags if d.code == "I005"] == [8]  # the short row
    assert not [d for d in diags if d.code in ("I004", "I008")]
    # tabs elsewhere are spaces, and two lines with a tab each are no table
    prose = "T\nRead this\tthen that\tand more\nAnd this\tthen more\n"
    markdown, diags = import_page(prose, "p.txt")
    assert "I008" in {d.code for d in diags} and "Read this then that and more" in markdown


@pytest.mark.parametrize(
    "attribution",
    ["AZ-700 · 2026-03-01 · Contoso Learning", "Contoso Learning · AZ-700 · 2026-03-01"],
)
def test_an_exam_code_anywhere_in_the_attribution_names_the_deck(attribution: str):
    page = f"Kafka vs Kinesis\n{attribution}\n\n{KAFKA_TABLE}\n{KAFKA_BODY}"
    doc, _ = parse_text(import_page(page, "p.txt")[0], "x.md")
    assert doc.deck.startswith("AZ-700::") and doc.tags == ("az-700",)


def test_a_label_keeps_its_term_and_a_number_keeps_its_unit():
    page = (
        "EBS volumes\n| Feature | EBS gp3 General Purpose | EBS io2 Provisioned IOPS |\n"
        "|---|---|---|\n"
        "| Max IOPS gp3 gives 3,000 IOPS baseline regardless of size | 16,000 | 256,000 |\n"
        "| Max Size 5 PiB volumes are the default limit since 2023 | 16 TiB | 64 TiB |\n"
        "| Durability io2 is the only type with 99.999% durability | 99.8% | 99.999% |\n"
    )
    markdown, diags = import_page(page, "p.txt")
    rows = [(r["attribute"], r["tip"]) for r in facts(markdown)["rows"]]
    assert rows == [
        ("Max IOPS", "gp3 gives 3,000 IOPS baseline regardless of size"),
        ("Max Size", "5 PiB volumes are the default limit since 2023"),
        ("Durability", "io2 is the only type with 99.999% durability"),
    ]
    assert not [d for d in diags if d.code == "I002"]
    # a lower-case name the page uses nowhere else: the split is reported, never taken as sure
    page = page.replace("Max IOPS gp3 gives", "Max IOPS io9 gives")
    assert [d.loc.line for d in import_page(page, "p.txt")[1] if d.code == "I002"] == [4]


def test_page_bookkeeping_is_dropped_from_description_and_source():
    page = (
        "Kafka vs Kinesis\nStreaming Specialty · 15 min read · Updated yesterday\n"
        "Posted in Streaming · 7 comments · 6 min read\n\n"
        f"{KAFKA_TABLE}\n{KAFKA_BODY}\nBy Jane Doe · SAA-C03 · 2025-10-20 · 8 min read\n"
    )
    markdown, diags = import_page(page, "p.txt")
    got = facts(markdown)
    assert got["description"] == "Streaming Specialty"
    assert got["source"] == "By Jane Doe · SAA-C03 · 2025-10-20"
    dropped = [(d.loc.line, d.loc.col) for d in diags if d.code == "I001"]
    assert dropped == [(2, 23), (3, 1), (15, 38)]
    assert "min read" not in markdown and "comments" not in markdown


def test_a_row_ending_in_a_pipe_without_outer_pipes_has_an_empty_last_cell():
    page = (
        "Redis vs Memcached\n\nFeature | Redis | Memcached | Exam tip\n"
        "Persistence | Snapshots and AOF | None | Only Redis survives a restart\n"
        "Data types | Strings, lists, sets | Strings only | \n"
        "Threads | Single | Multi\n\nSummary\nRedis does more.\n"
    )
    markdown, diags = import_page(page, "p.txt")
    rows = facts(markdown)["rows"]
    assert rows[1] == {
        "attribute": "Data types",
        "tip": "",
        "values": ["Strings, lists, sets", "Strings only"],
    }
    # a row one cell short without the closing pipe is still reported
    assert [d.loc.line for d in diags if d.code == "I005"] == [6]


# --------------------------------------------------------------------------------------------
# Issue 13: unseen copy styles (the corpus in tests/test_import_corpus.py scores them at large)


@pytest.mark.parametrize("header", ["High-yield pearl", "REMEMBER", "Exam hint", "Gotcha"])
@pytest.mark.parametrize("position", [1, 3])
def test_a_tip_column_of_any_name_and_position_is_the_tip(header: str, position: int):
    cols = ["Ser", "Estar"]
    cols.insert(position - 1, header)
    row = ["soy", "estoy"]
    row.insert(position - 1, "Mind the verb")
    text = f"Ser vs Estar\n| Use | {' | '.join(cols)} |\n|---|---|---|---|\n"
    text += f"| Identity | {' | '.join(row)} |\n"
    got = facts(import_page(text, "p.txt")[0])
    assert [s["name"] for s in got["subjects"]] == ["Ser", "Estar"]
    assert got["rows"] == [
        {"attribute": "Identity", "tip": "Mind the verb", "values": ["soy", "estoy"]}
    ]


def test_tip_lines_between_rows_and_after_the_last_are_the_row_above():
    text = (
        "List vs Tuple\n| Property | List | Tuple | Exam tip |\n|---|---|---|---|\n"
        "| Mutable | Yes | No | Tuples are fixed |\n"
        "Exam tip: a tuple of lists is still not hashable.\n"
        "| Ordered | Yes | Yes | |\n"
        "| Note: both keep insertion order. |\n"
        "| Hashable | No | Yes | |\n"
        "Tip: use a frozenset for a hashable set.\n"
    )
    markdown, diags = import_page(text, "p.txt")
    rows = facts(markdown)["rows"]
    assert [(r["attribute"], r["tip"]) for r in rows] == [
        ("Mutable", "Tuples are fixed. A tuple of lists is still not hashable."),
        ("Ordered", "Both keep insertion order."),
        ("Hashable", "Use a frozenset for a hashable set."),
    ]
    assert not facts(markdown)["traps"]
    assert not [d for d in diags if d.code in ("I002", "I004", "I005")]


def test_subject_names_keep_their_numbers_and_shared_nouns():
    text = (
        "Type 1 vs Type 2 Diabetes\n| Feature | Type 1 Diabetes | Type 2 Diabetes |\n"
        "|---|---|---|\n"
        "| Cause Anti-GAD antibodies point to Type 1 | Autoimmune | Insulin resistance |\n"
    )
    assert [s["name"] for s in facts(import_page(text, "p.txt")[0])["subjects"]] == [
        "Type 1 Diabetes",
        "Type 2 Diabetes",
    ]
    bonds = (
        "Bonds\n| Property | Ionic Bond Electrons given | Covalent Bond Electrons shared |\n"
        "|---|---|---|\n| Example | Salt | Water |\nIonic bonds need a metal.\n"
    )
    subjects = facts(import_page(bonds, "p.txt")[0])["subjects"]
    assert [(s["name"], s["tagline"]) for s in subjects] == [
        ("Ionic Bond", "Electrons given"),
        ("Covalent Bond", "Electrons shared"),
    ]


def test_labels_keep_brackets_and_leading_numbers():
    rows = facts(
        import_page(
            page_with(
                "Hashable (usable as dict key) | No | Yes |\n"
                "Membership test (x in c) | O(n) | O(1) |\n"
                "2026 contribution limit | $7,000 | $7,000 |"
            ),
            "p.txt",
        )[0]
    )["rows"]
    assert [(r["attribute"], r["tip"]) for r in rows] == [
        ("Hashable (usable as dict key)", ""),
        ("Membership test (x in c)", ""),
        ("2026 contribution limit", ""),
    ]


def test_page_chrome_never_reaches_title_or_description():
    text = (
        "Python Tutorial\nList vs Tuple in Python\n"
        "Medically reviewed by Dr. Alan Cho, MD · 6 min read\n"
        "Written by Dana Whitfield | Reviewed by Marco Ruiz, CFP | Updated March 2026\n"
        "In this article\nOverview\nWhich one is it? Practice\n"
        "Share this\nFacebook\nPinterest\nCopy link\n"
        "Two collections with different rules.\n"
        "| Property | List | Tuple |\n|---|---|---|\n| Mutable | Yes | No |\n"
        "Which one should you pick?\nPick a list unless the record is fixed.\n"
    )
    markdown, diags = import_page(text, "p.txt")
    got = facts(markdown)
    assert got["title"] == "List vs Tuple in Python"
    assert got["description"] == "Two collections with different rules."
    assert got["notes"] == [
        {"title": "Which one should you pick?", "text": "Pick a list unless the record is fixed."}
    ]
    assert not got["traps"]
    residue = " ".join(d.message for d in diags if d.code == "I001")
    for why in ("site section name", "byline", "table of contents", "share bar"):
        assert why in residue, why


def test_a_table_broken_by_an_ad_goes_on():
    text = (
        "A vs B\nAspect\tWorld War I\tWorld War II\nAlliances\tAllies vs Central\tAllies vs Axis\n"
        "Advertisement\nContinue reading below\nDeaths\tAbout 20 million\tAbout 70 million\n"
    )
    markdown, diags = import_page(text, "p.txt")
    assert [r["attribute"] for r in facts(markdown)["rows"]] == ["Alliances", "Deaths"]
    assert any("advertisement inside the table" in d.message for d in diags)


def test_a_table_pasted_one_cell_per_line():
    body = "Aspect\nCommon Law\nCivil Law\nSource\nPrecedent\nCodes\nJudges\nMake law\nApply it\n"
    got = facts(import_page(f"Common Law vs Civil Law\n\n{body}", "p.txt")[0])
    assert [s["name"] for s in got["subjects"]] == ["Common Law", "Civil Law"]
    assert got["rows"][1] == {"attribute": "Judges", "tip": "", "values": ["Make law", "Apply it"]}
    # 9 lines also divide into 3 rows of 3 or... without the title's "vs" the count is a guess
    _, diags = import_page(f"Legal systems\n\n{body}", "p.txt")
    assert [d.code for d in diags if d.code == "I016"] == ["I016"]


def test_a_trap_without_emphasis_gets_a_proposed_cloze_listed_for_review():
    text = page_with(
        "Size | 1 | 2 |", "Common Traps\nTRAP: diamond is covalent yet melts at 4000 K.\n"
    )
    markdown, diags = import_page(text, "p.txt")
    assert "**4000 K**" in markdown
    proposed = [d for d in diags if d.code == "I015"]
    assert len(proposed) == 1 and "**4000 K**" in proposed[0].message
    assert proposed[0].loc.line == 8


def test_reimporting_a_newer_page_keeps_the_authors_edits(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    v1 = page_with("Size | 1 KB | 2 KB |\nRetention | 4 days | none |")
    Path("page.txt").write_text(v1, encoding="utf-8")
    assert runner.invoke(cli, ["import", "page.txt", "-o", "sources/q.md"]).exit_code == 0
    src = Path("sources/q.md")
    base = Path("sources/.cardgen-import/q.md.base")
    assert base.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    # the author fixes a value by hand; the site updates another row
    src.write_text(src.read_text("utf-8").replace("| 4 days |", "| 4 days (max 14) |"), "utf-8")
    Path("page.txt").write_text(v1.replace("Size | 1 KB", "Size | 256 KB"), encoding="utf-8")
    refused = runner.invoke(cli, ["import", "page.txt", "-o", "sources/q.md"])
    assert refused.exit_code == 2
    assert "+| Retention | 4 days (max 14) |" in refused.output  # the edits are shown
    assert "--merge to apply the page's changes and keep your edits" in refused.output
    merged = runner.invoke(cli, ["import", "page.txt", "-o", "sources/q.md", "--merge"])
    assert merged.exit_code == 0, merged.output
    text = src.read_text(encoding="utf-8")
    assert "| 4 days (max 14) |" in text and "| 256 KB |" in text
    assert "| 256 KB |" in base.read_text(encoding="utf-8")  # the new import is the new base
    assert runner.invoke(cli, ["check", "sources"]).exit_code == 0  # the base is no source
    # both sides change the same row: a conflict, reported at the source's line; nothing written
    src.write_text(text.replace("| 256 KB |", "| 256 KiB |"), encoding="utf-8")
    Path("page.txt").write_text(v1.replace("Size | 1 KB", "Size | 512 KB"), encoding="utf-8")
    before = src.read_bytes()
    clash = runner.invoke(cli, ["import", "page.txt", "-o", "sources/q.md", "--merge"])
    assert clash.exit_code == 1
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "| 256 KB |" in s)
    assert f"sources/q.md:{line}:1: conflict: you changed" in clash.output
    assert "Not merged: 1 conflict; nothing written." in clash.output
    assert src.read_bytes() == before


def test_merge_without_a_record_of_the_last_import_refuses(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    Path("sources").mkdir()
    Path("sources/q.md").write_text("hand written", encoding="utf-8")
    Path("page.txt").write_text(page_with("Size | 1 | 2 |"), encoding="utf-8")
    result = runner.invoke(cli, ["import", "page.txt", "-o", "sources/q.md", "--merge"])
    assert result.exit_code == 1
    assert "no record of the last import of sources/q.md" in result.output
    assert Path("sources/q.md").read_text(encoding="utf-8") == "hand written"
