"""`cardgen show` and `cardgen check` through click's CliRunner, with exact output; exit codes
(0 clean, 1 content errors, 2 bad usage); and the lazy-import promise of `cardgen --help`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import COGNITO, FIXTURES, ROOT, cli, write_source

PARSED = FIXTURES / "parse"
OK = "---\nsource: x\n---\n# Ok\n\n## Decision tree\n\n- Which one? → the right one\n"


# --------------------------------------------------------------------------------------------
# check


def test_check_sources_is_clean(here: Path) -> None:
    # the shipped source only: a user's own sources in the checkout's sources/ are not ours
    (here / "sources").mkdir()
    shutil.copy(COGNITO, here / "sources" / COGNITO.name)
    for args in (["check"], ["check", "sources/"], ["check", "--strict", "sources/"]):
        r = cli(*args)
        assert (r.exit_code, r.output) == (0, "All checks passed.\n"), args


# Each malformed input: (file text, expected output of `check --ignore L`, exit code).
MALFORMED = {
    "p101": (
        """
        # T

        | Feature | A | B |
        |---|---|---|
        | Short | one |
        | Long | one | two | three |
        """,
        "bad.md:5:1: P101 error: row has 2 cells, expected 3\n"
        "bad.md:5:1: P104 warning: empty value for 'B' in row 'Short'\n"
        "bad.md:6:1: P101 error: row has 4 cells, expected 3\n"
        "Found 2 errors and 1 warning.\n",
        1,
    ),
    "p100": (
        """
        # T

        | Feature | Exam tip |
        |---|---|
        | Colour | remember |
        """,
        "bad.md:1:1: P021 warning: no comparison table, trap or scenario found\n"
        "bad.md:3:1: P100 error: table has no subject column (only an attribute and tip columns)\n"
        "Found 1 error and 1 warning.\n",
        1,
    ),
    "p102": (
        """
        # T

        | Feature | A | B |
        |---|---|---|
        | Colour | red | blue |
        | COLOUR | pink | navy |
        """,
        "bad.md:6:1: P102 error: duplicate attribute 'COLOUR' (first on line 5)\nFound 1 error.\n",
        1,
    ),
    "p103": (
        """
        # T

        | Feature | A | a — again |
        |---|---|---|
        | Colour | red | blue |
        """,
        "bad.md:3:17: P103 error: duplicate subject 'a' in one table\nFound 1 error.\n",
        1,
    ),
    "p104": (
        """
        # T

        | Feature | A | B |
        |---|---|---|
        | Colour | red |   |
        """,
        "bad.md:5:17: P104 warning: empty value for 'B' in row 'Colour'\nFound 1 warning.\n",
        0,
    ),
    "p012": (
        """
        ---
        colour: red
        ---
        # T

        - q → a
        """,
        "bad.md:2:1: P012 warning: unknown front-matter key 'colour' "
        "(known: deck, tags, source, id, lint)\n"
        "Found 1 warning.\n",
        0,
    ),
    "p010": (
        """
        ---
        tags: [a, b
        ---
        # T

        - q → a
        """,
        "bad.md:2:12: P010 error: front matter is not valid YAML: "
        "expected ',' or ']', but got '<stream end>'\n"
        "Found 1 error.\n",
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_check_reports_each_malformed_input(here: Path, case: str) -> None:
    text, expected, code = MALFORMED[case]
    write_source(here, "bad.md", text)
    r = cli("check", "--ignore", "L", "bad.md")
    assert (r.exit_code, r.output) == (code, expected)
    if code == 0:  # only warnings: --strict makes them fail
        r = cli("check", "--strict", "--ignore", "L", "bad.md")
        assert (r.exit_code, r.output) == (1, expected)


def test_check_not_utf8_binary_and_missing_paths(here: Path) -> None:
    (here / "latin1.md").write_bytes("# Café\n\nna\xefve\n".encode("latin-1"))
    (here / "binary.md").write_bytes(b"# x\n\x00\x01")
    r = cli("check", "latin1.md", "binary.md", "missing.md", "missing-dir/")
    assert r.exit_code == 1
    assert r.output == (
        "binary.md:1:1: P002 error: file looks binary (contains NUL bytes)\n"
        "latin1.md:1:6: P002 error: not valid UTF-8 (byte 0xe9)\n"
        "missing-dir:1:1: P001 error: no such file or directory\n"
        "missing.md:1:1: P001 error: no such file or directory\n"
        "Found 4 errors.\n"
    )


def test_check_reports_every_problem_of_a_file_not_just_the_first(here: Path) -> None:
    write_source(
        here,
        "sources/many.md",
        """
        ---
        deck: A::::B
        shade: blue
        ---
        # Many problems

        | Feature | A | A |
        |---|---|---|
        | Colour | red |
        | Colour | red | blue |

        ## Traps

        - **Title only:**

        ## Decision tree

        - → no prompt
        """,
    )
    r = cli("check", "--ignore", "L")
    assert r.exit_code == 1
    assert r.output == (
        "sources/many.md:2:1: P011 error: `deck` has an empty part between `::`\n"
        "sources/many.md:3:1: P012 warning: unknown front-matter key 'shade' "
        "(known: deck, tags, source, id, lint)\n"
        "sources/many.md:7:17: P103 error: duplicate subject 'A' in one table\n"
        "sources/many.md:9:1: P101 error: row has 2 cells, expected 3\n"
        "sources/many.md:9:1: P104 warning: empty value for 'A' in row 'Colour'\n"
        "sources/many.md:10:1: P102 error: duplicate attribute 'Colour' (first on line 9)\n"
        "sources/many.md:14:1: P110 error: trap has no text after its title\n"
        "sources/many.md:18:1: P111 error: scenario needs text on both sides of the arrow\n"
        "Found 6 errors and 2 warnings.\n"
    )


def test_check_duplicate_deck_ids_across_sources(here: Path) -> None:
    write_source(here, "sources/a.md", "---\nid: same\nsource: x\n---\n# A\n\n- q → a\n")
    write_source(here, "sources/b.md", "---\nid: same\nsource: x\n---\n# B\n\n- q → b\n")
    r = cli("check", "--ignore", "L", "sources")
    assert r.exit_code == 1
    assert r.output == (
        "sources/b.md:2:1: P022 error: deck id 'same' is also used by sources/a.md; "
        "set a unique `id:`\n"
        "Found 1 error.\n"
    )


def test_check_symlink_out_of_sources(here: Path) -> None:
    write_source(here, "sources/ok.md", OK)
    write_source(here, "outside.md", OK)
    (here / "sources" / "evil.md").symlink_to(here / "outside.md")
    r = cli("check", "--ignore", "L", "sources")
    assert r.exit_code == 1
    assert r.output == (
        "sources/evil.md:1:1: P004 error: source resolves outside its folder (symlink)\n"
        "Found 1 error.\n"
    )


def test_check_bom_and_crlf_are_clean(here: Path) -> None:
    data = COGNITO.read_bytes().replace(b"\n", b"\r\n")
    (here / "crlf.md").write_bytes(b"\xef\xbb\xbf" + data)
    r = cli("check", "crlf.md")
    assert (r.exit_code, r.output) == (0, "All checks passed.\n")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-such-option"],
        ["show"],
        ["show", "a.md", "b.md"],
        ["show", "--json"],
        ["no-such-command"],
        ["check", "--ignore", "X999"],
    ],
)
def test_bad_usage_exits_2(here: Path, args: list[str]) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r.output
    assert "Usage:" in r.output or "Error:" in r.output
    assert "Traceback" not in r.output


# --------------------------------------------------------------------------------------------
# show


def test_show_json_is_the_documented_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PARSED)
    for name in ("basic-comparison", "traps", "scenarios", "front-matter"):
        expected = json.loads((PARSED / f"{name}.json").read_text(encoding="utf-8"))
        r = cli("show", f"{name}.md", "--json")
        assert r.exit_code == 0
        assert r.stdout == json.dumps(expected["document"], ensure_ascii=False, indent=2) + "\n"
        assert r.stderr == "".join(f"{d}\n" for d in expected["diagnostics"])


def test_show_json_cognito_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    r = cli("show", "sources/cognito-user-pools-vs-identity-pools.md", "--json")
    assert (r.exit_code, r.stderr) == (0, "")
    data = json.loads(r.stdout)
    for key in ("path", "title", "deck", "tags", "source", "description", "comparisons"):
        assert key in data
    (comp,) = data["comparisons"]
    assert [s["name"] for s in comp["subjects"]] == ["Cognito User Pools", "Identity Pools"]
    assert len(comp["rows"]) == 17
    assert sum(1 for r in comp["rows"] if r["tip"]) == 12
    assert all(len(r["values"]) == 2 for r in comp["rows"])
    assert len(data["traps"]) == 7
    assert [s["subject"] for s in data["scenarios"]] == ["Cognito User Pools", "Identity Pools", ""]


def test_show_summary_exact(here: Path) -> None:
    write_source(
        here,
        "small.md",
        """
        ---
        deck: Study::Small
        tags: [one, two]
        source: Me
        ---
        # Small deck

        A description.

        | Feature | Lambda — functions | Fargate | Tip |
        |---|---|---|---|
        | Time limit | 15 minutes | none | Long jobs |
        | Billing | per request | per second | |

        ## Traps

        - **Cold starts:** Lambda has **cold starts**.

        ## Decision tree

        - A 2-hour job? → Fargate
        - Either? → Both work

        ## Summary

        Pick by run time.
        """,
    )
    r = cli("show", "small.md")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == textwrap.dedent(
        """\
        Small deck
        ==========
        deck:    Study::Small
        id:      small
        tags:    one, two
        source:  Me

        A description.

        Comparison 1 (line 10): Lambda vs Fargate — 2 rows, 1 tips
          • Lambda — functions
          • Fargate
            12  Time limit  [tip]
            13  Billing

        Traps: 1
            17  Cold starts  (1 blank)

        Scenarios: 2
            21  A 2-hour job? → Fargate
            22  Either? → Both work

        Notes: Summary
        """
    )


def test_show_errors_go_to_stderr_with_exit_1(here: Path) -> None:
    write_source(here, "bad.md", "# T\n\n| Feature | A |\n|---|---|\n| Colour | red | extra |\n")
    r = cli("show", "bad.md", "--json")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == "bad.md:5:1: P101 error: row has 3 cells, expected 2\nFound 1 error.\n"
    r = cli("show", "missing.md")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "missing.md:1:1: P001 error: no such file or directory\nFound 1 error.\n"


def test_show_warnings_go_to_stderr_and_json_stays_clean(here: Path) -> None:
    write_source(here, "warn.md", "---\nshade: x\n---\n# T\n\n- q → a\n")
    r = cli("show", "warn.md", "--json")
    assert r.exit_code == 0
    assert r.stderr == (
        "warn.md:2:1: P012 warning: unknown front-matter key 'shade' "
        "(known: deck, tags, source, id, lint)\n"
    )
    assert json.loads(r.stdout)["scenarios"] == [
        {"line": 6, "prompt": "q", "answer": "a", "subject": ""}
    ]


# --------------------------------------------------------------------------------------------
# Lazy imports


def test_importing_the_cli_does_not_import_heavy_libraries() -> None:
    code = textwrap.dedent(
        """
        import sys
        import cardgen.cli
        from click.testing import CliRunner
        for args in (
            ["--help"], ["--version"], ["check", "--help"], ["show", "--help"], ["build", "--help"]
        ):
            r = CliRunner().invoke(cardgen.cli.cli, args)
            assert r.exit_code == 0, (args, r.output)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"genanki", "typst", "anki"})
        print(heavy)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


