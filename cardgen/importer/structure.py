"""The page's structure: title, description, and the body as blocks in the page's order.

The lines before the first table are the title and the description; after it, each content
line becomes one block (`state.Block`): a section heading (a short line followed by text, or an
inline lead-in like `Bottom line:`), scenarios (`scenarios`), a trap (`traps`), a paragraph of
a note section, or unplaced text (`I004`). Tables stay where they stood. Last, each section is
settled as all traps or all note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cardgen.importer.lines import is_label_like
from cardgen.importer.scenarios import scenarios
from cardgen.importer.state import Block, ImportState, Table, TrapParts
from cardgen.importer.traps import trap_parts
from cardgen.importer.words import (
    QARROW,
    SECTION_LEADS,
    TRAPPY,
    clip,
    is_caps,
    kind,
    strip_emoji,
    word_count,
)
from cardgen.source import TRAP_WORDS

UNPLACED_HEADING = "Unplaced text"

_SECTION_LEAD = re.compile(r"^([A-Za-z][A-Za-z .;]{0,20}):\s+(.*)$")


@dataclass
class _Event:
    """A table, a heading or a content line, at its line of the page."""

    line: int
    kind: Literal["table", "heading", "line"]
    text: str = ""
    table: Table | None = None


@dataclass
class _Flow:
    """Where the body is: the kind of the current section, and whether traps just ran."""

    section: Literal["note", "trap", ""] = ""  # "": none (before any heading, after a table)
    trap_run: bool = False


def structure(state: ImportState) -> None:
    """Title, description and blocks (`state.blocks`) from the content lines and tables."""
    events = _intro(state)
    lines_only = [(e.line, e.text) for e in events if e.kind == "line"]
    next_text = {
        no: (lines_only[i + 1][1] if i + 1 < len(lines_only) else "")
        for i, (no, _) in enumerate(lines_only)
    }
    before_table = {events[i].line for i in range(len(events) - 1) if events[i + 1].kind == "table"}
    flow = _Flow()
    for e in events:
        if e.kind == "heading":
            state.blocks.append(Block("heading", e.line, e.text))
        elif e.kind == "table":
            state.blocks.append(Block("table", e.line, table=e.table))
            flow.section, flow.trap_run = "", False
        else:
            s = strip_emoji(e.text)
            titled = e.line in before_table and is_label_like(s) and word_count(s) <= 6
            if titled or is_heading(s, strip_emoji(next_text[e.line])):
                _heading(state, flow, e.line, s)
            else:
                _body_line(state, flow, e.line, s)
    _settle_sections(state)
    _defaults(state)


def _intro(state: ImportState) -> list[_Event]:
    """Set the title and description from the lines before the first table; the events of the
    rest of the page (tables, a heading over the first table, lines) in the page's order."""
    content, tables = state.content, state.tables
    first_table = tables[0].line if tables else None
    intro = [(no, s) for no, s in content if first_table is None or no < first_table]
    body = [(no, s) for no, s in content if first_table is not None and no > first_table]
    if first_table is None:
        state.report(1, "I008", "no pipe table found; the page yields no comparison")
        # without a table the first line is still the title; the rest is body
        intro, body = content[:1], content[1:]
    events = [_Event(t.line, "table", table=t) for t in tables]
    if len(intro) >= 3 and first_table is not None:
        no, last = intro[-1]
        last = strip_emoji(last)
        if is_label_like(last) and word_count(last) <= 5:
            events.append(_Event(no, "heading", last))  # e.g. "Comparison Table"
            intro = intro[:-1]
    if intro:
        state.title = _undecorated(state, *intro[0], "title")
        state.description = [
            (no, _undecorated(state, no, s, "description line")) for no, s in intro[1:]
        ]
    # tables go where they stood, between the body's lines
    events += [_Event(no, "line", s) for no, s in body]
    events.sort(key=lambda e: e.line)
    return events


def _heading(state: ImportState, flow: _Flow, no: int, s: str) -> None:
    flow.section = "trap" if any(w in s.lower() for w in TRAP_WORDS) else "note"
    state.blocks.append(Block("heading", no, s.rstrip(":").strip()))
    flow.trap_run = False


def _body_line(state: ImportState, flow: _Flow, no: int, s: str) -> None:
    """Place a body line that is no heading: the first of these readings that fits."""
    placed = (
        _lead_section(state, flow, no, s)
        or _scenarios(state, flow, no, s)
        or _trap(state, flow, no, s)
    )
    if not placed:
        _text(state, flow, no, s)


def _lead_section(state: ImportState, flow: _Flow, no: int, s: str) -> bool:
    """A line that opens a note section inline (`Bottom line: choose ALB …`)."""
    lead = _SECTION_LEAD.match(s)
    if not (lead and lead.group(1).strip().lower() in SECTION_LEADS and not flow.trap_run):
        return False
    state.blocks.append(Block("heading", no, lead.group(1).strip()))
    para = lead.group(2).strip()
    state.blocks.append(Block("para", no, para, raw=para))
    flow.section, flow.trap_run = "note", False
    return True


def _scenarios(state: ImportState, flow: _Flow, no: int, s: str) -> bool:
    """A decision-tree line: one scenario per `Question? → Answer.` in it."""
    pairs = scenarios(state, no, s) if QARROW.search(s) else []
    if pairs and all(re.search(r"\w", p) and re.search(r"\w", a) for p, a in pairs):
        for prompt, answer in pairs:
            state.blocks.append(Block("scenario", no, prompt, answer=answer))
        flow.trap_run = False
        return True
    if pairs:
        state.report(
            no,
            "I009",
            "reads like a decision-tree line but a side of an arrow is empty; not made a scenario",
        )
    return False


