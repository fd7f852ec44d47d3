"""Diagnostics: `path:line:col: CODE severity: message`, standard library only.

Code families by stage: P parse (sources, front matter, tables), L lint (card quality),
B build (outputs, lock file, images), I import (pasted pages).
"""

from __future__ import annotations

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

    def as_error(self) -> Diagnostic:
        return Diagnostic(self.loc, self.code, self.message, Severity.ERROR)


def error(loc: Loc, code: str, message: str) -> Diagnostic:
    return Diagnostic(loc, code, message, Severity.ERROR)


def warning(loc: Loc, code: str, message: str) -> Diagnostic:
    return Diagnostic(loc, code, message, Severity.WARNING)


def summary(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> str:
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


# The catalogue: every code cardgen emits, with a one-line meaning (the README lists them).
CODES: dict[str, str] = {
    "P001": "path does not exist, or is not a readable regular file",
    "P002": "file is not valid UTF-8 text (or is binary)",
    "P003": "file is too large to be a study source (over 1 MiB or 20,000 lines)",
    "P004": "source file resolves outside the folder given (symlink)",
    "P005": "a folder given holds no sources (no .md files)",
    "P006": "a file given by name is not a Markdown source (.md or .markdown)",
    "P007": "a source's file name is not valid UTF-8 (rename it)",
    "P010": "front matter is not valid YAML",
    "P011": "front matter is not a mapping, a key has the wrong type, or is given twice",
    "P012": "unknown front-matter key (warning)",
    "P013": "YAML aliases / anchors are not allowed in front matter",
    "P020": "no `# Title` heading (warning; the file stem is used)",
    "P021": "source yields no facts (warning)",
    "P022": "duplicate deck id across sources",
    "P100": "table has no subject column",
    "P101": "row has the wrong number of cells",
    "P102": "duplicate attribute in one table",
    "P103": "duplicate subject in one table",
    "P104": "empty value cell (warning)",
    "P105": "empty attribute or subject name",
    "P106": "more than one tip column",
    "P107": "two rows or two subjects of one table get the same id (slug or explicit `{#id}`)",
    "P108": "table has more columns than the limit (32)",
    "P110": "trap has no text",
    "P111": "scenario has an empty prompt or answer",
    "P120": "image path is missing, absolute, or outside the source's folder",
    "P130": "content nested more than 20 levels deep (lists / block quotes) cannot be read",
    "L100": "a `lint: ignore` entry names no rule or fact, or silences nothing (warning)",
    "L101": "answer too long to recall in one go (warning; docs/lint.md)",
    "L102": "answer enumerates more than five items (warning)",
    "L103": "two cards have the same or nearly the same prompt (warning)",
    "L104": "value names its own subject where masking cannot hide it (warning)",
    "L105": "row teaches nothing: all values the same, or all bare YES / NO (warning)",
    "L106": "trap has no bold cloze span, so no card is made (warning)",
    "L107": "one cloze hides most of its sentence (warning)",
    "L108": "source has no `source:` attribution (warning)",
    "L109": "cloze answer shows elsewhere on its own card (warning)",
    "B001": "output path exists and is not a folder",
    "B002": "cannot create or write the output folder or an output file",
    "B003": "cannot read an image referenced by a source",
    "B004": "`build --check`: an output file is out of date or missing",
    "B010": "lock file is damaged or unreadable (rebuild it with `cardgen build --reset-lock`)",
    "B012": "a new deck holds the facts of a deck whose source is gone: set `id:` back (warning)",
    "B013": "a deck of the lock has no source any more (warning)",
    "B014": "a deck holds the facts of another deck that is built from other facts (swapped ids)",
    "B201": "a character has no glyph in the PDF fonts: emoji dropped, others shown as � (warning)",
    "B202": "Typst could not build a PDF (the message is Typst's)",
    "B203": "card text (its tip or code included) had to shrink below 6 pt to fit (warning)",
    "B204": "Typst warned while building a PDF (warning)",
    "I001": "import: page residue dropped (loading, navigation, metadata, footer; emoji) (warning)",
    "I002": "import: unsure where a row's attribute label ends and its tip begins (warning)",
    "I003": "import: unsure where a subject's name ends and its tagline begins (warning)",
    "I004": "import: a line could not be placed; kept under `## Unplaced text` (warning)",
    "I005": "import: a table row had the wrong number of cells or ran over lines (warning)",
    "I006": "import: no key term to bold in a trap, so it yields no cloze card (warning)",
    "I007": "import: no attribution line found for `source` (warning)",
    "I008": "import: no pipe table found on the page (warning)",
    "I009": "import: a decision-tree sentence could not be split cleanly (warning)",
    "I010": "import: the page cannot be read (missing, empty, binary, UTF-16, bad UTF-8, too big)",
    "I011": "import: the generated source does not read back cleanly (an importer bug)",
    "I012": "import: no title line found (warning)",
    "I013": "import: empty or duplicate label / subject renamed (warning)",
    "I014": "import: the page makes a source over the size limits (split the page)",
}
