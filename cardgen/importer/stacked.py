"""Tables pasted one cell per line (what some browsers give when copying an HTML table).

A line that names the first column (`Aspect`, `Feature`, `Criterion`, …) alone, followed by a
block of short lines up to a blank line, is such a table when the block divides into rows of
`k + 1` cells (`k` subjects, 2 to 6). When several `k` fit, the title's `A vs B vs C` decides;
without it the smallest fits and the reading is reported as unsure (`I016`).
"""

from __future__ import annotations

import re

from cardgen.importer.state import ImportState, Row, Table
from cardgen.importer.words import word_count, wordset

FIRST_COLUMN = wordset(
    """feature features aspect aspects attribute attributes criterion criteria property
    properties characteristic characteristics category parameter dimension factor
    basis point"""
) | {"basis of comparison", "point of comparison", "key feature", "compared"}
_VS = re.compile(r"\s+(?:vs\.?|versus)\s+", re.IGNORECASE)


def _title_subjects(lines: list[str]) -> int:
    """How many subjects the page's first `A vs B` line names (0 when none does)."""
    for s in lines[:8]:
        parts = _VS.split(s)
        if len(parts) >= 2:
            return len(parts)
    return 0


def _block(lines: list[str], i: int) -> list[int]:
    """The lines (0-based) from `i` up to a blank line, each short enough to be a cell."""
    out = []
    j = i
    while j < len(lines) and lines[j].strip():
        s = lines[j].strip()
        if word_count(s) > 14 or "|" in s or "\t" in s:
            return []
        out.append(j)
        j += 1
    return out


def find_stacked(state: ImportState) -> None:
    """Add the tables pasted one cell per line to `state.tables`."""
    lines = state.lines
    want = _title_subjects(lines)
    i = 0
    while i < len(lines):
        if i in state.table_lines or lines[i].strip().lower().rstrip(":") not in FIRST_COLUMN:
            i += 1
            continue
        block = _block(lines, i)
        fits = [k for k in range(2, 7) if len(block) % (k + 1) == 0 and len(block) // (k + 1) >= 2]
        if not fits:
            i += 1
            continue
        k = want if want in fits else fits[0]
        _add(state, block, k)
        if k != want:
            others = ", ".join(str(x) for x in fits if x != k)
            state.report(
                i + 1,
                "I016",
                f"table pasted one cell per line: read it as {k} subjects with "
                f"{len(block) // (k + 1) - 1} rows"
                + (f"; it also divides into {others} subjects" if others else "")
                + "; check the subjects against the page",
            )
        i = block[-1] + 1


def _add(state: ImportState, block: list[int], k: int) -> None:
    lines = state.lines
    header = [lines[j].strip() for j in block[: k + 1]]
    table = Table(line=block[0] + 1, header=header, header_cols=[1] * len(header), header_segs=[])
    for r in range(k + 1, len(block), k + 1):
        rows = block[r : r + k + 1]
        table.rows.append(Row(rows[0] + 1, [lines[j].strip() for j in rows], []))
    state.table_lines.update(block)
    state.tables.append(table)
    state.tables.sort(key=lambda t: t.line)
