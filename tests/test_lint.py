"""Card-quality lint: every rule fires on a bad case and stays quiet on a close good one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cards import build_cards
from cardgen.cli import cli
from cardgen.diagnostics import REGISTRY, Severity
from cardgen.lint import count_items, count_words, fact_ids, lint, unknown_codes
from cardgen.lint.rules import TABLE
from cardgen.pipeline import check as check_sources
from cardgen.source import parse_text
from tests.conftest import COGNITO, SOURCES

FRONT = "---\nsource: Test notes · 2026\n---\n\n# Title\n\n"


def lint_source(body: str, ignore: tuple[str, ...] = (), front: str = FRONT):
    doc, diags = parse_text(front + body, "t.md")
    assert not [d for d in diags if d.is_error], [d.format() for d in diags]
    return lint(doc, build_cards(doc), ignore)


def codes(body: str, **kw) -> list[str]:
    return [d.code for d in lint_source(body, **kw)]


def line_of(body: str, needle: str, front: str = FRONT) -> int:
    return (front + body).split("\n").index(
        next(x for x in (front + body).split("\n") if needle in x)
    ) + 1


def table(*rows: str, header: str = "| Feature | Alpha | Beta |") -> str:
    return "\n".join([header, "|---|---|---|", *rows]) + "\n"


WORDS = [f"w{i}" for i in range(40)]


# --------------------------------------------------------------------------------------------
# L101 answer length


def test_l101_fires_on_a_value_over_the_word_limit_at_its_row():
    long = " ".join(WORDS[:21])
    body = table(f"| Size | {long} | small |")
    found = [d for d in lint_source(body) if d.code == "L101"]
    assert len(found) == 1
    d = found[0]
    assert d.severity is Severity.WARNING
    assert d.loc.line == line_of(body, "| Size |")
    assert "'Alpha'" in d.message and "21 words" in d.message


def test_l101_quiet_at_exactly_the_limit():
    body = table(f"| Size | {' '.join(WORDS[:20])} | small |")
    assert "L101" not in codes(body)


def test_l101_counts_words_a_reader_sees_not_markup_or_dashes():
    value = " — ".join(["**" + w + "**" for w in WORDS[:20]])  # 20 words, 19 dashes, bold
    assert count_words(value) == 20
    assert "L101" not in codes(table(f"| Size | {value} | small |"))


def test_l101_cloze_span_over_six_words_fires_six_does_not():
    seven = " ".join(WORDS[:7])
    six = " ".join(WORDS[:6])
    filler = " ".join(WORDS[10:30])
    bad = f"## Traps\n\n- Remember that **{seven}** matters when {filler}.\n"
    good = f"## Traps\n\n- Remember that **{six}** matters when {filler}.\n"
    assert codes(bad).count("L101") == 1
    assert "L101" not in codes(good)


def test_l101_scenario_answer():
    bad = "## Decision tree\n\n- Which one? → " + " ".join(WORDS[:21]) + "\n"
    good = "## Decision tree\n\n- Which one? → " + " ".join(WORDS[:20]) + "\n"
    assert "L101" in codes(bad)
    assert "L101" not in codes(good)


# --------------------------------------------------------------------------------------------
# L102 enumerations


def test_l102_six_items_fire_five_do_not():
    assert "L102" in codes(table("| Holds | a, b, c, d, e, f | x |"))
    assert "L102" not in codes(table("| Holds | a, b, c, d, e | x |"))


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("User directory: usernames, passwords, MFA, account recovery, user attributes, groups", 6),
        ("a, b, c, d and e", 5),
        ("a, b, c, d, and e", 5),
        ("Social IdPs (Google, Facebook, Apple, Amazon, Twitter, GitHub)", 1),
        ("Free tier: 10,000 MAUs/month, then 50,000 more", 2),
        ("a, b, c; d, e, f", 3),
        ("Pre Sign-up, Post Confirmation. Custom Message, User Migration", 2),
        ("one thing only", 1),
    ],
)
def test_count_items(text: str, items: int):
    assert count_items(text) == items


def test_l102_commas_inside_brackets_do_not_make_an_enumeration():
    value = "Social IdPs (Google, Facebook, Apple, Amazon, Twitter, GitHub)"
    assert "L102" not in codes(table(f"| Sources | {value} | x |"))


# --------------------------------------------------------------------------------------------
# L103 interference


def test_l103_rows_that_differ_only_by_an_abbreviation_fire_once_at_the_later_row():
    body = table(
        "| Maximum object size | 5 TB per object | 400 KB per item |",
        "| Max. object sizes | 0 bytes, empty objects allowed | 1 byte per item |",
    )
    found = [d for d in lint_source(body) if d.code == "L103"]
    assert len(found) == 1, [d.format() for d in found]
    assert found[0].loc.line == line_of(body, "Max. object sizes")
    assert f"line {line_of(body, 'Maximum object size')}" in found[0].message
    assert "nearly the same" in found[0].message


def test_l103_rows_with_a_word_of_content_apart_are_quiet():
    # Maximum / Minimum differ in what they ask: a learner tells them apart.
    body = table(
        "| Maximum object size | 5 TB per object | 400 KB per item |",
        "| Minimum object size | 0 bytes, empty objects allowed | 1 byte per item |",
    )
    assert "L103" not in codes(body)


def test_l103_same_attribute_in_two_tables_is_the_same_prompt():
    one = table("| Retention | 14 days at most | not stored |", header="| F | SQS | SNS |")
    two = table("| Retention | 4 days by default | 7 days |", header="| F | SQS | Kinesis |")
    found = [d for d in lint_source(one + "\n" + two) if d.code == "L103"]
    assert len(found) == 1 and "the same as" in found[0].message
    assert "'SQS — Retention?'" in found[0].message


def test_l103_articles_plurals_and_case_fold_but_negations_do_not():
    same = "## Decision tree\n\n- Need a guest access? → Beta\n- need guest accesses → Alpha\n"
    found = [d for d in lint_source(same) if d.code == "L103"]
    assert len(found) == 1 and "nearly the same" in found[0].message
    differ = "## Decision tree\n\n- Need guest access? → Beta\n- Need no guest access? → Alpha\n"
    assert "L103" not in codes(differ)


def test_l103_identical_scenario_prompts_are_the_same():
    body = "## Decision tree\n\n- Need guest access? → Beta\n- Need guest access! → Alpha\n"
    found = [d for d in lint_source(body) if d.code == "L103"]
    assert len(found) == 1 and "the same as" in found[0].message


def test_l103_forward_cards_of_one_row_are_not_compared():
    # The forward prompts differ only by the subject they name: parallel by design.
    body = table(
        "| Delivery order | strict order within a group | best effort ordering |",
        header="| Feature | SQS FIFO Queue | SQS FIFO Queues |",
    )
    assert "L103" not in codes(body)


def test_l103_identify_cards_of_one_row_are_compared():
    # Different values to the builder ("in order" vs "in-order"), the same prompt to a reader.
    body = table("| Delivery | messages arrive in order | Messages arrive in-order |")
    found = [d for d in lint_source(body) if d.code == "L103"]
    assert len(found) == 1 and "identify" in found[0].message and "this line" in found[0].message


# --------------------------------------------------------------------------------------------
# L104 a value naming its own subject


def test_l104_value_that_is_its_own_subjects_name():
    body = table(
        "| Backed by | Amazon SQS | a topic with fan-out |", header="| X | Amazon SQS | SNS |"
    )
    found = [d for d in lint_source(body) if d.code == "L104"]
    assert len(found) == 1 and "'Amazon SQS'" in found[0].message
    assert found[0].loc.line == line_of(body, "| Backed by |")


def test_l104_value_that_is_the_other_subjects_name_is_quiet():
    body = table(
        "| Backed by | Amazon SNS | a topic with fan-out |", header="| X | Amazon SQS | SNS |"
    )
    assert "L104" not in codes(body)


def test_l104_name_word_masking_leaves_visible():
    header = "| X | Amazon SQS | Amazon SNS |"
    bad = table("| Ordering | SQS FIFO queues keep order | no ordering at all |", header=header)
    good = table("| Ordering | FIFO queues keep order | no ordering at all |", header=header)
    assert [d.code for d in lint_source(bad)].count("L104") == 1
    assert "'SQS'" in next(d.message for d in lint_source(bad) if d.code == "L104")
    assert "L104" not in codes(good)


def test_l104_acronym_of_a_long_name():
    header = "| X | Simple Queue Service | Simple Notification Service |"
    assert "L104" in codes(
        table("| Model | SQS keeps each message | pushes to all |", header=header)
    )
    assert "L104" not in codes(
        table("| Model | keeps each message | pushes to all |", header=header)
    )


def test_l104_ordinary_title_case_words_are_not_giveaways():
    # "User" belongs only to "User Pools", but "User Migration" does not name the subject.
    header = "| X | Cognito User Pools | Identity Pools |"
    body = table(
        "| Triggers | Pre Sign-up, User Migration hooks | role mapping rules |", header=header
    )
    assert "L104" not in codes(body)


def test_l104_masked_name_is_fine():
    header = "| X | Cognito User Pools | Identity Pools |"
    body = table(
        "| Output | User Pools issue JWT tokens | STS credentials for AWS |", header=header
    )
    assert "L104" not in codes(body)


# --------------------------------------------------------------------------------------------
# L105 rows that teach nothing


def test_l105_all_values_the_same():
    assert "L105" in codes(table("| Encryption | AES-256 | aes-256. |"))
    assert "L105" not in codes(table("| Encryption | AES-256 | AES-128 |"))


def test_l105_all_bare_yes_no():
    assert "L105" in codes(table("| MFA | YES | NO |"))
    assert "L105" not in codes(table("| MFA | YES — TOTP or SMS | NO |"))


def test_l105_needs_two_subjects_and_every_value():
    single = "| Feature | Alpha |\n|---|---|\n| MFA | YES |\n"
    assert "L105" not in codes(single)


# --------------------------------------------------------------------------------------------
# Traps: L106 no cloze, L107 cloze hides most of its sentence, L109 cloze given away


def test_l106_trap_without_bold():
    bad = "## Traps\n\n- **GOTCHA:** tokens never reach the backend directly.\n"
    good = "## Traps\n\n- **GOTCHA:** tokens **never** reach the backend directly.\n"
    found = [d for d in lint_source(bad) if d.code == "L106"]
    assert len(found) == 1 and found[0].loc.line == line_of(bad, "GOTCHA")
    assert "L106" not in codes(good)
    # the builder makes no card for it, which is why it is reported
    doc, _ = parse_text(FRONT + bad, "t.md")
    assert not [c for c in build_cards(doc) if c.kind == "cloze"]


def test_l107_cloze_hiding_most_of_its_sentence():
    bad = (
        "## Traps\n\n- It is **never cached at all**. Other sentences are long and do not count.\n"
    )
    good = (
        "## Traps\n\n- It is **never** cached at all. Other sentences are long and do not count.\n"
    )
    found = [d for d in lint_source(bad) if d.code == "L107"]
    assert len(found) == 1 and "4 of the 6 words" in found[0].message
    assert "L107" not in codes(good)


def test_l107_half_is_not_most():
    assert "L107" not in codes("## Traps\n\n- Then **Identity Pools** do it.\n")


def test_l109_cloze_said_again_elsewhere_on_the_card():
    bad = (
        "## Traps\n\n- Guest access needs **Identity Pools**; the answer is Identity Pool roles.\n"
    )
    good = "## Traps\n\n- Guest access needs **Identity Pools**; the answer is a guest role.\n"
    assert "L109" in codes(bad)
    assert "L109" not in codes(good)


def test_l109_another_cloze_of_the_same_text_gives_it_away():
    # Anki shows the other clozes of a note while one is asked (one warning per span text).
    bad = "## Traps\n\n- Send it to **Identity Pool**, then **Identity Pool** calls STS.\n"
    assert codes(bad).count("L109") == 1
    good = "## Traps\n\n- Send it to **Identity Pool**, then **it** calls STS.\n"
    assert "L109" not in codes(good)


def test_l109_title_gives_it_away():
    bad = "## Traps\n\n- **STS TRAP:** credentials always come from **STS** in the end.\n"
    assert "L109" in codes(bad)


def test_l109_stop_word_clozes_are_not_given_away():
    body = "## Traps\n\n- A token can **not** call S3, and it does not call DynamoDB either.\n"
    assert "L109" not in codes(body)


# --------------------------------------------------------------------------------------------
# L108 attribution


def test_l108_missing_source_at_line_one():
    body = table("| Size | 5 TB | 400 KB |")
    found = [d for d in lint_source(body, front="# Title\n\n") if d.code == "L108"]
    assert len(found) == 1 and found[0].loc.line == 1
    assert "L108" not in codes(body)


# --------------------------------------------------------------------------------------------
# Switching rules off: front matter (per file, per fact), per run; L100 keeps it honest


def fm(*entries: str) -> str:
    items = "".join(f"    - {e}\n" for e in entries)
    return f"---\nsource: Test notes\nlint:\n  ignore:\n{items}---\n\n# Title\n\n"


BOTH_SAME = table("| Encryption | AES-256 | AES-256 |", "| Region | global | global |")


def test_front_matter_code_switches_a_rule_off_for_the_file():
    assert codes(BOTH_SAME).count("L105") == 2
    assert codes(BOTH_SAME, front=fm("L105")) == []


def test_front_matter_entry_for_one_fact_only():
    found = lint_source(BOTH_SAME, front=fm("L105:encryption  # the reason"))
    assert [d.code for d in found] == ["L105"]
    assert "'Region'" in found[0].message


def test_run_ignore_and_prefixes():
    assert codes(BOTH_SAME, ignore=("L105",)) == []
    assert codes(BOTH_SAME, ignore=("l10",)) == []
    assert codes(BOTH_SAME, ignore=("L",)) == []
    assert codes(BOTH_SAME, ignore=("L101",)).count("L105") == 2


def test_l100_unknown_code_unknown_fact_and_stale_entries():
    found = lint_source(BOTH_SAME, front=fm("L105", "L999", "L101:no-such-row", "L108"))
    messages = {d.message for d in found if d.code == "L100"}
    assert len(messages) == 3, messages
    assert any("'L999'" in m and "no lint rule" in m for m in messages)
    assert any("no-such-row" in m for m in messages)
    assert any("'L108'" in m and "silences nothing" in m for m in messages)
    # Each at its own entry's line (the entries start on line 5 of `fm`), column 7 (after `- `).
    lines = {d.message.split("'")[1]: (d.loc.line, d.loc.col) for d in found if d.code == "L100"}
    assert lines == {"L999": (6, 7), "L101:no-such-row": (7, 7), "L108": (8, 7)}
    assert codes(BOTH_SAME, front=fm("L105", "L999"), ignore=("L100",)) == []


def test_unknown_codes():
    assert unknown_codes(["L101", "L10", "L", "L101:row"]) == []
    assert unknown_codes(["P104", "L999", "", "X"]) == ["P104", "L999", "", "X"]


def test_every_rule_is_in_the_catalogue():
    """Every registered L code but L100 (the runner's own: stale `lint: ignore` entries) has
    exactly one rule function in the table, and every function of the table one code."""
    assert "L100" not in TABLE
    assert set(TABLE) | {"L100"} == {c for c in REGISTRY if c.startswith("L")}
    assert len(set(TABLE.values())) == len(TABLE)


# --------------------------------------------------------------------------------------------
# Wiring: pipeline.check(), `cardgen check`, and the Cognito source


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "deck.md"
    p.write_text(text, encoding="utf-8")
    return p


def test_check_reports_lint_and_takes_a_run_ignore(tmp_path: Path):
    p = write(tmp_path, FRONT + BOTH_SAME)
    checked = check_sources([p])
    assert [d.code for d in checked.diagnostics] == ["L105", "L105"]
    assert checked.checked[0].cards
    assert check_sources([p], ignore=["L105"]).diagnostics == []


def test_check_cli_warns_strict_fails_ignore_silences(tmp_path: Path):
    p = write(tmp_path, "# Title\n\n" + BOTH_SAME)
    runner = CliRunner()
    res = runner.invoke(cli, ["check", str(p)])
    assert res.exit_code == 0, res.output
    assert res.output.count(" L105 warning: ") == 2 and " L108 warning: " in res.output
    assert runner.invoke(cli, ["check", "--strict", str(p)]).exit_code == 1
    res = runner.invoke(cli, ["check", "--strict", "--ignore", "L105,l108", str(p)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["check", "--strict", "--ignore", "L105", "--ignore", "L108", str(p)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["check", "--ignore", "L1O5", str(p)])
    assert res.exit_code == 2 and "L1O5" in res.output


def test_cognito_source_is_lint_clean_under_strict():
    checked = check_sources([COGNITO])
    assert [d.format() for d in checked.diagnostics] == []
    res = CliRunner().invoke(cli, ["check", "--strict", str(SOURCES)])
    assert res.exit_code == 0, res.output


def test_cognito_silencing_is_scoped_and_still_needed():
    """Every entry in the Cognito front matter names one row and silences a real warning: with
    the front matter's list dropped, exactly those warnings come back."""
    doc, _ = parse_text(COGNITO.read_text(encoding="utf-8"), "c.md")
    assert doc.lint_ignore and all(":" in e for e in doc.lint_ignore)
    from dataclasses import replace

    bare = replace(doc, lint_ignore=())
    found = lint(bare, build_cards(bare))
    ids = fact_ids(bare)
    assert sorted(f"{d.code}:{ids[d.loc]}".upper() for d in found) == sorted(
        e.upper() for e in doc.lint_ignore
    )


# --------------------------------------------------------------------------------------------
# docs/lint.md: every rule's bad example fires it, every good example is lint-clean

DOC = Path(__file__).resolve().parent.parent / "docs" / "lint.md"


def doc_examples() -> list[tuple[str, str, str]]:
    """(code, "bad" | "good", source text) for every example block of docs/lint.md."""
    examples = []
    code = ""
    lines = DOC.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## L1"):
            code = line.split()[1]
        elif line.startswith("```md ") and code:
            kind = line.split()[1]
            end = lines.index("```", i + 1)
            examples.append((code, kind, "\n".join(lines[i + 1 : end]) + "\n"))
            i = end
        i += 1
    return examples


def test_docs_have_a_bad_and_a_good_example_for_every_rule():
    pairs = {(code, kind) for code, kind, _ in doc_examples()}
    rules = list(TABLE)  # L100 has no example: it is about `lint: ignore` entries
    assert pairs == {(c, k) for c in rules for k in ("bad", "good")}


@pytest.mark.parametrize(("code", "kind", "text"), doc_examples())
def test_docs_example(code: str, kind: str, text: str):
    doc, diags = parse_text(text, "example.md")
    assert not diags, [d.format() for d in diags]
    found = [d.code for d in lint(doc, build_cards(doc))]
    if kind == "bad":
        assert code in found
    else:
        assert found == []


# --------------------------------------------------------------------------------------------
# Review fixes: L103 on short prompts, L108 after a front-matter error, L100 as written


def test_l103_a_short_question_does_not_match_a_value_of_its_last_word():
    # Folding drops `Which` and `is`: what is left ("fast") is too little to call them the same.
    body = (
        table("| Speed | fast 🚀 | slow 🐢 |") + "\n## Decision tree\n\n- Which is fast? → Alpha\n"
    )
    assert "L103" not in codes(body)
    # The same words still match, however short.
    same = table("| Speed | fast 🚀 | slow 🐢 |") + "\n## Decision tree\n\n- Fast! → Alpha\n"
    found = [d for d in lint_source(same) if d.code == "L103"]
    assert len(found) == 1 and "the same as" in found[0].message


@pytest.mark.parametrize(
    "front",
    [
        "---\nid: typo\nsource: me\ndeck AWS::Oops\n---\n",  # P010: a key without its colon
        "---\nsource: me\ntags: [a, b\n---\n",  # P010: an unclosed list
        "---\nsource: me\nid: abc\n",  # P010: never closed
        "---\nsource: [me, you]\n---\n",  # P011: `source` given, its value refused
    ],
)
def test_l108_quiet_when_the_front_matter_could_not_be_read(front: str):
    text = front + "# Title\n\n" + table("| Size | small | large |")
    doc, diags = parse_text(text, "t.md")
    assert {d.code for d in diags if d.is_error} & {"P010", "P011"}
    assert "L108" not in [d.code for d in lint(doc, build_cards(doc))]


def test_l108_still_fires_when_the_front_matter_has_no_source():
    text = "---\nid: x\n---\n# Title\n\n" + table("| Size | small | large |")
    doc, _ = parse_text(text, "t.md")
    assert [d.code for d in lint(doc, build_cards(doc))] == ["L108"]


def test_l100_echoes_the_entry_as_written_at_its_line():
    found = lint_source(BOTH_SAME, front=fm("L105", "L102:nope"))
    assert [d.format() for d in found if d.code == "L100"] == [
        "t.md:6:7: L100 warning: `lint: ignore` entry 'L102:nope' names no row, trap or "
        "scenario of this file ('nope')"
    ]
    # Matching still ignores case: `l105:Encryption` silences the row `encryption`.
    assert [d.code for d in lint_source(BOTH_SAME, front=fm("l105:Encryption"))] == ["L105"]
