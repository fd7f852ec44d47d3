"""Tables: finding pasted tables on the page, and resolving each into the source's table.

Finding (`find_tables`): a pipe table (with or without outer pipes and separator row) or a
tab-separated one (as a browser copies an HTML table); a row broken over lines is joined, a row
with too many cells has its extra cells joined into the last one, a row with too few is padded
(`I005`). Resolving (`resolve_table`): header cells split into subject name and tagline, first
cells into attribute label and exam tip (`cells`), or the tip taken from a column of its own;
unsure splits reported (`I002`, `I003`); names and labels made unique (`I013`).
"""

from __future__ import annotations

import re
from collections import Counter

from cardgen.importer.cells import (
    Split,
    distinct_names,
    reads_like_tip,
    shared_class_noun,
    split_header,
    split_row,
)
from cardgen.importer.evidence import Vocab
from cardgen.importer.page import CLUTTER, residue_kind
from cardgen.importer.stacked import find_stacked
from cardgen.importer.state import ImportState, ResolvedRow, Row, Table
from cardgen.importer.tips import names_a_tip, tip_line, with_tip
from cardgen.importer.words import CONNECTORS, clip, core
from cardgen.source import TIP_HEADERS
from cardgen.text import plain_label, slugify

_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_CLOSING_PIPE = re.compile(r"(?<!\\)\|\s*$")

# --------------------------------------------------------------------------------------------
# Finding tables


def cells(line: str) -> list[tuple[str, int]]:
    """Split a pasted table line on unescaped pipes (on tabs for a line of a tab-separated
    table, the only lines that keep their tabs, see `page.page_lines`): (cell text, 1-based
    column)."""
    if "\t" in line:
        out = []
        col = 0
        for text in line.split("\t"):
            lead = len(text) - len(text.lstrip())
            out.append((text.strip(), col + lead + 1))
            col += len(text) + 1
        return out
    s = line.rstrip()
    start = len(s) - len(s.lstrip())
    if s[start : start + 1] == "|":
        start += 1
    end = len(s)
    if s.endswith("|") and not s.endswith("\\|") and end - 1 >= start:
        end -= 1
    found: list[tuple[str, int]] = []
    buf = start
    i = start
    while i < end:
        if s[i] == "\\" and i + 1 < end:
            i += 2
            continue
        if s[i] == "|":
            found.append((s[buf:i], buf + 1))
            buf = i + 1
        i += 1
    found.append((s[buf:end], buf + 1))
    out = []
    for text, col in found:
        lead = len(text) - len(text.lstrip())
        out.append((text.strip(), col + lead))
    return out


def is_table_start(lines: list[str], i: int) -> bool:
    """A header line: two pipes or more, and a leading `|`, a separator row under it, or (for
    a pasted `Feature | A | B` table) at least three cells, as in the next line."""
    if "\t" in lines[i]:  # a tab-separated table: its first line is the header
        return i == 0 or "\t" not in lines[i - 1]
    s = lines[i].strip()
    if s.count("|") < 2 or _SEPARATOR_ROW.match(s):
        return False
    if s.startswith("|"):
        return True
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if _SEPARATOR_ROW.match(nxt):
        return True
    # without a leading pipe, two table-like lines in a row; a line of residue
    # (`Home | Docs | Pricing`) starts no table
    return (
        len(cells(s)) >= 3
        and len(cells(nxt)) >= 3
        and not residue_kind(s)
        and not residue_kind(nxt)
    )


def find_tables(state: ImportState) -> None:
    """Find the page's tables (`state.tables`) and the lines they take (`state.table_lines`)."""
    i = 0
    while i < len(state.lines):
        if not is_table_start(state.lines, i):
            i += 1
            continue
        table, i = _read_table(state, i)
        state.tables.append(table)
    find_stacked(state)