# --------------------------------------------------------------------------------------------
# Review fixes: SOURCE_DATE_EPOCH, empty folders, non-Markdown files, non-UTF-8 names,
# show's trap previews, card-size hints, --back-offset with fold, help and README


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1700000000000", "lies in the future"),  # milliseconds: past year 30000 for the lock
        ("4102444800", "lies in the future"),  # 2100: mod times ahead of every later edit
        ("abc", "non-negative whole number of seconds"),
        ("-5", "non-negative whole number of seconds"),
        ("1.5", "non-negative whole number of seconds"),
    ],
)
def test_build_refuses_a_bad_source_date_epoch(here: Path, value: str, problem: str) -> None:
    write_source(here, "sources/ok.md", OK)
    r = cli("build", "-o", "out", env={"SOURCE_DATE_EPOCH": value})
    assert r.exit_code == 2, r.output
    assert f"SOURCE_DATE_EPOCH='{value}'" in r.output and problem in r.output
    assert "Traceback" not in r.output and not (here / "out").exists()


def test_build_takes_a_good_source_date_epoch(here: Path) -> None:
    write_source(here, "sources/ok.md", OK)
    for value in ("1700000000", "  ", ""):
        r = cli("build", "--format", "apkg", "-o", "out", env={"SOURCE_DATE_EPOCH": value})
        assert r.exit_code == 0, r.output


