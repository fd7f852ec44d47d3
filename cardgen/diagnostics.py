"""Diagnostics: `path:line:col: CODE severity: message`, standard library only.

Code families by stage: P parse (sources, front matter, tables), L lint (card quality),
B build (outputs, lock file, images), I import (pasted pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from cardgen.model import Loc


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    loc: Loc
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        return f"{self.loc}: {self.code} {self.severity.value}: {self.message}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """The closing count line, e.g. `Found 2 errors and 1 warning.` or `All checks passed.`"""
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return "All checks passed."
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "Found " + " and ".join(parts) + "."


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.loc.path, d.loc.line, d.loc.col, d.code)


# The registry: every code cardgen emits, defined once, with its severity, a one-line summary
# and where docs/ explains it. Call sites name the code only (`diag(loc, "P101", message)`); the
# severity comes from here. Lint rules, the docs and a test (tests/test_diagnostics.py) read it.

ERROR = Severity.ERROR
WARNING = Severity.WARNING


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    summary: str
    doc: str  # page#anchor under docs/

    @property
    def family(self) -> str:
        return self.code[0]


REGISTRY: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "P001",
            ERROR,
            "path does not exist, or is not a readable regular file",
            "diagnostics.md#the-file",
        ),
        Code(
            "P002", ERROR, "file is not valid UTF-8 text (or is binary)", "diagnostics.md#the-file"
        ),
        Code(
            "P003",
            ERROR,
            "file is too large to be a study source (over 1 MiB or 20,000 lines)",
            "diagnostics.md#the-file",
        ),
        Code(
            "P004",
            ERROR,
            "source file resolves outside the folder given (symlink)",
            "diagnostics.md#the-file",
        ),
        Code(
            "P005",
            ERROR,
            "a folder given holds no sources (no .md files)",
            "diagnostics.md#the-file",
        ),
        Code(
            "P006",
            ERROR,
            "a file given by name is not a Markdown source (.md or .markdown)",
            "diagnostics.md#the-file",
        ),
        Code(
            "P007",
            ERROR,
            "a source's file name is not valid UTF-8 (rename it)",
            "diagnostics.md#the-file",
        ),
        Code("P010", ERROR, "front matter is not valid YAML", "diagnostics.md#front-matter"),
        Code(
            "P011",
            ERROR,
            "front matter is not a mapping, a key has the wrong type, or is given twice",
            "diagnostics.md#front-matter",
        ),
        Code("P012", WARNING, "unknown front-matter key", "diagnostics.md#front-matter"),
        Code(
            "P013",
            ERROR,
            "YAML aliases / anchors are not allowed in front matter",
            "diagnostics.md#front-matter",
        ),
        Code(
            "P020",
            WARNING,
            "no `# Title` heading (the file stem is used)",
            "diagnostics.md#the-document",
        ),
        Code("P021", WARNING, "source yields no facts", "diagnostics.md#the-document"),
        Code("P022", ERROR, "duplicate deck id across sources", "diagnostics.md#the-document"),
        Code("P100", ERROR, "table has no subject column", "diagnostics.md#tables"),
        Code("P101", ERROR, "row has the wrong number of cells", "diagnostics.md#tables"),
        Code("P102", ERROR, "duplicate attribute in one table", "diagnostics.md#tables"),
        Code("P103", ERROR, "duplicate subject in one table", "diagnostics.md#tables"),
        Code("P104", WARNING, "empty value cell", "diagnostics.md#tables"),
        Code("P105", ERROR, "empty attribute or subject name", "diagnostics.md#tables"),
        Code("P106", ERROR, "more than one tip column", "diagnostics.md#tables"),
        Code(
            "P107",
            ERROR,
            "two rows or two subjects of one table get the same id (slug or explicit `{#id}`)",
            "diagnostics.md#tables",
        ),
        Code("P108", ERROR, "table has more columns than the limit (32)", "diagnostics.md#tables"),
        Code("P110", ERROR, "trap has no text", "diagnostics.md#traps-scenarios-images-nesting"),
        Code(
            "P111",
            ERROR,
            "scenario has an empty prompt or answer",
            "diagnostics.md#traps-scenarios-images-nesting",
        ),
        Code(
            "P120",
            ERROR,
            "image path is missing, absolute, or outside the source's folder",
            "diagnostics.md#traps-scenarios-images-nesting",
        ),
        Code(
            "P130",
            ERROR,
            "content nested more than 20 levels deep (lists / block quotes) cannot be read",
            "diagnostics.md#traps-scenarios-images-nesting",
        ),
        Code(
            "L100",
            WARNING,
            "a `lint: ignore` entry names no rule or fact, or silences nothing",
            "diagnostics.md#l--lint",
        ),
        Code(
            "L101", WARNING, "answer too long to recall in one go", "lint.md#l101-answer-too-long"
        ),
        Code(
            "L102",
            WARNING,
            "answer enumerates more than five items",
            "lint.md#l102-enumeration-of-more-than-five-items",
        ),
        Code(
            "L103",
            WARNING,
            "two cards have the same or nearly the same prompt",
            "lint.md#l103-same-or-nearly-the-same-prompts",
        ),
        Code(
            "L104",
            WARNING,
            "value names its own subject where masking cannot hide it",
            "lint.md#l104-a-value-that-names-its-own-subject",
        ),
        Code(
            "L105",
            WARNING,
            "row teaches nothing: all values the same, or all bare YES / NO",
            "lint.md#l105-a-row-that-teaches-nothing",
        ),
        Code(
            "L106",
            WARNING,
            "trap has no bold cloze span, so no card is made",
            "lint.md#l106-trap-without-a-cloze",
        ),
        Code(
            "L107",
            WARNING,
            "one cloze hides most of its sentence",
            "lint.md#l107-cloze-hiding-most-of-its-sentence",
        ),
        Code(
            "L108",
            WARNING,
            "source has no `source:` attribution",
            "lint.md#l108-no-source-attribution",
        ),
        Code(
            "L109",
            WARNING,
            "cloze answer shows elsewhere on its own card",
            "lint.md#l109-cloze-answer-shown-on-its-own-card",
        ),
        Code(
            "L110",
            WARNING,
            "cloze hides a subject that its sentence's contrast gives away",
            "lint.md#l110-cloze-guessed-from-its-own-sentence",
        ),
        Code("B001", ERROR, "output path exists and is not a folder", "diagnostics.md#b--build"),
        Code(
            "B002",
            ERROR,
            "cannot create or write the output folder or an output file",
            "diagnostics.md#b--build",
        ),
        Code(
            "B003", ERROR, "cannot read an image referenced by a source", "diagnostics.md#b--build"
        ),
        Code(
            "B004",
            ERROR,
            "`build --check`: an output file is out of date or missing",
            "diagnostics.md#b--build",
        ),
        Code(
            "B010",
            ERROR,
            "lock file is damaged or unreadable (rebuild it with `cardgen build --reset-lock`)",
            "diagnostics.md#b--build",
        ),
        Code(
            "B012",
            WARNING,
            "a new deck holds the facts of a deck whose source is gone: set `id:` back",
            "diagnostics.md#b--build",
        ),
        Code(
            "B013", WARNING, "a deck of the lock has no source any more", "diagnostics.md#b--build"
        ),
        Code(
            "B014",
            ERROR,
            "a deck holds the facts of another deck that is built from other facts (swapped ids)",
            "diagnostics.md#b--build",
        ),
        Code(
            "B030",
            ERROR,
            "the settings file (cardgen.toml) cannot be read or has a bad setting",
            "diagnostics.md#b--build",
        ),
        Code(
            "B201",
            WARNING,
            "no font (bundled, --font, system) has a glyph: emoji dropped, others shown as �",
            "diagnostics.md#b--build",
        ),
        Code(
            "B202",
            ERROR,
            "Typst could not build a PDF (the message is Typst's)",
            "diagnostics.md#b--build",
        ),
        Code(
            "B203",
            WARNING,
            "card text (its tip or code included) had to shrink below 6 pt to fit",
            "diagnostics.md#b--build",
        ),
        Code("B204", WARNING, "Typst warned while building a PDF", "diagnostics.md#b--build"),
        Code(
            "B205",
            WARNING,
            "a card is dense: its text is set below 8 pt to fit the chosen card size",
            "diagnostics.md#b--build",
        ),
        Code(
            "I001",
            WARNING,
            "import: page residue dropped (loading, navigation, metadata, footer; emoji)",
            "diagnostics.md#i--import",
        ),
        Code(
            "I002",
            WARNING,
            "import: unsure where a row's attribute label ends and its tip begins",
            "diagnostics.md#i--import",
        ),
        Code(
            "I003",
            WARNING,
            "import: unsure where a subject's name ends and its tagline begins",
            "diagnostics.md#i--import",
        ),
        Code(
            "I004",
            WARNING,
            "import: a line could not be placed; kept under `## Unplaced text`",
            "diagnostics.md#i--import",
        ),
        Code(
            "I005",
            WARNING,
            "import: a table row had the wrong number of cells or ran over lines",
            "diagnostics.md#i--import",
        ),
        Code(
            "I006",
            WARNING,
            "import: no key term to bold in a trap, so it yields no cloze card",
            "diagnostics.md#i--import",
        ),
        Code(
            "I007",
            WARNING,
            "import: no attribution line found for `source`",
            "diagnostics.md#i--import",
        ),
        Code(
            "I008", WARNING, "import: no pipe table found on the page", "diagnostics.md#i--import"
        ),
        Code(
            "I009",
            WARNING,
            "import: a decision-tree sentence could not be split cleanly",
            "diagnostics.md#i--import",
        ),
        Code(
            "I010",
            ERROR,
            "import: the page cannot be read (missing, empty, binary, UTF-16, bad UTF-8, too big)",
            "diagnostics.md#i--import",
        ),
        Code(
            "I011",
            ERROR,
            "import: the generated source does not read back cleanly (an importer bug)",
            "diagnostics.md#i--import",
        ),
        Code("I012", WARNING, "import: no title line found", "diagnostics.md#i--import"),
        Code(
            "I013",
            WARNING,
            "import: empty or duplicate label / subject renamed",
            "diagnostics.md#i--import",
        ),
        Code(
            "I014",
            ERROR,
            "import: the page makes a source over the size limits (split the page)",
            "diagnostics.md#i--import",
        ),
        Code(
            "I015",
            WARNING,
            "import: a trap had no bold term; the importer proposed one (review it)",
            "diagnostics.md#i--import",
        ),
        Code(
            "I016",
            WARNING,
            "import: a table pasted one cell per line could be read with another subject count",
            "diagnostics.md#i--import",
        ),
        Code(
            "I017",
            ERROR,
            "import: the URL cannot be fetched (refused, timeout, HTTP error, not HTML, too large)",
            "diagnostics.md#i--import",
        ),
        Code(
            "I018",
            ERROR,
            "import: reading HTML needs the `html` extra (pip install 'cardgen[html]')",
            "diagnostics.md#i--import",
        ),
    )
}
FAMILIES = {"P": "parse", "L": "lint", "B": "build", "I": "import"}


def diag(loc: Loc, code: str, message: str) -> Diagnostic:
    """A diagnostic of a registered code, with the code's own severity."""
    return Diagnostic(loc, code, message, REGISTRY[code].severity)


def codes(family: str) -> list[str]:
    """The registered codes of one family (`"L"`), in order."""
    return [c for c in REGISTRY if c.startswith(family)]
