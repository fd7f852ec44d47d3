"""Exam tips outside the first cell: a tip column of any name, and tip lines between rows.

A column is the tip column when its header names a tip by meaning (`High-yield pearl`,
`Remember`, `Exam hint`, `Gotcha`, `Key point`), in any case and any position; the source
writes it under `Exam tip`, the header the format knows. A line between rows (or after the
last row) led by such a word and a colon (`Exam tip: …`, `Note: …`, `Key point: …`) is the tip
of the row above, appended when that row has one already.
"""

from __future__ import annotations

import re

from cardgen.importer.words import wordset

# words that make a header cell (of up to four words) the tip column
TIP_WORDS = wordset(
    """tip tips pearl pearls note notes remember hint hints gotcha gotchas exam
    mnemonic mnemonics takeaway takeaways caveat caveats pitfall pitfalls trap traps
    hack"""
)
TIP_PHRASES = ("key point", "why it matters", "high-yield", "high yield", "watch out", "pro tip")

# leads that open a trap or a warning, not a row's tip
_NOT_A_TIP_LEAD = wordset("""trap traps pitfall pitfalls caveat caveats remember watch""")

# `Exam tip:`, `Tip:`, `Note:`, `Key point:`, `Pro tip —`: a lead of up to three words naming
# a tip, then the tip's text
_TIP_LINE = re.compile(
    r"^(?:[^\w\s]{1,2}\s*)?(?P<lead>(?:[\w-]+\s+){0,2}[\w-]+)\s*(?::|\s[—–]\s)\s*(?P<text>\S.*)$"
)


def names_a_tip(header: str) -> bool:
    """Whether a header cell names a tip column (`High-yield pearl`, `Exam hint`, `NOTES`)."""
    low = re.sub(r"[^\w\s-]", " ", header.lower()).strip()
    words = low.split()
    if not words or len(words) > 4:
        return False
    return any(w in TIP_WORDS for w in words) or any(p in low for p in TIP_PHRASES)


def tip_line(s: str) -> str | None:
    """The tip in a tip line (`Exam tip: a tuple …` -> `A tuple …`), None for other lines."""
    m = _TIP_LINE.match(s.strip())
    if not m or "|" in s or "\t" in s:
        return None
    lead = m.group("lead")
    if lead.isupper() and len(lead) > 3:  # `WATCH OUT:`, `REMEMBER:`: a trap's lead-in
        return None
    if not names_a_tip(lead) or _NOT_A_TIP_LEAD & set(lead.lower().split()):
        return None
    text = m.group("text").strip()
    return text[:1].upper() + text[1:]


def with_tip(tip: str, more: str) -> str:
    """`tip` with `more` appended (a full stop between them when `tip` has no end mark)."""
    if not tip:
        return more
    if not re.search(r"[.!?][\"'’”)\]]*$", tip):
        tip += "."
    return f"{tip} {more}"