def test_a_folder_without_sources_is_an_error_for_check_and_build(here: Path) -> None:
    (here / "empty").mkdir()
    expected = "empty:1:1: P005 error: no sources found in empty (no .md or .markdown files)\n"
    r = cli("check", "empty")
    assert (r.exit_code, r.output) == (1, expected + "Found 1 error.\n")
    r = cli("build", "empty", "-o", "out")
    assert r.exit_code == 1 and r.output.startswith(expected), r.output
    assert not (here / "out").exists()  # no lonely lock file


def test_a_file_that_is_not_markdown_is_refused(here: Path) -> None:
    write_source(here, "notes.txt", OK)
    write_source(here, "decks/cardgen.lock", "{}\n")
    for path in ("notes.txt", "decks/cardgen.lock"):
        line = f"{path}:1:1: P006 error: not a Markdown source: a source's name ends in .md "
        line += "(or .markdown)\n"
        r = cli("check", path)
        assert (r.exit_code, r.output) == (1, line + "Found 1 error.\n")
        r = cli("build", path, "-o", "out")
        assert r.exit_code == 1 and r.output.startswith(line), r.output
        r = cli("show", path)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", line + "Found 1 error.\n")
    assert not (here / "out").exists()


def test_a_file_name_that_is_not_utf8_is_located_not_a_traceback(here: Path) -> None:
    raw = os.path.join(os.fsencode(here / "s"), b"\xff.md")
    os.makedirs(os.path.dirname(raw))
    try:
        with open(raw, "wb") as fh:
            fh.write(OK.encode("utf-8"))
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    line = "s/\\xff.md:1:1: P007 error: file name is not valid UTF-8; rename it"
    for args in (["check", "s"], ["build", "s", "-o", "out"], ["show", os.fsdecode(raw)]):
        r = cli(*args)
        assert r.exit_code == 1, r.output
        assert isinstance(r.exception, SystemExit), r.exception  # sys.exit(1), not a crash
        assert line in r.output.replace(str(here) + "/", ""), r.output
    assert not (here / "out").exists()


