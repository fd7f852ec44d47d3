"""L110: a cloze that can be guessed from its own sentence: it hides a subject's name, and the
rest of the sentence names another subject as its contrast ("ONLY on **User Pools**, not Identity
Pools"), so the learner answers by elimination, not from memory."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cardgen.cards import mask_pattern
from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.lint.rules.clozes import _located
from cardgen.lint.words import quoted
from cardgen.text import plain, sentences

_CONTRAST = re.compile(
    r"(?<!\w)(?:not|unlike|instead\s+of|rather\s+than|vs\.?|versus|without|nor)(?!\w)",
    re.IGNORECASE,
)


def cloze_guessable(ctx: Context) -> Iterator[Diagnostic]:
    """L110: a cloze naming a subject whose sentence names another subject, either with a
    contrast word (`not`, `unlike`, `instead of`, `rather than`, `vs`, `without`, `nor`) or by
    naming every subject but the hidden one (with two subjects, the blank is the other)."""
    subjects = list(dict.fromkeys(s.name for c in ctx.doc.comparisons for s in c.subjects))
    if len(subjects) < 2:
        return
    for trap in ctx.doc.traps:
        bounds = sentences(trap.text)
        for span, start, end in _located(trap):
            hidden = {s for s in subjects if _names(span, s)}
            if not hidden:
                continue
            around = [b for b in bounds if b[0] < end and start < b[1]] or [(0, len(trap.text))]
            before = trap.text[around[0][0] : start]
            after = trap.text[end : around[-1][1]]
            rest = plain(f"{before} … {after}")
            named = {s: m for s in subjects if s not in hidden and (m := _named(rest, s))}
            if not named:
                continue
            if _CONTRAST.search(rest) or set(named) | hidden == set(subjects):
                other = named[sorted(named)[0]]
                yield diag(
                    trap.loc,
                    "L110",
                    f"cloze {quoted(span, 40)} hides a subject's name, but its sentence names "
                    f"{quoted(other, 40)} as the other one: the blank can be guessed by "
                    "elimination; hide what the subject does instead, or reword the sentence",
                )


def _names(text: str, subject: str) -> bool:
    return bool(_named(text, subject))


def _named(text: str, subject: str) -> str:
    """How `text` names `subject` ("User Pool" for "Cognito User Pools"), or ""."""
    pattern = mask_pattern((subject,))
    m = pattern.search(plain(text)) if pattern else None
    return m[0] if m else ""
