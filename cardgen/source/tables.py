"""Comparison tables: a GFM table -> `Comparison` (subjects from the header, one `Row` per
attribute), with P100-P108 for what does not make a fact.

The first column names the attributes; the other header cells are the subjects
(`Name — tagline {#id}`), except a tip column (`TIP_HEADERS`). The text helpers here are linear in
the length of their input: no backtracking regexes on whitespace runs, which made a long run of
spaces in a cell take quadratic time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Comparison, Loc, Row, Subject
from cardgen.source.state import ParseState
from cardgen.text import plain_label, quote, slugify

MAX_TABLE_COLUMNS = 32  # attribute + subjects + tip (figures in docs/source-format.md#limits)
TIP_HEADERS = frozenset({"tip", "tips", "exam tip", "exam tips", "note", "notes", "why it matters"})

_EXPLICIT_ID = re.compile(r"\{#([A-Za-z0-9][A-Za-z0-9_.-]*)\}")


def split_cells(line: str) -> list[tuple[str, int]]:
    """Split a GFM table line into (cell text, 1-based column) pairs, honouring `\\|` escapes."""
    cells: list[tuple[str, int]] = []
    i = 0
    n = len(line)
    while i < n and line[i] in " \t":
        i += 1
    if i < n and line[i] == "|":
        i += 1
    start = i
    buf_start = start
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "|":
            cells.append((line[buf_start:i], buf_start + 1))
            buf_start = i + 1
        i += 1
    tail = line[buf_start:]
    if tail.strip() or not cells:
        cells.append((tail, buf_start + 1))
    out: list[tuple[str, int]] = []
    for text, col in cells:
        stripped = text.lstrip()
        out.append((text.strip(), col + (len(text) - len(stripped) if stripped else 0)))
    return out


def strip_id(text: str) -> tuple[str, str]:
    """`Name {#id}` -> (`Name`, `id`); the id is lower-cased; ("", "") parts when absent."""
    m = _EXPLICIT_ID.search(text)
    if not m:
        return text.strip(), ""
    before, after = text[: m.start()].strip(), text[m.end() :].strip()
    return f"{before} {after}".strip(), m.group(1).lower()


def split_tagline(cell: str) -> tuple[str, str]:
    """`Name — tagline` -> (`Name`, `tagline`): split at the first em dash with blanks around."""
    i = cell.find("—")
    while i != -1:
        if 0 < i < len(cell) - 1 and cell[i - 1].isspace() and cell[i + 1].isspace():
            return cell[:i].strip(), cell[i + 1 :].strip()
        i = cell.find("—", i + 1)
    return cell.strip(), ""


@dataclass(frozen=True)
class _Layout:
    """Which columns of a table hold what."""

    ncols: int  # the header's cells
    subject_cols: list[int]
    tip_col: int | None


def read_table(st: ParseState, block: list[Token]) -> None:
    """Read the table whose tokens are `block` into `st` (a `Comparison` and diagnostics)."""
    table_open = block[0]
    loc = st.loc(table_open)
    header_line = st.lines[table_open.map[0]] if table_open.map else ""
    rows_tokens = _table_rows(block)
    if not rows_tokens:
        return
    _, header = rows_tokens[0]
    ncols = len(header)
    if ncols > MAX_TABLE_COLUMNS:
        st.diags.append(
            diag(
                loc,
                "P108",
                f"table has {ncols:,} columns; the limit is {MAX_TABLE_COLUMNS} "
                "(the table is skipped)",
            )
        )
        return
    cols = [c for _, c in split_cells(header_line)] + [1] * ncols
    tip_cols = _tip_columns(st, header, cols, loc)
    subject_cols = [j for j in range(1, ncols) if j not in tip_cols]
    if not subject_cols:
        st.diags.append(
            diag(loc, "P100", "table has no subject column (only an attribute and tip columns)")
        )
        return
    layout = _Layout(ncols, subject_cols, tip_cols[0] if tip_cols else None)
    subjects = _subjects(st, header, layout, cols, loc)
    comp_id = "-vs-".join(s.id for s in subjects)
    # Rows of earlier tables with the same subjects: one fact may not be given twice.
    seen = _SeenRows(st.rows_by_comparison.setdefault(comp_id, {}))
    rows: list[Row] = []
    for tr, cells in rows_tokens[1:]:
        row = _row(st, tr, cells, layout, subjects, seen)
        if row is not None:
            rows.append(row)
    for row in rows:
        seen.earlier[row.id] = row.loc.line
    st.comparisons.append(
        Comparison(tuple(subjects), tuple(rows), loc, strip_id(header[0])[0], comp_id)
    )


def _table_rows(block: list[Token]) -> list[tuple[Token, list[str]]]:
    """Each row of a table (the header first) as its `tr_open` token and its cells' Markdown."""
    rows_tokens: list[tuple[Token, list[str]]] = []
    current: list[str] | None = None
    current_tr: Token | None = None
    for t in block:
        if t.type == "tr_open":
            current, current_tr = [], t
        elif t.type == "inline" and current is not None:
            current.append(t.content)
        elif t.type == "tr_close" and current is not None and current_tr is not None:
            rows_tokens.append((current_tr, current))
            current = None
    return rows_tokens


