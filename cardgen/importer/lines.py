"""Sorting the page's lines outside its tables into content and page residue.

A line is residue by what it says (`page.residue_kind`) or by where it stands: bookkeeping on
a byline (`· 8 min read`) is cut from it; the attribution line (`Publisher · EXAM-01 ·
2026-02-22`) becomes the source; lines after it that are no content are the footer; a run of
short lines at the very end of the page is navigation; links under a `Related posts` heading at
the end are related links. Residue is dropped and reported (`I001`) in groups of neighbouring
lines; the content lines go on to `structure` and into the page's evidence.
"""

from __future__ import annotations

import re

from cardgen.importer.chrome import chrome_lines, is_section_name
from cardgen.importer.page import RELATED, is_nav_link, residue_kind, without_page_meta
from cardgen.importer.state import ImportState
from cardgen.importer.words import (
    EXAM_CODE,
    QARROW,
    SECTION_LEADS,
    TRAPPY,
    caps_lead,
    clip,
    kind,
    strip_emoji,
    word_count,
)
from cardgen.source import TRAP_WORDS

_SOURCE_LABEL = re.compile(r"^(?:sources?|credits?)\s*(?::|[—–]\s)\s*", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")

# --------------------------------------------------------------------------------------------
# What a line reads like


def is_label_like(s: str) -> bool:
    """Short Title Case text without end punctuation: a heading, a menu entry."""
    s = s.strip()
    return (
        bool(s)
        and not re.search(r"[.:;,!]$", s)
        and not QARROW.search(s)
        and sum(1 for w in s.split() if kind(w) == "low") <= 1
    )


def is_section_heading(s: str) -> bool:
    """A line that names a section the importer recognises (`Summary`, `🎯 Decision Tree`,
    `Common Exam Traps`, `Bottom line: ...`)."""
    plain = strip_emoji(s).lower()
    lead = re.match(r"^([a-z][a-z .;]{0,20})(?::|$)", plain)
    return bool(plain) and (
        bool(lead and lead.group(1).strip() in SECTION_LEADS)
        or any(w in plain for w in TRAP_WORDS)
        or bool(re.search(r"\bdecision\b|\bsummary\b|\btakeaways?\b", plain))
    )


def _looks_like_content(s: str) -> bool:
    """Whether a line is recognisably part of the page's content, which page residue (a footer)
    never swallows: a scenario, a sentence, a trap lead-in, a section heading."""
    s = strip_emoji(s)
    words = s.split()
    return (
        bool(QARROW.search(s))
        or (bool(re.search(r"[.!?][\"'’”)\]]*$", s)) and len(words) >= 3)
        or (bool(caps_lead(words)) and len(words) >= 3)
        or bool(TRAPPY.search(s))
        or is_section_heading(s)
    )


def _is_nav_like(s: str) -> bool:
    """A navigation link or footer entry: residue, a link to the next page, or a short
    label-like line."""
    s = s.strip()
    return (
        bool(residue_kind(s))
        or is_nav_link(s)
        or (word_count(s) <= 5 and len(s) <= 40 and is_label_like(s))
    )


def _attribution_parts(s: str) -> list[str] | None:
    """The parts of an attribution line (`Publisher · EXAM-01 · 2026-02-22`), or None."""
    parts = [p.strip() for p in re.split(r"\s+[·•]\s+", s.strip())]
    # a label in front (`Sources: AWS documentation · …`) is no part of the source
    parts[0] = _SOURCE_LABEL.sub("", parts[0])
    if len(parts) < 2 or len(parts) > 6 or len(s) > 140:
        return None
    if not all(p and word_count(p) <= 6 for p in parts):
        return None
    # it dates the page or names the exam: a year (`2026-01-15`, `March 2026`) or an exam code;
    # a reading time or a relative date (`Updated 3 days ago · 12 min read`) is no attribution
    if not any(_YEAR.search(p) or EXAM_CODE.match(p) for p in parts):
        return None
    return parts


# --------------------------------------------------------------------------------------------
# Where a line stands


def classify(state: ImportState) -> None:
    """Drop residue (`state.residue`); keep the other non-table lines (`state.content`)."""
    _strip_bookkeeping(state)
    first = _first_content(state)
    attribution = _find_attribution(state, first)
    footer_from = attribution if attribution and _closes_page(state, attribution) else 0
    tail = _navigation_tail(state, first, attribution, footer_from)
    related = _related_links(state, first, attribution)
    chrome = chrome_lines(state.lines, state.table_lines)
    for no, raw in enumerate(state.lines, 1):
        if no - 1 in state.table_lines or not raw.strip():
            continue
        s = raw.strip()
        if no == attribution:
            continue
        why = chrome.get(no - 1) or residue_kind(s)
        if not why and no >= related:
            why = "related links"
        if not why and no >= tail:
            why = "navigation"
        if not why and footer_from and no > footer_from:
            why = "footer"
        if why:
            state.residue.append((no, s, why))
            continue
        state.content.append((no, s))
    _section_name(state)
    for _, text in state.content:
        state.corpus.add(strip_emoji(text))


def _section_name(state: ImportState) -> None:
    """Drop a site's section name on the first line (`Python Tutorial`) over the title."""
    first_table = state.tables[0].line if state.tables else len(state.lines) + 1
    c = state.content
    if len(c) >= 2 and c[1][0] < first_table and is_section_name(c[0][1], c[1][1]):
        state.residue.append((c[0][0], c[0][1], "site section name"))
        state.residue.sort()
        del c[0]


def _strip_bookkeeping(state: ImportState) -> None:
    """Cut a byline's bookkeeping parts (`· 8 min read`) from it, reported (`I001`)."""
    for i, raw in enumerate(state.lines):
        if i in state.table_lines:
            continue
        kept, dropped = without_page_meta(raw.strip())
        if dropped:
            col = len(raw) - len(raw.lstrip()) + dropped[0][1]
            state.report(
                i + 1,
                "I001",
                "dropped page bookkeeping from the line: " + ", ".join(repr(p) for p, _ in dropped),
                col,
            )
            state.lines[i] = kept


def _first_content(state: ImportState) -> int:
    """The first line (1-based) that is neither a table's nor residue (0 when none is)."""
    return next(
        (
            no
            for no, raw in enumerate(state.lines, 1)
            if raw.strip() and no - 1 not in state.table_lines and not residue_kind(raw.strip())
        ),
        0,
    )


def _find_attribution(state: ImportState, first: int) -> int:
    """The attribution: the last dotted line after `first` that carries a date, a year or an
    exam code; sets the source. Returns its line (0 when there is none)."""
    for no in range(len(state.lines), first, -1):
        if no - 1 in state.table_lines:
            continue
        parts = _attribution_parts(strip_emoji(state.lines[no - 1]))
        if parts:
            state.source = " · ".join(parts)
            state.source_parts = parts
            return no
    return 0


def _closes_page(state: ImportState, attribution: int) -> bool:
    """Whether the attribution closes the page's content: every line after it is page residue
    or short text that is no content (no scenario, sentence, trap or section heading). An
    attribution near the top (under the title) closes nothing."""
    return all(
        no - 1 not in state.table_lines
        and (
            residue_kind(s)
            or is_nav_link(s)
            or (word_count(s) <= 12 and not _looks_like_content(s))
        )
        for no in range(attribution + 1, len(state.lines) + 1)
        if (s := state.lines[no - 1].strip())
    )


def _navigation_tail(state: ImportState, first: int, attribution: int, footer_from: int) -> int:
    """Where the trailing navigation starts: a run of short lines at the very end of the page,
    after the attribution or at least two of them (one short last line may be content).

    The run stops at content, and a section heading right above it (`Summary`) claims it as its
    text (an attribution line in the run is passed over: it is the source, not content); links
    to other pages and residue at the end of the run are navigation in any case.
    """
    lines = state.lines
    tail = sure_tail = len(lines) + 1
    run = 0
    stop = ""
    sure = True
    for no in range(len(lines), first, -1):
        s = lines[no - 1].strip()
        if no - 1 in state.table_lines:
            break
        if no == attribution:
            if no == len(lines) or sure:
                continue
            break
        nav = bool(residue_kind(s)) or is_nav_link(s)
        if s and not nav and (not _is_nav_like(s) or _looks_like_content(s)):
            stop = s
            break
        tail = no
        run += bool(s)
        sure = sure and (nav or not s)
        if sure:
            sure_tail = no
    if (run < 2 and not footer_from) or is_section_heading(stop):
        return sure_tail
    return tail


def _related_links(state: ImportState, first: int, attribution: int) -> int:
    """Where the links to other posts start: their heading at the end of the page (`Related
    posts`, then post titles of any length), with no sentence, scenario or section after it."""
    lines = state.lines
    for no in range(len(lines), first, -1):
        s = lines[no - 1].strip()
        if no - 1 in state.table_lines:
            break
        if not s or no == attribution:
            continue
        if RELATED.match(strip_emoji(s).rstrip(":").strip()):
            return no
        if not (residue_kind(s) or is_nav_link(s)) and (
            word_count(s) > 16
            or re.search(r"[.!][\"'’”)\]]*$", s)
            or QARROW.search(s)
            or is_section_heading(s)
        ):
            break
    return len(lines) + 1


def report_residue(state: ImportState) -> None:
    """Report the dropped residue (`I001`), neighbouring lines as one group."""
    groups: list[list[tuple[int, str, str]]] = []
    for item in state.residue:
        gap = item[0] - groups[-1][-1][0] if groups else 99
        if gap == 1 or (gap <= 2 and item[2] == groups[-1][-1][2]):
            groups[-1].append(item)
        else:
            groups.append([item])
    for g in groups:
        whys = list(dict.fromkeys(why for _, _, why in g))
        shown = ", ".join(repr(clip(s, 80)) for _, s, _ in g[:10])
        if len(g) > 10:
            shown += f", … ({len(g) - 10} more)"
        what = "line" if len(g) == 1 else f"{len(g)} lines"
        state.report(
            g[0][0], "I001", f"dropped {what} of page residue ({', '.join(whys)}): {shown}"
        )
