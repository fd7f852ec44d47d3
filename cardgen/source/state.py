"""The state of one source's parse, shared by the readers of its blocks (`document` walks the
tokens; `tables`, `traps`, `scenarios` and `images` add what they read to the state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from markdown_it.token import Token

from cardgen.diagnostics import Diagnostic
from cardgen.model import Comparison, Image, Loc, Note, Trap

SectionKind = Literal["preamble", "description", "trap", "other"]


@dataclass
class Section:
    """A heading and the Markdown of the blocks under it that no reader took (a note's text)."""

    title: str
    level: int
    loc: Loc
    kind: SectionKind
    parts: list[str] = field(default_factory=list)


@dataclass
class ParseState:
    path: str  # how the source is named in diagnostics
    lines: list[str]  # the source's text, line by line (token maps index it)
    base_dir: Path | None  # where image paths are resolved (None: not checked on disk)
    diags: list[Diagnostic] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    scenarios: list[tuple[str, str, Loc]] = field(default_factory=list)  # prompt, answer, where
    notes: list[Note] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    title: str = ""
    title_loc: Loc | None = None
    nesting_warned: bool = False
    # comparison id -> row id -> line: one fact may not be given twice, even in two tables
    rows_by_comparison: dict[str, dict[str, int]] = field(default_factory=dict)

    def loc(self, token_or_map: Token | Sequence[int] | None, col: int = 1) -> Loc:
        m = token_or_map.map if isinstance(token_or_map, Token) else token_or_map
        return Loc(self.path, (m[0] + 1) if m else 1, col)

    def raw(self, m: Sequence[int] | None) -> str:
        """The source lines of a token map, as written (outer blank space trimmed)."""
        if not m:
            return ""
        return "\n".join(self.lines[m[0] : m[1]]).strip()


def block_end(tokens: Sequence[Token], i: int) -> int:
    """Index just past the block that opens at tokens[i] (nesting by `nesting`)."""
    depth = 0
    j = i
    while j < len(tokens):
        depth += tokens[j].nesting
        j += 1
        if depth <= 0:
            return j
    return j