def test_show_trap_previews_are_readable(here: Path) -> None:
    write_source(
        here,
        "t.md",
        """
        ---
        source: x
        ---
        # T

        ## Traps

        - The **lock file** is *never* edited by hand: **cardgen** writes it on every build.
        - **Titled:** one **blank** here.
        - No bold at all here.
        """,
    )
    r = cli("show", "t.md")
    assert r.exit_code == 0, r.output
    traps = r.stdout.split("Traps: 3\n")[1].split("\n\n")[0].splitlines()
    assert traps == [
        "     8  The lock file is never edited by hand: cardgen writes it…  (2 blanks)",
        "     9  Titled  (1 blank)",
        "    10  No bold at all here.  (no blank: no card)",
    ]


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--card-size", "20x20"], "(did you mean 20x20cm?)"),  # 20x20in (508 mm) cannot fit
        (["--card-size", "3x5"], "(did you mean 3x5in?)"),
        (["--card-size", "25x25", "--paper", "letter"], ""),  # neither 25x25in nor cm fit
    ],
)
def test_card_size_hints_only_fit_the_paper(here: Path, args: list[str], hint: str) -> None:
    write_source(here, "sources/ok.md", OK)
    r = cli("build", "-o", "out", *args)
    assert r.exit_code == 2, r.output
    assert "smaller than 30 mm" in r.output
    if hint:
        assert hint in r.output
    else:
        assert "did you mean" not in r.output
    assert "Traceback" not in r.output


def test_back_offset_with_fold_is_bad_usage(here: Path) -> None:
    write_source(here, "sources/ok.md", OK)
    r = cli("build", "-o", "out", "--layout", "fold", "--back-offset", "5,5")
    assert r.exit_code == 2, r.output
    assert "--back-offset" in r.output and "duplex" in r.output
    assert not (here / "out").exists()


def test_help_and_readme_list_what_the_options_take() -> None:
    from cardgen.writers.pdf import NAMED_CARDS

    check_help = cli("check", "--help").output
    assert "path:line:col: CODE severity: message" in " ".join(check_help.split())
    build_help = " ".join(cli("build", "--help").output.split())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    printing = readme.split("## Printing")[1].split("\n## ")[0]
    for name in NAMED_CARDS:
        assert name in build_help, name
        assert f"`{name}`" in printing, name
    synopsis = next(line for line in readme.splitlines() if line.startswith("| `cardgen build"))
    for option in ("--ignore", "--forget-removed", "--no-cache", "--jobs", "--reset-lock"):
        assert option in synopsis and option in build_help, option