def _read_table(state: ImportState, i: int) -> tuple[Table, int]:
    """The table whose header is line `i` (0-based), and the line after it."""
    lines = state.lines
    header = cells(lines[i])
    table = Table(
        line=i + 1,
        header=[c for c, _ in header],
        header_cols=[c for _, c in header],
        header_segs=[],
    )
    state.table_lines.add(i)
    j = i + 1
    if j < len(lines) and _SEPARATOR_ROW.match(lines[j].strip()):
        state.table_lines.add(j)
        j += 1
    # without outer pipes on the header, a closing one on a row one cell short (and without an
    # opening one) ends an empty last cell (`Custom Runtimes | … | `: no tip)
    open_end = not _CLOSING_PIPE.search(lines[i])
    tabbed = "\t" in lines[i]
    mark = "\t" if tabbed else "|"
    while j < len(lines):
        if mark in lines[j] and lines[j].strip():
            j = _read_row(state, table, j, open_end, tabbed)
            continue
        tip = tip_line(lines[j]) if table.rows and lines[j].strip() else None
        if tip is not None:  # `Exam tip: …` under a row: that row's tip
            table.rows[-1].more_tips.append(tip)
            state.table_lines.add(j)
            j += 1
            continue
        resume = _after_clutter(state, j, mark, len(table.header))
        if resume is None:
            break
        j = resume
    return table, j


def _after_clutter(state: ImportState, j: int, mark: str, ncols: int) -> int | None:
    """When lines `j`… are page clutter (an ad, at most three lines) followed by a row of the
    same table, drop them as residue and return the row's line; None otherwise."""
    k = j
    while k < len(state.lines) and k - j < 3 and CLUTTER.match(state.lines[k].strip()):
        k += 1
    if k == j or k >= len(state.lines):
        return None
    if mark not in state.lines[k] or len(cells(state.lines[k])) < ncols - 1:
        return None
    for i in range(j, k):
        state.residue.append((i + 1, state.lines[i].strip(), "advertisement inside the table"))
        state.table_lines.add(i)
    return k


def _read_row(state: ImportState, table: Table, start: int, open_end: bool, tabbed: bool) -> int:
    """Read the row on line `start` (and the lines it runs over) into `table`; returns the
    line after it."""
    lines = state.lines
    ncols = len(table.header)
    text = lines[start]
    found = cells(text)
    filled = [c for c, _ in found if c]
    tip = tip_line(filled[0]) if len(filled) == 1 and table.rows else None
    if tip is not None:  # a full-width note row (`| Tip: most phone cameras … |`)
        table.rows[-1].more_tips.append(tip)
        state.table_lines.add(start)
        return start + 1
    if (
        open_end
        and not tabbed
        and len(found) == ncols - 1
        and not text.lstrip().startswith("|")
        and _CLOSING_PIPE.search(text)
    ):
        found.append(("", len(text.rstrip()) + 1))
    j, found = _join_broken_row(lines, start, found, ncols, tabbed)
    state.table_lines.update(range(start, j + 1))
    values = [c for c, _ in found]
    missing = max(0, ncols - len(values))
    if missing:  # reported once the row is split (`resolve_table`)
        values += [""] * missing
    elif len(values) > ncols:
        state.report(
            start + 1,
            "I005",
            f"row has {len(values)} cells, the header has {ncols}; "
            "extra cells joined into the last one",
        )
        values = values[: ncols - 1] + [" | ".join(values[ncols - 1 :])]
    elif j > start:
        state.report(
            start + 1, "I005", f"row runs over lines {start + 1}-{j + 1}; joined into one row"
        )
    table.rows.append(Row(start + 1, values, [], missing))
    return j + 1


def _join_broken_row(
    lines: list[str], start: int, found: list[tuple[str, int]], ncols: int, tabbed: bool
) -> tuple[int, list[tuple[str, int]]]:
    """A row short of cells that runs over the next lines: its last line (0-based) and its
    cells with those lines joined, as long as they do not make too many cells."""
    text = lines[start]
    j = start
    while len(found) < ncols and j + 1 < len(lines) and lines[j + 1].strip():
        if tabbed:
            # a cell broken over lines: the next line goes on with that cell
            if "\t" not in lines[j + 1]:
                break
            joined = text.rstrip(" ") + " " + lines[j + 1].lstrip(" ")
        else:
            joined = text.rstrip() + " " + lines[j + 1].strip()
        if len(cells(joined)) > ncols:
            break
        text = joined
        j += 1
        found = cells(text)
    return j, found


def register_table(state: ImportState, t: Table) -> None:
    """Add the table's cells to the page's evidence; find its tip column, if it has one."""
    t.header_segs = [state.corpus.add(c) for c in t.header]
    for r in t.rows:
        r.segs = [state.corpus.add(c) for c in r.cells]
    tips = [j for j in range(1, len(t.header)) if plain_label(t.header[j]) in TIP_HEADERS]
    if not tips and len(t.header) >= 4:  # a tip column of another name (`High-yield pearl`)
        tips = [j for j in range(1, len(t.header)) if names_a_tip(t.header[j])]
    t.tip_col = tips[0] if tips else None


