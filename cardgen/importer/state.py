"""What the import stages share: the page, what has been found on it so far, and diagnostics.

The stages (`tables`, `lines`, `structure`, `emit`) are plain functions over one
`ImportState`, run in order by `cardgen.importer.run`: each reads what earlier stages left and
adds its own part (tables, residue, blocks, the title, the source line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cardgen.diagnostics import Diagnostic, diag
from cardgen.importer.evidence import Corpus
from cardgen.model import Loc

BlockKind = Literal["table", "heading", "para", "scenario", "trap", "unplaced"]


@dataclass
class Row:
    """A pasted table row: its cells as the page has them (after joining broken lines)."""

    line: int
    cells: list[str]
    segs: list[int]  # corpus segments of the cells
    missing: int = 0  # cells the pasted row lacked (padded with empty ones at the end)
    more_tips: list[str] = field(default_factory=list)  # tip lines under the row (`Tip: …`)


@dataclass
class ResolvedRow:
    """A table row as the source writes it: label, tip and one value per subject."""

    line: int
    label: str
    tip: str
    values: list[str]


@dataclass
class Table:
    """A pasted table, and (once resolved) the header and rows the source gets."""

    line: int
    header: list[str]
    header_cols: list[int]
    header_segs: list[int]
    rows: list[Row] = field(default_factory=list)
    tip_col: int | None = None
    out_header: list[str] = field(default_factory=list)  # `Name — tagline` cells
    out_rows: list[ResolvedRow] = field(default_factory=list)


@dataclass
class TrapParts:
    """A trap paragraph cut into its lead-in (title) and text."""

    title: str
    sep: str  # ":" or "—" or ""
    text: str
    lead_caps: int  # tokens of an untitled ALL-CAPS lead to bold (0 when none)


@dataclass
class Block:
    """One piece of output: a table, a heading, a paragraph, a scenario, a trap."""

    kind: BlockKind
    line: int
    text: str = ""  # a heading's or paragraph's text, a scenario's prompt, a trap's text
    answer: str = ""  # a scenario's answer
    trap: TrapParts | None = None  # a trap's title and lead
    table: Table | None = None
    raw: str = ""  # a paragraph's or trap's line as the page has it (emoji aside)


@dataclass
class ImportState:
    """One page being imported."""

    path: str
    lines: list[str]
    doc_id: str | None
    diags: list[Diagnostic] = field(default_factory=list)
    corpus: Corpus = field(default_factory=Corpus)
    title: str = ""
    description: list[tuple[int, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    table_lines: set[int] = field(default_factory=set)  # 0-based lines the tables take
    content: list[tuple[int, str]] = field(default_factory=list)  # lines kept, not tables
    blocks: list[Block] = field(default_factory=list)
    source: str = ""
    source_parts: list[str] = field(default_factory=list)
    residue: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)
    subjects: list[str] = field(default_factory=list)  # of every table
    deck_subjects: list[str] = field(default_factory=list)  # of the first table
    # labels used so far per set of subjects: the parser reads tables with the same subjects
    # as one comparison, in which a label may appear once
    labels: dict[str, dict[str, int]] = field(default_factory=dict)

    def loc(self, line: int, col: int = 1) -> Loc:
        return Loc(self.path, line, col)

    def report(self, line: int, code: str, message: str, col: int = 1) -> None:
        """Add a diagnostic at a line (and column) of the page."""
        self.diags.append(diag(self.loc(line, col), code, message))
