"""The words lint counts and compares: what a learner reads, not Markdown syntax.

Word and item counts (L101, L102, L107), prompts reduced for comparison (L103), sentence bounds
and cloze-answer patterns (L107, L109), and text quoted in messages. Standard library only.
"""

from __future__ import annotations

import re

from cardgen.cards import MASK
from cardgen.text import plain

TOKEN = re.compile(r"\w+", re.UNICODE)

# Words that carry no content of their own: a cloze made only of them is never "given away".
_STOP = frozenset(
    (  # noqa: SIM905
        "a an and are as at be by can cannot do does for from has have in is it its no not of on"
        " only or the this to with without yes all any none never always must"
    ).split()
)

# Folded away when prompts are compared (L103): words a reader skims past. Negations, `and` /
# `or` and `without` are kept: they change what a prompt asks.
_FILLER = frozenset(
    (  # noqa: SIM905
        "a an the of in on at to for by with from per via vs versus is are does do which what"
    ).split()
)
_ABBREVIATIONS = {
    "max": "maximum",
    "min": "minimum",
    "avg": "average",
    "num": "number",
    "config": "configuration",
    "info": "information",
    "approx": "approximately",
    "sec": "second",
}


def count_words(text: str) -> int:
    """Words as a reader counts them: whitespace-separated runs holding a letter or digit."""
    return sum(1 for w in plain(text).split() if any(ch.isalnum() for ch in w))


def count_items(text: str) -> int:
    """The most items one enumeration in `text` lists.

    The text is cut into clauses at `;`, `:`, `—`, `–`, `→` and sentence ends, outside brackets;
    the items of a clause are its comma-separated parts (a comma inside brackets or a number such
    as `10,000` does not count), plus one when the last part joins two with `and` / `or`.
    """
    s = plain(text)
    best = 1
    depth = 0
    commas: list[int] = []

    def close(end: int) -> None:
        nonlocal best
        if not commas:
            return
        n = len(commas) + 1
        last = s[commas[-1] + 1 : end].strip()
        if re.search(r"\s(?:and|or)\s", f" {last} ") and not re.match(r"(?:and|or)\s", last):
            n += 1
        best = max(best, n)

    for i, ch in enumerate(s):
        nxt = s[i + 1] if i + 1 < len(s) else " "
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif ch == "," and nxt.isspace():
            commas.append(i)
        elif ch in ";—–→" or (ch in ".!?:" and nxt.isspace()):
            close(i)
            commas = []
    close(len(s))
    return best


def light(text: str) -> tuple[str, ...]:
    """A prompt's words, lower case (masks kept): what differs here, a reader sees."""
    return tuple(TOKEN.findall(plain(text.replace(MASK, " masked ")).lower()))


def folded(text: str) -> tuple[str, ...]:
    """A prompt's words with what a reader skims past folded away: plurals, articles and
    prepositions, common abbreviations (`Max` = `Maximum`)."""
    out = []
    for t in light(text):
        if t not in _FILLER:
            out.append(_singular(_ABBREVIATIONS.get(t, t)))
    return tuple(out)


def _singular(word: str) -> str:
    """A stem shared by an English word's singular and plural (identities / identity -> identity,
    caches / cache -> cach, accesses / access -> access); only ever compared, never shown."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def quoted(text: str, limit: int = 60) -> str:
    """`text` as a reader sees it, quoted for a message and shortened to `limit` characters."""
    p = plain(text)
    return repr(p if len(p) <= limit else p[: limit - 1].rstrip() + "…")


def has_content(span: str) -> bool:
    """A cloze answer worth protecting: some word of 3+ letters that is not a stop word."""
    return any(len(w) >= 3 and w.lower() not in _STOP for w in TOKEN.findall(plain(span)))


def variants_pattern(span: str) -> re.Pattern[str] | None:
    """A pattern for `span`'s words as a reader would say them again: any case, any punctuation
    between the words, the last one with or without a plural `s`. None for a span of no words."""
    words = TOKEN.findall(plain(span).lower())
    if not words:
        return None
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    parts = [re.escape(w) for w in words[:-1]] + [re.escape(last) + "s?"]
    return re.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)", re.IGNORECASE)