def _trap(state: ImportState, flow: _Flow, no: int, s: str) -> bool:
    """A trap: in a trap section, or led in like one (strongly, or next to other traps, or
    outside any section)."""
    parts = trap_parts(s, state.corpus)
    strong = parts is not None and (
        parts.lead_caps
        or is_caps(parts.title.split()[0] if parts.title else "")
        or TRAPPY.search(parts.title)
    )
    placeable = re.search(r"\w", s) is not None
    section = flow.section
    if not placeable or not (
        section == "trap" or strong or (parts is not None and (flow.trap_run or not section))
    ):
        return False
    if parts is None:
        parts = TrapParts("", "", s, 0)
    state.blocks.append(Block("trap", no, parts.text.strip(), trap=parts, raw=s))
    flow.trap_run = True
    return True


def _text(state: ImportState, flow: _Flow, no: int, s: str) -> None:
    """A paragraph of a note section, or (outside one) unplaced text."""
    flow.trap_run = False
    if flow.section == "note":
        state.blocks.append(Block("para", no, s, raw=s))
        return
    state.blocks.append(Block("unplaced", no, s))
    state.report(
        no,
        "I004",
        f"could not place this line; kept under '## {UNPLACED_HEADING}': {clip(s)!r}",
    )


def _defaults(state: ImportState) -> None:
    """A title from the subjects when the page has none (`I012`); a missing source (`I007`)."""
    if not state.title:
        state.title = " vs ".join(dict.fromkeys(state.subjects)) or "Imported page"
        state.report(1, "I012", f"no title line found; using {state.title!r}")
    if not state.source:
        state.report(
            1,
            "I007",
            "no attribution line (like 'Publisher · EXAM-01 · 2026-01-31') found; "
            "add `source:` to the front matter by hand",
        )


def _settle_sections(state: ImportState) -> None:
    """Make each page section all traps or all note, in the page's order.

    A section under a heading without "trap" in it may hold both trap-like paragraphs (an
    ALL-CAPS lead, `Don't confuse:`) and plain ones. Split between a note and a trap list,
    its paragraphs would be torn apart (and a note after a trap would need a heading the
    page does not have), so the section is settled as a whole: traps when its heading warns
    (`Watch out`, `Common mistakes`) or when traps are at least as many as plain paragraphs
    (unless the heading names a summary or note: `Summary`, `Bottom line`); else a note,
    the traps' text kept as it stands.
    """
    blocks = state.blocks
    bounds = [i for i, b in enumerate(blocks) if b.kind in ("heading", "table")]
    for n, h in enumerate(bounds):
        head = blocks[h]
        if head.kind != "heading" or any(w in head.text.lower() for w in TRAP_WORDS):
            continue
        end = bounds[n + 1] if n + 1 < len(bounds) else len(blocks)
        body = blocks[h + 1 : end]
        paras = [b for b in body if b.kind == "para"]
        traps = [b for b in body if b.kind == "trap"]
        plain = head.text.lower()
        note_heading = plain in SECTION_LEADS or bool(
            re.search(r"\bsummary\b|\btakeaways?\b|\boverview\b", plain)
        )
        warns = bool(TRAPPY.search(head.text)) and not note_heading
        if not paras or not (traps or warns):
            continue  # a warning heading (`Common mistakes`) makes plain paragraphs traps
        as_traps = bool(TRAPPY.search(head.text)) or (len(traps) >= len(paras) and not note_heading)
        for b in body:
            if as_traps and b.kind == "para":
                parts = trap_parts(b.raw, state.corpus) or TrapParts("", "", b.raw, 0)
                b.kind, b.text, b.trap = "trap", parts.text.strip(), parts
            elif not as_traps and b.kind == "trap":
                b.kind, b.text, b.trap = "para", b.raw, None


def _undecorated(state: ImportState, no: int, s: str, what: str) -> str:
    """`s` without the emoji at its ends, each dropped run reported (`I001`)."""
    plain = strip_emoji(s)
    s = s.strip()
    at = s.find(plain) if plain else 0
    for text, col in ((s[:at], 1), (s[at + len(plain) :], at + len(plain) + 1)):
        if text.strip():
            col += len(text) - len(text.lstrip())
            state.report(
                no, "I001", f"dropped the decoration {text.strip()!r} from the {what}", col
            )
    return plain


# a heading asking the section's question (`Which type is it? Practice vignettes`)
_QUESTION_HEADING = re.compile(
    r"^(?:which|what|when|why|how|who|where|should|is|are|do|does|can)\b[^?]{0,70}\?"
    r"(?:\s+[A-Z][\w -]{0,30})?$",
    re.IGNORECASE,
)


def is_heading(s: str, nxt: str) -> bool:
    """A short Title Case (or ALL-CAPS) line with no end punctuation, followed by text."""
    if not s or QARROW.search(s) or "→" in s:
        return False
    if _QUESTION_HEADING.match(s) and word_count(s) <= 10 and nxt:
        return True  # `Which one should you pick?`: a heading, never a trap
    if word_count(s) > 8 or len(s) > 60 or re.search(r"[.,;!]$", s):
        return False
    if not (s[0].isupper() or s[0].isdigit()):
        return False
    if sum(1 for w in s.split() if kind(w) == "low") > (1 if word_count(s) > 3 else 2):
        return False
    return bool(nxt) and (
        word_count(nxt) >= 6 or bool(re.search(r"[.!?]$", nxt)) or bool(QARROW.search(nxt))
    )
