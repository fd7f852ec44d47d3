"""Fuzzing (issue 8): random Markdown and random tables through the parser, the card builders,
lint and the page importer. The property: a result or located diagnostics, never an exception.

CI runs a bounded, derandomised pass (a few hundred examples, well under 30 s). For a longer,
randomised local run raise the example count, e.g.

    CARDGEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q

(hypothesis keeps any failing example in `.hypothesis/` and replays it first next time).
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cardgen.cards import build_cards
from cardgen.diagnostics import REGISTRY, Diagnostic
from cardgen.lint import lint
from cardgen.model import Document
from cardgen.source import document_json, normalise_text, parse_text

from .conftest import fuzz_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FUZZ = fuzz_settings(150)

# --------------------------------------------------------------------------------------------
# Strategies: Markdown built from the pieces the parser looks at, with hostile characters mixed in

SPECIAL = "|\\`*_[]()!<>#$@{}:;—–-→>~=&%\"'\t "
words = st.sampled_from(
    [
        "User Pools",
        "Identity Pools",
        "trap",
        "Gotcha",
        "Tip",
        "Exam tip",
        "Notes",
        "why it matters",
        "{{c1::x}}",
        "{{Front}}",
        "<script>alert(1)</script>",
        "<br>",
        "`code`",
        "``a|b``",
        "**bold**",
        "__b__",
        "*em*",
        "[link](http://x.y/a_b)",
        "![img](../../etc/passwd)",
        "![i](/abs.png)",
        "{#id}",
        "{#Row-1}",
        "\\|",
        "->",
        "→",
        " — ",
        "&amp;",
        "&#0;",
        "#",
        "$x$",
        "@ref",
        "[sound:x.mp3]",
        "::",
        "ÄÖü",
        "日本語",
        "🙂",
        "\u200b",
        "\u00a0",
        "\x7f",
    ]
)
fragment = st.one_of(
    words, st.text(alphabet=SPECIAL + "abcXYZ019", max_size=12), st.text(max_size=6)
)
inline_text = st.lists(fragment, max_size=8).map(" ".join)
# Header and attribute cells from a small vocabulary, so that duplicates and id clashes happen.
label = st.one_of(
    st.sampled_from(
        ["A", "a", "B", "B — tag", "b {#b}", "C/D", "C D", "", " ", "**A**", "Feature", "x {#A}"]
    ),
    inline_text,
)


@st.composite
def tables(draw: st.DrawFn) -> str:
    ncols = draw(st.integers(1, 6))
    header = [draw(label) for _ in range(ncols)]
    if ncols > 1 and draw(st.booleans()):
        header[draw(st.integers(1, ncols - 1))] = draw(
            st.sampled_from(["Tip", "Exam tip", "**Notes**", "why it matters:"])
        )
    align = [draw(st.sampled_from(["---", ":--", ":-:", "--:", "-"])) for _ in range(ncols)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for _ in range(draw(st.integers(0, 6))):
        n = max(0, ncols + draw(st.integers(-2, 2)))
        cells = [draw(label if i == 0 else inline_text) for i in range(n)]
        lead, trail = draw(st.booleans()), draw(st.booleans())
        lines.append(("| " if lead else "") + " | ".join(cells) + (" |" if trail else ""))
    return "\n".join(lines)


@st.composite
def lists(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        depth = draw(st.integers(0, 3))
        marker = draw(st.sampled_from(["-", "*", "1.", "+"]))
        body = draw(inline_text)
        if draw(st.booleans()):
            body = f"{body} {draw(st.sampled_from(['→', '->']))} {draw(inline_text)}"
        out.append("  " * depth + f"{marker} {body}")
    return "\n".join(out)


front_matter = st.lists(
    st.sampled_from(
        [
            "deck: A::B",
            "deck: ::",
            "deck:",
            "tags: [a, b]",
            "tags: [[a]]",
            "tags: {a: 1}",
            "source: Somebody",
            "id: my-deck",
            "id: Not A Slug",
            "id: 99999999999999999999999999999999999999999",
            "lint: {ignore: [L101]}",
            "lint: 3",
            "colour: red",
            "a: &x [1, 2]",
            "b: *x",
            "deck: [unclosed",
            "\tbad: tab",
            "? [complex]\n: key",
            "deck: !!python/object:os.system x",
        ]
    ),
    max_size=4,
).map(lambda keys: "---\n" + "\n".join(keys) + "\n---")

block = st.one_of(
    tables(),
    lists(),
    inline_text,
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 7), inline_text),
    st.builds(
        lambda k, t: f"> [!{k}]\n> {t}",
        st.sampled_from(["WARNING", "CAUTION", "NOTE", "x"]),
        inline_text,
    ),
    st.builds(lambda n, t: ">" * n + " " + t, st.integers(1, 30), inline_text),
    st.builds(lambda t: f"```\n{t}\n```", inline_text),
    st.just("---"),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = [draw(front_matter)] if draw(st.booleans()) else []
    parts += draw(st.lists(block, max_size=8))
    text = draw(st.sampled_from(["\n", "\n\n"])).join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


# --------------------------------------------------------------------------------------------
# The property


def assert_located(diags: list[Diagnostic], path: str, nlines: int) -> None:
    for d in diags:
        assert d.loc.path == path, d
        assert 1 <= d.loc.line <= nlines, d
        assert d.loc.col >= 1, d
        assert d.code in REGISTRY, d
        assert d.message and "\n" not in d.message, d


def check_source(text: str) -> tuple[Document, list[Diagnostic]]:
    """Parse, build cards and lint one text; assert the result is sound."""
    path = "sources/fuzz.md"
    doc, diags = parse_text(text, path)
    nlines = normalise_text(text).count("\n") + 1
    assert_located(diags, path, nlines)
    for comp in doc.comparisons:
        assert comp.subjects
        for row in comp.rows:
            assert len(row.values) == len(comp.subjects)
            assert row.attribute and row.id
    for fact in (*doc.traps, *doc.scenarios, *doc.notes):
        assert 1 <= fact.loc.line <= nlines
    json.dumps(document_json(doc), ensure_ascii=False)
    cards = build_cards(doc)
    if not any(d.is_error for d in diags):
        keys = [c.key for c in cards]
        assert len(keys) == len(set(keys)), "card keys must be unique"
    assert_located(lint(doc, cards), path, nlines)
    return doc, diags


@FUZZ
@given(documents())
def test_random_markdown_documents(text: str) -> None:
    check_source(text)


@FUZZ
@given(st.lists(tables(), min_size=1, max_size=3).map("\n\n".join))
def test_random_tables(text: str) -> None:
    check_source("# Title\n\n" + text)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check_source(text)


SEED_LINES = (
    (FIXTURES / "seed" / "cognito-user-pools-vs-identity-pools.txt")
    .read_text(encoding="utf-8")
    .split("\n")
)


@st.composite
def pages(draw: st.DrawFn) -> str:
    """A pasted page: lines of the seed page, dropped, repeated, cut and mixed with noise."""
    lines = draw(
        st.lists(
            st.one_of(st.sampled_from(SEED_LINES), inline_text, tables(), lists()),
            max_size=25,
        )
    )
    if lines and draw(st.booleans()):
        i = draw(st.integers(0, len(lines) - 1))
        cut = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:cut]
    return "\n".join(lines)


@FUZZ
@given(st.one_of(pages(), st.text(max_size=300)))
def test_importer_never_raises(page: str) -> None:
    from cardgen.importer import import_page

    markdown, diags = import_page(page, "page.txt")
    nlines = normalise_text(page).count("\n") + 1
    assert_located(diags, "page.txt", nlines)
    if markdown:
        check_source(markdown)