# --------------------------------------------------------------------------------------------
# Resolving a table: subject names, labels and tips


def resolve_table(state: ImportState, t: Table) -> None:
    """Set the table's header cells as `Name — tagline` and its rows as label, tip, values."""
    t.out_header, names, columns = _resolve_header(state, t)
    state.subjects.extend(names)
    if not state.deck_subjects:
        state.deck_subjects = names
    if t.tip_col is not None:
        t.out_rows = _rows_with_tip_column(state, t, t.tip_col, names, columns)
    else:
        t.out_rows = _rows_with_run_on_tips(state, t, names, columns)


def _resolve_header(state: ImportState, t: Table) -> tuple[list[str], list[str], list[str]]:
    """The header cells as `Name — tagline`, the subjects' names, and per pasted column the
    subject's name or the tip header."""
    header_out = [t.header[0]]
    names: list[str] = []
    columns = [t.header[0]]
    name_keys: dict[str, int] = {}
    splits: dict[int, Split] = {}
    for j in range(1, len(t.header)):
        if j == t.tip_col:
            continue
        cell = t.header[j]
        if not cell:
            cell = f"Subject {j}"
            state.report(t.line, "I013", f"empty header cell; named it {cell!r}", t.header_cols[j])
        splits[j] = split_header(cell, state.corpus, t.header_segs)
    distinct_names(splits)
    shared_class_noun(splits)
    for j in range(1, len(t.header)):
        if j == t.tip_col:
            columns.append(t.header[j])
            continue
        col = t.header_cols[j]
        split = splits[j]
        name = unique(state, split.head, name_keys, (t.line, col), "subject name")
        names.append(name)
        columns.append(name)
        header_out.append(f"{name} — {split.tail}" if split.tail else name)
        if split.unsure:
            _report_unsure_name(state, t.line, col, split)
    return header_out, names, columns


def _report_unsure_name(state: ImportState, line: int, col: int, split: Split) -> None:
    alt = split.runner_up
    alt_text = ""
    if alt is not None:
        alt_text = (
            f"; or {alt.head!r} — {alt.tail!r}"
            if alt.tail
            else f"; or {alt.head!r} with no tagline"
        )
    why = f" ({split.collided!r} alone would name other columns too)" if split.collided else ""
    state.report(
        line,
        "I003",
        f"unsure where the subject name ends: took {split.head!r}"
        + (f" — {split.tail!r}" if split.tail else " (no tagline)")
        + why
        + alt_text,
        col,
    )


def _rows_with_tip_column(
    state: ImportState, t: Table, tip_col: int, names: list[str], columns: list[str]
) -> list[ResolvedRow]:
    """The rows of a table whose tips stand in a column of their own."""
    rows = []
    taken = labels_taken(state, names)
    for i, r in enumerate(t.rows, 1):
        values = [r.cells[j] for j in range(1, len(r.cells)) if j != tip_col]
        label = unique(state, r.cells[0] or f"Row {i}", taken, (r.line, 1), "label")
        tip = r.cells[tip_col]
        for more in r.more_tips:
            tip = with_tip(tip, more)
        rows.append(ResolvedRow(r.line, label, tip, values))
        if r.missing:
            _report_short_row(state, t, r, label, columns)
    return rows


def _rows_with_run_on_tips(
    state: ImportState, t: Table, names: list[str], columns: list[str]
) -> list[ResolvedRow]:
    """The rows of a table whose first cells run the label and the tip together."""
    splits = _first_cell_splits(state, t, names)
    taken = labels_taken(state, names)
    return [
        _resolve_row(state, t, i, r, split, names, columns, taken)
        for i, (r, split) in enumerate(zip(t.rows, splits), 1)
    ]


def _first_cell_splits(state: ImportState, t: Table, names: list[str]) -> list[Split]:
    """Each row's first cell split into label and tip: a first pass, then a second one for the
    unsure rows with the vocabulary of the sure labels."""
    colon_labels = sum(
        1 for r in t.rows if re.match(r"^[^:\s][^:]{0,59}:\s", r.cells[0])
    ) * 2 > len(t.rows)
    corpus = state.corpus
    splits = [split_row(r.cells[0], corpus, r.segs[:1], names, colon_labels) for r in t.rows]
    sure = [
        {core(w).lower() for w in sp.head.split()} - CONNECTORS
        if not sp.unsure and sp.head
        else set()
        for sp in splits
    ]
    counts = Counter(w for words in sure for w in words)
    for i, (r, sp) in enumerate(zip(t.rows, splits)):
        if sp.unsure and r.cells[0]:
            vocab = Vocab(counts, sure[i])
            splits[i] = split_row(r.cells[0], corpus, r.segs[:1], names, colon_labels, vocab)
    return splits