def test_duplicate_deck_id_points_at_the_id_line(here: Path) -> None:
    write_source(here, "sources/a.md", "---\nid: same\nsource: x\n---\n# A\n\n- q → a\n")
    write_source(here, "sources/b.md", "---\nsource: x\nid: same\n---\n# B\n\n- q → b\n")
    r = cli("check", "--ignore", "L", "sources")
    assert r.exit_code == 1
    assert r.output.startswith("sources/b.md:3:1: P022 error: deck id 'same'"), r.output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"], ids=["bom", "le", "be"])
def test_utf16_source_is_named_as_such(here: Path, encoding: str) -> None:
    (here / "u.md").write_bytes("# Title\n\n| a | b |\n|---|---|\n".encode(encoding))
    r = cli("check", "u.md")
    assert (r.exit_code, r.output) == (
        1,
        "u.md:1:1: P002 error: file is UTF-16 text; save it as UTF-8\nFound 1 error.\n",
    )


def test_build_refuses_an_empty_output_folder(here: Path) -> None:
    write_source(here, "sources/a.md", "---\nid: a\nsource: x\n---\n# A\n\n- q → a\n")
    r = cli("build", "-o", "", "sources")
    assert r.exit_code == 2 and "is empty; give a folder" in r.output
    assert sorted(p.name for p in here.iterdir()) == ["sources"]  # nothing written


# --------------------------------------------------------------------------------------------
# QA 2a: the same source named twice, scalar tags, empty --ignore, nan offsets, show on a folder


def test_a_source_named_twice_is_read_once(here: Path) -> None:
    write_source(here, "sources/x.md", OK)
    write_source(here, "sources/y.md", OK.replace("# Ok", "# Why"))
    for paths in (["sources/x.md", "sources/x.md"], ["sources/x.md", "sources/"]):
        r = cli("check", *paths)
        assert (r.exit_code, r.output) == (0, "All checks passed.\n"), paths
    r = cli("check", "sources/x.md", "./sources/../sources/x.md", "sources/x.md")
    assert (r.exit_code, r.output) == (0, "All checks passed.\n")
    r = cli("build", "--format", "apkg", "-o", "out", "sources/x.md", "sources/")
    assert r.exit_code == 0, r.output
    assert "P022" not in r.output
    assert sorted(p.name for p in (here / "out").glob("*.apkg")) == ["x.apkg", "y.apkg"]
    assert [line.split(":")[0] for line in r.output.splitlines() if ".apkg:" in line] == [
        "out/x.apkg",
        "out/y.apkg",
    ]


@pytest.mark.parametrize(
    ("value", "what"),
    [("5", "a number (5)"), ("true", "true/false (true)"), ("[a, 2.5]", "a number (2.5)")],
)
def test_number_and_boolean_tags_are_p011(here: Path, value: str, what: str) -> None:
    write_source(here, "t.md", OK.replace("source: x\n", f"source: x\ntags: {value}\n"))
    r = cli("check", "t.md")
    assert r.exit_code == 1, r.output
    assert r.output.startswith(
        f"t.md:3:1: P011 error: `tags` must be a list of non-empty strings: {what} is not a "
        "string; quote it to make it a tag\n"
    ), r.output
    r = cli("show", "--json", "t.md")
    assert r.exit_code == 1 and r.stdout == ""


def test_empty_ignore_is_bad_usage(here: Path) -> None:
    write_source(here, "sources/ok.md", OK)
    for value in ("", " ", ","):
        for command in ("check", "build"):
            r = cli(command, "--ignore", value, "sources")
            assert r.exit_code == 2, (command, value, r.output)
            assert "'--ignore'" in r.output and "is empty" in r.output, r.output
    assert not (here / "decks").exists()


@pytest.mark.parametrize("value", ["nan,0", "0,NaN", "inf,0", "0,-inf"])
def test_back_offset_must_be_finite_numbers(here: Path, value: str) -> None:
    write_source(here, "sources/ok.md", OK)
    r = cli("build", "-o", "out", "--back-offset", value)
    assert r.exit_code == 2, r.output
    assert "'--back-offset'" in r.output and "must be numbers of millimetres" in r.output
    assert "±30" not in r.output and not (here / "out").exists()


def test_show_on_a_folder_says_it_takes_one_file(here: Path) -> None:
    write_source(here, "sources/ok.md", OK)
    r = cli("show", "sources")
    assert r.exit_code == 2, r.output
    assert "sources is a folder: `cardgen show` takes one source file" in r.output, r.output
    assert "cardgen show sources/ok.md" in r.output and "cardgen check sources" in r.output