def _tip_columns(st: ParseState, header: list[str], cols: list[int], loc: Loc) -> list[int]:
    """The columns whose header names a tip; P106 when there is more than one."""
    tip_cols = [j for j in range(1, len(header)) if plain_label(header[j]) in TIP_HEADERS]
    if len(tip_cols) > 1:
        st.diags.append(
            diag(
                Loc(st.path, loc.line, cols[tip_cols[1]]),
                "P106",
                "more than one tip column ("
                + ", ".join(quote(header[j], 30) for j in tip_cols)
                + "); the first one is used",
            )
        )
    return tip_cols


def _subjects(
    st: ParseState, header: list[str], layout: _Layout, cols: list[int], loc: Loc
) -> list[Subject]:
    """The subjects of the header's subject cells (P105 no name, P103 twice, P107 same id)."""
    subjects: list[Subject] = []
    seen_names: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for j in layout.subject_cols:
        cell, explicit = strip_id(header[j])
        name, tagline = split_tagline(cell)
        cell_loc = Loc(st.path, loc.line, cols[j])
        if not name:
            st.diags.append(diag(cell_loc, "P105", f"subject in column {j + 1} has no name"))
            name = f"Column {j + 1}"
        sid = explicit or slugify(name)
        if name.lower() in seen_names:
            st.diags.append(diag(cell_loc, "P103", f"duplicate subject {quote(name)} in one table"))
        elif sid in seen_ids:
            st.diags.append(
                diag(
                    cell_loc,
                    "P107",
                    f"subject {quote(name)} has the same id {sid!r} as "
                    f"{quote(seen_ids[sid])}; give one an explicit {{#id}}",
                )
            )
        seen_names.setdefault(name.lower(), name)
        seen_ids.setdefault(sid, name)
        subjects.append(Subject(name, tagline, sid))
    return subjects


@dataclass
class _SeenRows:
    """The attributes read so far: in this table, and in earlier tables with its subjects."""

    earlier: dict[str, int]  # row id -> line, from earlier tables (shared by the parse state)
    names: dict[str, int] = field(default_factory=dict)  # lower-cased attribute -> line
    ids: dict[str, tuple[str, int]] = field(default_factory=dict)  # row id -> attribute, line

    def problem(self, attribute: str, rid: str, row_loc: Loc) -> Diagnostic | None:
        """P102 or P107 when the attribute was already given (the row is skipped)."""
        if attribute.lower() in self.names:
            return diag(
                row_loc,
                "P102",
                f"duplicate attribute {quote(attribute)} "
                f"(first on line {self.names[attribute.lower()]})",
            )
        if rid in self.ids:
            other, other_line = self.ids[rid]
            return diag(
                row_loc,
                "P107",
                f"attribute {quote(attribute)} has the same id {rid!r} as {quote(other)} "
                f"(line {other_line}); give one an explicit {{#id}}",
            )
        if rid in self.earlier:
            return diag(
                row_loc,
                "P102",
                f"attribute {quote(attribute)} is already given on line {self.earlier[rid]}, "
                "in an earlier table with the same subjects",
            )
        return None

    def add(self, attribute: str, rid: str, line: int) -> None:
        self.names[attribute.lower()] = line
        self.ids[rid] = (attribute, line)


def _row(
    st: ParseState,
    tr: Token,
    cells: list[str],
    layout: _Layout,
    subjects: Sequence[Subject],
    seen: _SeenRows,
) -> Row | None:
    """One body row -> `Row`, or None when it gives no fact (P105 no attribute, P102, P107);
    P101 for a row with the wrong number of cells, P104 for each empty value."""
    line_no = tr.map[0] if tr.map else 0
    raw = split_cells(st.lines[line_no]) if tr.map else []
    row_loc = Loc(st.path, line_no + 1, 1)
    ncols = layout.ncols
    if raw and len(raw) != ncols:
        st.diags.append(
            diag(
                row_loc,
                "P101",
                f"row has {len(raw)} cell{'s' if len(raw) != 1 else ''}, expected {ncols}",
            )
        )
    rcols = [c for _, c in raw] + [1] * ncols
    attribute, explicit = strip_id(cells[0])
    if not attribute:
        st.diags.append(diag(row_loc, "P105", "row has an empty attribute cell"))
        return None
    rid = explicit or slugify(attribute)
    problem = seen.problem(attribute, rid, row_loc)
    if problem is not None:
        st.diags.append(problem)
        return None
    seen.add(attribute, rid, line_no + 1)
    values = tuple(cells[j].strip() for j in layout.subject_cols)
    for k, (j, value) in enumerate(zip(layout.subject_cols, values)):
        if not value:
            st.diags.append(
                diag(
                    Loc(st.path, line_no + 1, rcols[j]),
                    "P104",
                    f"empty value for {quote(subjects[k].name, 40)} in row {quote(attribute, 40)}",
                )
            )
    tip = cells[layout.tip_col].strip() if layout.tip_col is not None else ""
    return Row(attribute, tip, values, row_loc, rid)
