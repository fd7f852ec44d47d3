"""Traps: a paragraph or list item in a trap section, or a `> [!WARNING]` alert -> `Trap`
(an optional bold title, the text, and the bold spans that become clozes); P110 when empty.
"""

from __future__ import annotations

import re

from cardgen.diagnostics import diag
from cardgen.markdown import bold_spans
from cardgen.model import Loc, Trap
from cardgen.source.state import ParseState
from cardgen.text import one_line

# A heading with one of these words opens a trap section (until a heading of its level or above).
TRAP_WORDS = ("trap", "gotcha", "pitfall")
TRAP_ALERTS = frozenset({"WARNING", "CAUTION"})  # alert kinds that are traps wherever they are

_LEADING_BOLD = re.compile(r"^(\*\*|__)(?P<title>(?:(?!\1).)+?)\1")


def is_trap_heading(heading: str) -> bool:
    return any(w in heading.lower() for w in TRAP_WORDS)


def add_trap(st: ParseState, markdown_text: str, loc: Loc) -> None:
    """Read one trap's Markdown (`**Title:** text`, `**Title** — text` or just text) into `st`."""
    text = one_line(markdown_text)
    title = ""
    m = _LEADING_BOLD.match(text)
    if m:
        inner = m.group("title").strip()
        rest = text[m.end() :]
        if inner.endswith(":"):
            title, text = inner[:-1].strip(), rest.strip()
        elif rest.startswith(":"):
            title, text = inner, rest[1:].strip()
        elif re.match(r"^\s*[—–]\s", rest) or rest.strip() in ("—", "–"):
            title, text = inner, rest.strip()[1:].strip()
    if not text:
        if title:
            st.diags.append(diag(loc, "P110", "trap has no text after its title"))
        else:
            st.diags.append(diag(loc, "P110", "trap has no text"))
        return
    st.traps.append(Trap(title, text, tuple(bold_spans(text)), loc))
