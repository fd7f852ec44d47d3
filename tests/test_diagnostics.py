"""The diagnostics registry kept honest: the code, the registry and the docs name the same codes.

- every code cardgen's source names (a `diag(...)` call, any other string, a comment) is
  registered, and every registered code is named outside the registry (used);
- every registered code is listed in docs/diagnostics.md, in its family's section, with the
  registry's severity, and every L code in docs/lint.md;
- every code's `doc` link (`page#anchor`) leads to a heading of that page (GitHub's anchors).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardgen.diagnostics import FAMILIES, REGISTRY, Severity, codes, diag
from cardgen.model import Loc

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cardgen"
DOCS = ROOT / "docs"
REGISTRY_MODULE = PACKAGE / "diagnostics.py"

CODE = re.compile(r"[PLBI]\d{3}")
CODE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_])[PLBI]\d{3}(?![0-9])")


# --------------------------------------------------------------------------------------------
# Reading cardgen's source


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def string_constants(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of a module, f-string pieces included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def comments(path: Path) -> Iterator[tuple[int, str]]:
    readline = io.StringIO(path.read_text(encoding="utf-8")).readline
    for tok in tokenize.generate_tokens(readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string


def diag_calls(path: Path) -> Iterator[ast.Call]:
    """Every call of `diag` (by name or as an attribute) in a module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "diag":
                yield node


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_source_scan_sees_the_calls_it_checks():
    # A guard for the scans below: they find what they are meant to find.
    assert sum(1 for p in sources() for _ in diag_calls(p)) > 50
    lint_rules = PACKAGE / "lint" / "rules" / "answer_length.py"
    assert any(text == "L101" for _, text in string_constants(lint_rules))
    assert any("P101" in text for _, text in comments(REGISTRY_MODULE))


def test_every_code_named_in_the_source_is_registered():
    """Code literals (`"P101"`), codes inside messages and docstrings (`(P010)`) and in comments:
    each one is a registered code."""
    unknown = []
    for path in sources():
        for line, text in [*string_constants(path), *comments(path)]:
            unknown += [f"{where(path, line)}: {c}" for c in CODE_IN_TEXT.findall(text)]
    assert [u for u in unknown if u.rsplit(" ", 1)[1] not in REGISTRY] == []


def test_every_diag_call_names_a_registered_code():
    """`diag(loc, "P101", message)`: the code is a registered literal, or a parameter of a
    helper whose callers pass the literal (checked by the test above)."""
    bad = []
    for path in sources():
        if path == REGISTRY_MODULE:
            continue
        for call in diag_calls(path):
            code = call.args[1] if len(call.args) >= 2 else None
            if isinstance(code, ast.Constant):
                if code.value not in REGISTRY:
                    bad.append(f"{where(path, call.lineno)}: {code.value!r} is not registered")
            elif not isinstance(code, ast.Name):
                bad.append(f"{where(path, call.lineno)}: code is not a literal or a name")
    assert bad == []


def test_every_registered_code_is_used():
    """A registered code that no module outside the registry names is a stale entry."""
    named = {
        text
        for path in sources()
        if path != REGISTRY_MODULE
        for _, text in string_constants(path)
        if CODE.fullmatch(text)
    }
    assert [c for c in REGISTRY if c not in named] == []


def test_registry_entries_are_well_formed():
    for key, code in REGISTRY.items():
        assert key == code.code and CODE.fullmatch(key), key
        assert code.family in FAMILIES, key
        assert isinstance(code.severity, Severity), key
        assert code.summary.strip() == code.summary and code.summary, key
        assert re.fullmatch(r"[a-z-]+\.md#[a-z0-9-]+", code.doc), key
    assert codes("L") == [c for c in REGISTRY if c.startswith("L")]
    assert diag(Loc("x.md", 1, 1), "L101", "m").severity is REGISTRY["L101"].severity


def test_an_unregistered_code_is_refused():
    with pytest.raises(KeyError):
        diag(Loc("x.md", 1, 1), "L999", "m")


