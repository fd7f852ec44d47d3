"""Traps: what marks a paragraph as a trap, its lead-in, and the terms to bold in it.

A trap-like paragraph is led by an ALL-CAPS phrase (`NEVER use …`, `API GATEWAY TRAP: …`) or a
short lead-in ending in a colon or a dash (`Don't confuse: …`); the lead-in becomes the trap's
title. The bold spans (the cloze card's blanks) are the words the page shouts (ALL-CAPS words
that the page also writes in lower case), else a mention of a subject or a quantity, never
words the rest of the card gives away.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cardgen.importer.evidence import Corpus
from cardgen.importer.state import TrapParts
from cardgen.importer.words import (
    CLOSE_PUNCT,
    OPEN_PUNCT,
    QUANTITY,
    caps_lead,
    core,
    is_caps,
    tokens,
    wordset,
)


def trap_parts(s: str, corpus: Corpus) -> TrapParts | None:
    """Title and text of a trap-like paragraph, or None when nothing marks it as a trap."""
    parts = _trap_lead(s, corpus)
    if parts is None or not re.search(r"\w", s):
        return None
    if parts.sep and not (re.search(r"\w", parts.title) and re.search(r"\w", parts.text)):
        return TrapParts("", "", s, 0)  # a lead-in with nothing after it is no title
    return parts


def _enclosed(s: str, end: int) -> bool:
    """Whether position `end` of `s` is inside brackets or a code span (`(clusterIP: None)`):
    a colon there ends no lead-in."""
    before = s[:end]
    depth = 0
    for ch in before:
        depth = max(0, depth + (ch in "([{") - (ch in ")]}"))
    return depth > 0 or before.count("`") % 2 == 1


def _trap_lead(s: str, corpus: Corpus) -> TrapParts | None:
    toks = tokens(s)
    words = [t for t, _, _ in toks]
    caps = caps_lead(words)
    if caps:
        last = words[caps - 1]
        if last.endswith(":") and not _enclosed(s, toks[caps - 1][2]):
            return TrapParts(s[: toks[caps - 1][2] - 1].strip(), ":", s[toks[caps - 1][2] :], 0)
        if caps < len(words) and words[caps] in ("—", "–", "-", "--"):
            rest = s[toks[caps][2] :] if caps + 1 < len(words) else ""
            return TrapParts(s[: toks[caps - 1][2]].strip(), "—", rest, 0)
        emphatic = any(shouted(w, corpus) for w in words[:caps])
        if emphatic and (caps >= 2 or len(core(words[0])) >= 4):
            return TrapParts("", "", s, caps)
    for i, w in enumerate(words[:6]):
        if w.endswith(":") and not re.search(r"\d:\d", w) and not _enclosed(s, toks[i][2]):
            if any(re.search(r"[.?!]$", x) for x in words[:i]):
                break
            return TrapParts(s[: toks[i][2] - 1].strip(), ":", s[toks[i][2] :], 0)
        if w in ("—", "–") and 1 <= i <= 4:
            lead = words[:i]
            if any(re.search(r"[.?!,;]$", x) for x in lead):
                break
            return TrapParts(s[: toks[i - 1][2]].strip(), "—", s[toks[i][2] :], 0)
    return None


def shouted(word: str, corpus: Corpus) -> bool:
    """An ordinary word written in capitals for emphasis, not an acronym: the page also writes
    it in lower case (`ONLY`, `not`), or it is too long for an acronym (`VISIBILITY`)."""
    word_core = core(word)
    letters = sum(ch.isalpha() for ch in word_core)
    return letters >= 2 and (word_core.lower() in corpus.lower_words or letters >= 6)


def emphasis_spans(text: str, corpus: Corpus, lead_caps: int) -> list[tuple[int, int]]:
    """Character spans of the terms the page shouts: runs of ALL-CAPS words that are ordinary
    words written in capitals (the page also uses them in lower case), not bare acronyms."""
    toks = tokens(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if not is_caps(toks[i][0]):
            i += 1
            continue
        j = i
        while j < len(toks) and (is_caps(toks[j][0]) or (j > i and toks[j][0] in ("&", "/", "+"))):
            j += 1
            if toks[j - 1][0].endswith((",", ";", ":", ".", "?", "!")):
                break
        while j > i and not is_caps(toks[j - 1][0]):
            j -= 1
        run = [t for t, _, _ in toks[i:j]]
        emphatic = i < lead_caps or any(shouted(w, corpus) for w in run)
        if emphatic:
            a = toks[i][1] + (len(toks[i][0]) - len(toks[i][0].lstrip(OPEN_PUNCT)))
            last = toks[j - 1]
            b = last[2] - (len(last[0]) - len(last[0].rstrip(CLOSE_PUNCT)))
            if b > a:
                spans.append((a, b))
        i = max(j, i + 1)
    return spans


def key_term_candidates(text: str, subjects: Sequence[str]) -> list[tuple[int, int]]:
    """Spans that could be a trap's cloze when the page shouts nothing: mentions of a subject
    (its name, a tail of it like `Event Hubs` or an acronym-like `SQS`, its singular `Identity
    Pool`, its initials `NLB`), earliest first; then numbers with a unit (`256 KB`)."""
    patterns: list[str] = []
    for name in dict.fromkeys(subjects):
        words = name.split()
        for k in range(len(words)):
            tail = words[k:]
            if k and len(tail) == 1 and not re.search(r"[A-Z0-9]", tail[0][1:]):
                continue  # a lone common word of a longer name (`Pools`) names nothing
            phrase = " ".join(tail)
            if len(phrase) >= 3:
                patterns.append(
                    re.escape(phrase[:-1]) + "s?" if phrase.endswith("s") else re.escape(phrase)
                )
        initials = "".join(w[0] for w in words if w[:1].isupper())
        if len(initials) >= 2 and len(words) >= 2:
            patterns.append(re.escape(initials))
    found = {
        (m.start(), m.end())
        for pat in patterns
        for m in re.finditer(r"(?<![\w-])(?:" + pat + r")(?![\w-])", text)
    }
    names = sorted(found, key=lambda sp: (sp[0], sp[0] - sp[1]))
    return names + [(m.start(), m.end()) for m in QUANTITY.finditer(text)]


def given_away(text: str, span: tuple[int, int], title: str) -> bool:
    """Whether the rest of the card (title, text around the span) says the span's words again,
    so that hiding them teaches nothing (the lint rule L109 reports such clozes)."""
    words = re.findall(r"\w+", text[span[0] : span[1]].lower())
    if not words:
        return True
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    parts = [re.escape(w) for w in words[:-1]] + [re.escape(last) + "s?"]
    pattern = r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)"
    rest = f"{title} . {text[: span[0]]} … {text[span[1] :]}"
    return re.search(pattern, rest, re.IGNORECASE) is not None


def trap_spans(
    text: str, title: str, lead_caps: int, corpus: Corpus, subjects: Sequence[str]
) -> tuple[list[tuple[int, int]], str]:
    """The spans to bold in a trap's text, and why when the importer proposes them ("" for
    the terms the page shouts itself): the shouted terms the title and text do not give away;
    else a proposal (`proposed_span`); none: no cloze card."""
    spans = [
        sp for sp in emphasis_spans(text, corpus, lead_caps) if not given_away(text, sp, title)
    ]
    if spans:
        return spans, ""
    found = proposed_span(text, title, subjects)
    return ([found[0]], found[1]) if found else ([], "")


_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*(?:\s?%|\s?[A-Za-z]{1,8}\b)?")
_STOP = wordset(
    """about above after again against although always because before being below between
    cannot could does doing during either every having other their there these those though
    through under until which while would should still without within"""
)


def proposed_span(
    text: str, title: str, subjects: Sequence[str]
) -> tuple[tuple[int, int], str] | None:
    """A term to bold in a trap the page emphasises nothing in, and why: the first subject
    it names (or its initials), else a number or limit (`256 KB`, `1916`, `5%`), else a word
    naming a subject in lower case (`covalent`), else its longest content word. None when the
    trap has no word the rest of the card does not repeat."""
    for sp in key_term_candidates(text, subjects):
        if not given_away(text, sp, title):
            why = "a number or limit" if text[sp[0]].isdigit() else "the subject it names"
            return sp, why
    for m in _NUMBER.finditer(text):
        sp = (m.start(), m.end())
        if not given_away(text, sp, title):
            return sp, "a number or limit"
    firsts = {n.split()[0].lower() for n in subjects if n and len(n.split()[0]) >= 4}
    words = [(m.start(), m.end()) for m in re.finditer(r"[^\W\d_][\w'-]*[^\W_]", text)]
    for sp in words:
        if text[sp[0] : sp[1]].lower() in firsts and not given_away(text, sp, title):
            return sp, "the subject it names"
    bracketed = [(m.start(), m.end()) for m in re.finditer(r"\([^()]*\)", text)]
    content = [
        sp
        for sp in words
        if sp[1] - sp[0] >= 5
        and not any(a <= sp[0] < b for a, b in bracketed)
        and "/" not in text[max(0, sp[0] - 1) : sp[1] + 1]
        and text[sp[0] : sp[1]].lower() not in _STOP
        and not given_away(text, sp, title)
    ]
    if not content:
        return None
    best = max(content, key=lambda sp: (sp[1] - sp[0], -sp[0]))
    return best, "the decisive term"
