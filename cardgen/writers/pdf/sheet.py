"""The study sheet's payload: one source's facts as the JSON that `sheet.typ` draws.

Title, description, the comparison table(s), scenarios, traps and notes, and the footer that
names the source. The sheet shows the facts, not the cards.
"""

from __future__ import annotations

import re
from typing import Any

from cardgen import spans as sp
from cardgen.model import Comparison, Document, Loc, Note
from cardgen.writers.pdf.content import Content
from cardgen.writers.pdf.options import PAPERS, PdfOptions

SPLIT_ROW_CHARS = 600  # a table row whose longest cell is longer may break across pages
# Notes with these titles hold the source's gist: the sheet shows them first, above the table.
LEAD_TITLES = ("summary", "key takeaway", "key takeaways", "tl;dr", "in short", "bottom line")
FOOTER_PATH_CHARS = 60  # a longer source path is shortened from the left in the sheet's footer


def attribution(doc: Document) -> tuple[str, str]:
    """The sheet footer's attribution: the text before the path, and the path, which the
    template keeps on one line (a long one loses its leading folders: `…/notes/aws/x.md`)."""
    lead = f"Source: {doc.source} — " if doc.source else "Source: "
    path = doc.path
    if len(path) > FOOTER_PATH_CHARS:
        tail = path[-(FOOTER_PATH_CHARS - 1) :]
        cut = tail.find("/")
        name = path.rsplit("/", 1)[-1]
        if 0 <= cut < len(tail) - 1:
            tail = tail[cut:]
        path = "…" + (tail if len(tail) >= len(name) else name)
    return lead, path


def _comparison(comp: Comparison, content: Content) -> dict[str, Any]:
    """One comparison table: subjects across, one row per attribute (with its tip, if any)."""
    return {
        "attribute_header": content.inline(comp.attribute_header or "", comp.loc, bold=True),
        "subjects": [
            {
                "name": content.inline(s.name, comp.loc, bold=True),
                "tagline": content.inline(s.tagline, comp.loc),
            }
            for s in comp.subjects
        ],
        "has_tip": any(r.tip for r in comp.rows),
        "rows": [
            {
                "attribute": content.inline(r.attribute, r.loc, bold=True),
                "values": [content.inline(v, r.loc) for v in r.values],
                "tip": content.inline(r.tip, r.loc),
                "split": max(len(x) for x in (r.attribute, r.tip, *r.values)) > SPLIT_ROW_CHARS,
            }
            for r in comp.rows
        ],
    }


_CAPS_WORD = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")


def trap_title(title: str, text: str) -> tuple[str, str]:
    """A trap's title and text as the sheet shows them: a trap without a title whose text opens
    with words in capitals ("UNAUTHENTICATED (GUEST) ACCESS requires …") gets those words as its
    title, so that every trap reads title first. Markdown in the opening words keeps it as is."""
    if title.strip():
        return title, text
    words = text.split(" ")
    n = 0
    while n < len(words) - 1 and _CAPS_WORD.match(words[n]) and sum(map(str.isalpha, words[n])):
        n += 1
    head = " ".join(words[:n]).rstrip(":—–-, ")
    if n < 2 or sum(map(str.isalpha, head)) < 6 or any(c in head for c in "*_`[\\"):
        return title, text
    rest = " ".join(words[n:]).lstrip(":—–-, ")
    return head, rest[:1].upper() + rest[1:]


def is_lead(note: Note) -> bool:
    """Whether a note is the source's gist (its title is "Summary", "Key takeaway", ...)."""
    return sp.plain(sp.inline(note.title)).strip().rstrip(":").lower() in LEAD_TITLES


def sheet_data(doc: Document, options: PdfOptions, content: Content) -> dict[str, Any]:
    """The payload of `sheet.typ` (see the module docstring)."""
    src_loc = Loc(doc.path, 1, 1)
    lead, path = attribution(doc)
    title = content.inline(doc.title, doc.loc, bold=True)
    comparisons = [_comparison(comp, content) for comp in doc.comparisons]
    traps = [(trap_title(t.title, t.text), t.loc) for t in doc.traps]
    return {
        "paper_w": PAPERS[options.paper][0],
        "paper_h": PAPERS[options.paper][1],
        "title": title,
        "title_plain": sp.plain(title),
        "description": content.blocks(doc.description, doc.loc),
        "comparisons": comparisons,
        "scenarios": [
            {
                "prompt": content.inline(s.prompt, s.loc),
                "answer": content.inline(s.answer, s.loc, bold=True),
            }
            for s in doc.scenarios
        ],
        "traps": [
            {
                "title": content.inline(title, loc, bold=True),
                # key terms (the bold spans: the clozes in Anki) bold and underlined, as on the
                # cards' backs, so that they never look like the title
                "text": content.cloze(text, loc, reveal=True),
            }
            for (title, text), loc in traps
        ],
        "lead": [
            {
                "title": content.inline(n.title, n.loc, bold=True),
                "blocks": content.blocks(n.text, n.loc),
            }
            for n in doc.notes
            if is_lead(n)
        ],
        "notes": [
            {
                "title": content.inline(n.title, n.loc, bold=True),
                "blocks": content.blocks(n.text, n.loc),
            }
            for n in doc.notes
            if not is_lead(n)
        ],
        "footer": content.text(lead, src_loc),
        "footer_path": content.text(path, src_loc),
    }
