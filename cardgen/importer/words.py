"""How a word on the page reads: the word lists and the token shapes every stage shares.

A token is a run of non-space characters; its core is the token without the punctuation around
it. Its shape (`kind`) says how it reads inside a Title Case label: capitalised, lower-case, a
connector (`of`, `vs`), a number or a symbol. The word lists are English (the language of the
study pages); the residue lists in `page` cover a few more languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

Kind = Literal["cap", "low", "conn", "num", "sym"]

MAX_LABEL_WORDS = 12  # longer labels or subject names are not considered


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def phrases(text: str) -> frozenset[str]:
    """`a b|c d|...` -> {"a b", "c d", ...} (line breaks and indentation ignored)."""
    return frozenset(p.strip() for p in re.split(r"\|", text) if p.strip())


# Lower-case words that may sit inside a Title Case label or name ("Time to Live", "Pay per Use").
CONNECTORS = wordset(
    """a an and or of the to for in on per with by at via vs vs. versus from into over under
    without within between as nor"""
)
# Words that open a sentence and do not end a label ("Core Purpose | This is ...").
OPENERS = wordset(
    """a an the this that these those it its if when whenever where while unless although though
    because since as only both all any each every most many some no not never always often
    use using choose pick prefer avoid remember know note watch beware you your we our there
    here unlike compared do does don't cannot can must should even just also need"""
)
# Openers that are also nouns: they may end a label ("Primary Use", "Release Note").
NOUN_OPENERS = wordset("use note need watch")
# Openers that never sit inside a Title Case label ("Security Groups Since 2023 ..." is a tip).
CLAUSE_OPENERS = wordset(
    """if when whenever since because unless although though while only always never this
    these the"""
)
# Numbers open a tip only when a lower-case word follows ("Two valid patterns").
NUMBER_WORDS = wordset("one two three four five six seven eight nine ten")
# Lead-ins a row tip often starts with ("Scenario: ...", "Exam tip: ...").
TIP_LEADS = wordset(
    """scenario tip note remember trap gotcha pitfall warning important example key exam hint
    watch mnemonic rule"""
)
# Words that make a run of text a sentence (a tip) rather than a noun phrase (a table value).
SENTENCE_WORDS = wordset(
    """is are was were be been being isn't aren't can can't cannot could must should will won't
    would may might do does don't doesn't did has have hasn't haven't need needs means mean
    use uses pick choose prefer avoid remember watch think look"""
)
# Words that make a heading or a lead-in warn (a trap section, a trap title).
TRAPPY = re.compile(
    r"\b(traps?|gotchas?|pitfalls?|mistakes?|confuse[sd]?|confusing|confusions?|careful|watch|"
    r"warnings?|caution|beware|don't|never|remember|myths?|misconceptions?|tricks?|tricky)\b",
    re.IGNORECASE,
)
# Lead-ins that open a note section inline ("Bottom line: choose ALB for ...").
SECTION_LEADS = phrases(
    """summary|overview|in short|bottom line|tl;dr|key takeaway|note|notes|n.b.|nb|disclaimer|
    update|updated|context|background"""
)

# A question followed by an arrow: a decision-tree line (`Need X? → Use Y.`).
QARROW = re.compile(r"\?\s*(?:→|->|⇒|=>)\s*")
# A number with its unit (`256 KB`, `15 minutes`, `99.9%`).
QUANTITY = re.compile(
    r"(?<![\w.])\d[\d,.]*\s?(?:%|(?:[KMGTP]i?B|ms|GB-month|TPS|MB/s)\b|"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b)"
)
# An exam code (`SAA-C03`, `AZ-700`, `DVA01`).
EXAM_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]{2,}$")

OPEN_PUNCT = "\"'“‘«([{¿¡"
CLOSE_PUNCT = "\"'”’»)]}.,;:!?"
QUOTES = "\"'“‘«"


def strip_emoji(text: str) -> str:
    """Drop emoji and pictographs (with their joiners and variation selectors) at both ends."""

    def decorative(ch: str) -> bool:
        return unicodedata.category(ch) in ("So", "Sk", "Cf", "Mn", "Co", "Cs") or ch in "\ufe0f"

    s = text.strip()
    i = 0
    while i < len(s) and (decorative(s[i]) or s[i].isspace()):
        i += 1
    j = len(s)
    while j > i and (decorative(s[j - 1]) or s[j - 1].isspace()):
        j -= 1
    return s[i:j]


@lru_cache(maxsize=1 << 16)
def core(token: str) -> str:
    """A token without the punctuation around it: `'Fan-out',` -> `Fan-out`."""
    return token.lstrip(OPEN_PUNCT).rstrip(CLOSE_PUNCT)


@lru_cache(maxsize=1 << 16)
def kind(token: str) -> Kind:
    """cap | low | conn | num | sym: how a word reads inside a Title Case label."""
    word = core(token)
    if not word or not any(ch.isalnum() for ch in word):
        return "sym"
    if word.lower() in CONNECTORS and word[0].islower():
        return "conn"
    if word[0].isdigit():
        return "num"
    letters = [ch for ch in word if ch.isalpha()]
    if not letters:
        return "num"
    if letters[0].isupper() or any(ch.isupper() for ch in letters[1:]):
        return "cap"
    return "low"


@lru_cache(maxsize=1 << 16)
def row_kind(token: str) -> Kind:
    """`kind` for a row's first cell, where a name written in lower case with a digit (`gp3`,
    `io2`, `t3.micro`) reads like a capitalised word: it may end a label or start a tip."""
    shape = kind(token)
    return "cap" if shape == "low" and any(ch.isdigit() for ch in core(token)) else shape


@lru_cache(maxsize=1 << 16)
def is_caps(token: str) -> bool:
    """ALL-CAPS word with at least two letters (`STS`, `NOT`, `(GUEST)`, `SAML/OIDC`, `DON'T`)."""
    letters = [ch for ch in core(token) if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def caps_lead(tokens: Sequence[str]) -> int:
    """Number of leading tokens forming an ALL-CAPS phrase (`API GATEWAY AUTHORIZER TRAP:`)."""
    n = 0
    letters = 0
    for i, t in enumerate(tokens):
        one_letter = core(t) in ("A", "I") and i + 1 < len(tokens) and is_caps(tokens[i + 1])
        if is_caps(t) or (n and (one_letter or (core(t) in ("&", "/", "+") and len(t) == 1))):
            n += 1
            letters += sum(ch.isalpha() for ch in t)
            if t.endswith((":", ",", ";", ".")):
                break
        else:
            break
    while n and not is_caps(tokens[n - 1]):
        n -= 1
    return n if letters >= 4 else 0


def tokens(text: str) -> list[tuple[str, int, int]]:
    """The tokens of `text` with their start and end offsets."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def word_count(text: str) -> int:
    return len(text.split())


def clip(text: str, n: int = 60) -> str:
    """`text` cut to `n` characters with an ellipsis, for a diagnostic's message."""
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