def _resolve_row(
    state: ImportState,
    t: Table,
    i: int,
    r: Row,
    split: Split,
    names: list[str],
    columns: list[str],
    taken: dict[str, int],
) -> ResolvedRow:
    """Row `i` of the table from its first cell's split."""
    values = [r.cells[j] for j in range(1, len(r.cells))]
    if not r.cells[0]:
        label = f"Row {i}"
        state.report(r.line, "I013", f"empty first cell; named it {label!r}")
        split = Split(label, "", 0.0)
    label = split.head[:-1].rstrip() if split.head.endswith(":") else split.head
    label = unique(state, label, taken, (r.line, 1), "label")
    if r.missing == 1 and split.tail and not reads_like_tip(split.tail, names):
        # one cell short and what follows the label reads like a value, not a tip: the pipe
        # between the label and the first value was lost (`Pricing Per request | Per ACU-hour |
        # Per node-hour`), so that text is the first subject's value
        state.report(
            r.line,
            "I005",
            f"row {label!r} has {len(t.header) - 1} cells, the header has "
            f"{len(t.header)}; the label and the first value ran together: took "
            f"{clip(split.tail)!r} as the value for {names[0]!r} (no tip); "
            "check the row's values against the page",
        )
        return ResolvedRow(r.line, label, "", [split.tail, *values[: len(values) - 1]])
    if r.missing:
        _report_short_row(state, t, r, label, columns)
    if split.unsure:
        _report_unsure_label(state, r.line, label, split)
    tip = split.tail
    for more in r.more_tips:
        tip = with_tip(tip, more)
    return ResolvedRow(r.line, label, tip, values)


def _report_unsure_label(state: ImportState, line: int, label: str, split: Split) -> None:
    alt = split.runner_up
    alt_text = ""
    if alt is not None:
        alt_text = (
            f"; or label {alt.head!r} with tip {clip(alt.tail)!r}"
            if alt.tail
            else f"; or all of it as the label {alt.head!r}"
        )
    state.report(
        line,
        "I002",
        f"unsure where the label ends: took {label!r}"
        + (f" with tip {clip(split.tail)!r}" if split.tail else " with no tip")
        + alt_text,
    )


def _report_short_row(state: ImportState, t: Table, r: Row, label: str, columns: list[str]) -> None:
    """A row that lacked cells: its last columns were padded with empty cells, so if a cell
    was lost before them, the values after it now sit under the wrong subjects."""
    names = ", ".join(repr(clip(c, 40)) for c in columns[-r.missing :])
    state.report(
        r.line,
        "I005",
        f"row {label!r} has {len(t.header) - r.missing} cells, the header has "
        f"{len(t.header)}; left the last {'cell' if r.missing == 1 else 'cells'} "
        f"({names}) empty: if a cell was lost earlier in the row, the values after it "
        "are under the wrong subjects; check the row against the page",
    )


def labels_taken(state: ImportState, subjects: list[str]) -> dict[str, int]:
    """The labels used so far in tables with these subjects (see `unique`)."""
    return state.labels.setdefault("-vs-".join(slugify(s) for s in subjects), {})


def unique(
    state: ImportState, text: str, taken: dict[str, int], at: tuple[int, int], what: str
) -> str:
    """`text`, or `text (2)` when the table has it already (the parser refuses duplicates).

    `taken` holds the slugs and lower-cased texts used so far (the result is added), and
    per text the last number given, so that 10,000 repeats of a label cost 10,000 steps.
    `at` is the (line, column) to report a renaming at.
    """
    counter = "\0" + text.lower()  # cannot be a text: the page lost its control characters
    n = taken.get(counter, 1)
    new = text if n == 1 else f"{text} ({n})"
    while new.lower() in taken or slugify(new) in taken:
        n += 1
        new = f"{text} ({n})"
    taken[counter] = n
    if new != text:
        where = (
            "(in this table, or an earlier one with the same subjects)"
            if what == "label"
            else "in this table"
        )
        state.report(at[0], "I013", f"duplicate {what} {text!r} {where}; renamed it {new!r}", at[1])
    taken[new.lower()] = taken[slugify(new)] = 0
    return new
