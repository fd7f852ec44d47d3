"""Page chrome that a line's own words do not give away, only its neighbours: a table of
contents (`In this article` and the short lines under it), a share bar (`Share this`,
`Facebook`, `Pinterest`, `Copy link`, one per line), and a site's section name on the first
line over the real title (`Python Tutorial` over `List vs Tuple vs Set in Python`).
"""

from __future__ import annotations

import re

from cardgen.importer.words import word_count

_TOC_HEAD = re.compile(
    r"^(?:in this (?:article|guide|post|page|lesson|chapter)|on this page|table of contents|"
    r"contents|jump to|what's inside|what you'll learn|quick links|skip to)\s*:?$",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"^(?:share(?: this(?: article| post| page)?)?(?: on \S+)?|facebook|twitter|x|linkedin|"
    r"pinterest|reddit|whatsapp|telegram|email|e-mail|copy link|copy url|print|tweet|"
    r"save|bookmark)$",
    re.IGNORECASE,
)
_VS = re.compile(r"\s(?:vs\.?|versus)\s", re.IGNORECASE)
MAX_TOC_LINES = 15


def chrome_lines(lines: list[str], skip: set[int]) -> dict[int, str]:
    """Lines (0-based) of tables of contents and share bars, with why they are chrome; `skip`
    holds the lines already taken (tables)."""
    out: dict[int, str] = {}
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if i in skip or not s:
            i += 1
            continue
        if _TOC_HEAD.match(s):
            j = i + 1
            while (
                j < len(lines)
                and j - i <= MAX_TOC_LINES
                and j not in skip
                and _toc_entry(lines[j].strip())
            ):
                j += 1
            if j > i + 1:
                out.update((k, "table of contents") for k in range(i, j))
                i = j
                continue
        if _SOCIAL.match(s):
            j = i
            while j < len(lines) and j not in skip and _SOCIAL.match(lines[j].strip()):
                j += 1
            if j - i >= 2 or s.lower().startswith("share"):
                out.update((k, "share bar") for k in range(i, j))
                i = j
                continue
        i += 1
    return out


def _toc_entry(s: str) -> bool:
    """A line of a table of contents: short, no sentence (a heading may end in `?`)."""
    return (
        bool(s)
        and word_count(s) <= 8
        and not re.search(r"[.!:;,]$", s)
        and "|" not in s
        and not _SOCIAL.match(s)
    )


def is_section_name(first: str, second: str) -> bool:
    """Whether the page's first line is the site's section name (`Python Tutorial`) over a
    title that names what is compared (`List vs Tuple vs Set in Python`)."""
    return (
        word_count(first) <= 4
        and not _VS.search(f" {first} ")
        and not re.search(r"[.!?:;—–]", first)
        and bool(_VS.search(second))
    )