# --------------------------------------------------------------------------------------------
# Reading the docs: headings, GitHub anchors, table rows


def headings(page: str) -> list[tuple[int, str]]:
    """(level, text) of every ATX heading of a docs page; fenced code blocks are skipped."""
    out = []
    fence = ""
    for line in (DOCS / page).read_text(encoding="utf-8").split("\n"):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if m:
            fence = m.group(1)
            continue
        m = re.match(r"(#{1,6})\s+(.*?)(?:\s+#+)?\s*$", line)
        if m:
            out.append((len(m.group(1)), m.group(2)))
    return out


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as shown (no code, emphasis or link syntax),
    lower case, with every character but letters, digits, `_`, `-` and spaces dropped and each
    space made a `-` (`P — parse` -> `p--parse`)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: str) -> set[str]:
    """The anchors of a page's headings; a repeated one gets `-1`, `-2`, ... as on GitHub."""
    seen: dict[str, int] = {}
    out = set()
    for _, text in headings(page):
        base = github_anchor(text)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("P — parse", "p--parse"),
        ("Traps, scenarios, images, nesting", "traps-scenarios-images-nesting"),
        ("L101 Answer too long", "l101-answer-too-long"),
        ("The `source:` key", "the-source-key"),
        ("A [linked](x.md) *title*", "a-linked-title"),
    ],
)
def test_github_anchor(heading: str, anchor: str):
    assert github_anchor(heading) == anchor


def table_rows(page: str) -> Iterator[tuple[str, list[str]]]:
    """(section, cells) of every table row of a page whose first cell names a code; `section`
    is the `##` heading the row is under."""
    section = ""
    for line in (DOCS / page).read_text(encoding="utf-8").split("\n"):
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            m = re.fullmatch(r"\[?([PLBI]\d{3})\]?(?:\(#[^)]*\))?", cells[0])
            if m:
                yield section, [m.group(1), *cells[1:]]


# --------------------------------------------------------------------------------------------
# The docs against the registry


def test_diagnostics_page_lists_every_code_once_with_its_severity():
    listed: dict[str, list[str]] = {}
    for _, cells in table_rows("diagnostics.md"):
        listed.setdefault(cells[0], []).append(cells[1])
    assert listed == {c: [code.severity.value] for c, code in REGISTRY.items()}


def test_diagnostics_page_lists_each_code_in_its_familys_section():
    for section, cells in table_rows("diagnostics.md"):
        family = cells[0][0]
        assert section == f"{family} — {FAMILIES[family]}", cells[0]


def test_lint_page_lists_every_lint_code_once():
    listed = [cells[0] for _, cells in table_rows("lint.md")]
    assert sorted(listed) == codes("L")


def test_lint_page_says_what_the_registry_says_of_severity():
    # docs/lint.md gives no severity per code: it says all lint rules are warnings.
    text = (DOCS / "lint.md").read_text(encoding="utf-8")
    assert "All of them are **warnings**" in text
    assert {REGISTRY[c].severity for c in codes("L")} == {Severity.WARNING}


@pytest.mark.parametrize("code", list(REGISTRY))
def test_doc_link_leads_to_a_heading(code: str):
    page, _, anchor = REGISTRY[code].doc.partition("#")
    assert (DOCS / page).is_file(), REGISTRY[code].doc
    assert anchor in anchors(page), f"{code}: no heading of docs/{page} has the anchor #{anchor}"


def test_lint_rule_sections_are_where_the_registry_points():
    """Each L rule's own section in docs/lint.md (`## L101 ...`) is its registry link."""
    for level, text in headings("lint.md"):
        m = re.match(r"L\d{3}\b", text)
        if level == 2 and m:
            assert REGISTRY[m.group()].doc == f"lint.md#{github_anchor(text)}"


@pytest.mark.parametrize("page", ["diagnostics.md", "lint.md"])
def test_links_within_the_page_lead_to_headings(page: str):
    text = (DOCS / page).read_text(encoding="utf-8")
    missing = [a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors(page)]
    assert missing == []
