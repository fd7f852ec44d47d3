"""L104 a value that names its own subject where masking cannot hide it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cardgen.cards import identify_reason, names_subject
from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.model import Card, Comparison, Loc
from cardgen.text import plain


def names_own_subject(ctx: Context) -> Iterator[Diagnostic]:
    """L104: a value that names its own subject where masking cannot help.

    Either the value is little more than the name (masked, nothing is left: the identify card is
    not made and the forward card answers with the name its prompt shows), or the masked
    identify prompt still holds a word that only that subject's name has ("SQS" in a value of
    "Amazon SQS", whose mask covers the whole name only)."""
    for comp in ctx.doc.comparisons:
        yield from _in_comparison(comp, ctx.identify)


def _in_comparison(comp: Comparison, identify: dict[tuple[Loc, str], Card]) -> Iterator[Diagnostic]:
    """L104 for one table; `identify` holds the identify cards by (row location, subject)."""
    giveaways = [_giveaway_words(comp, i) for i in range(len(comp.subjects))]
    for row in comp.rows:
        for i, subject in enumerate(comp.subjects):
            value = row.values[i]
            if not value.strip():
                continue
            card = identify.get((row.loc, subject.name))
            if card is None:
                if not names_subject(value, subject):
                    continue  # no identify card and no name: nothing to give away
                if identify_reason(row, i, comp.subjects).startswith("the value is little more"):
                    yield diag(
                        row.loc,
                        "L104",
                        f"the value for {subject.name!r} in row {row.attribute!r} is little "
                        "more than its own subject's name: no identify card can be made and "
                        "the forward card gives its answer away; say what is specific instead",
                    )
                continue
            masked = plain(card.prompt)
            hits = [w for w in giveaways[i] if _found_word(masked, w)]
            if hits:
                yield diag(
                    row.loc,
                    "L104",
                    f"the value for {subject.name!r} in row {row.attribute!r} says "
                    f"{hits[0]!r}, which masking leaves visible and which names its own "
                    "subject: the identify card gives itself away; reword the value",
                )


def _name_words(name: str) -> list[str]:
    return re.findall(r"[\w'’.-]*\w", name)


def _giveaway_words(comp: Comparison, index: int) -> list[str]:
    """Name-like words of subject `index` that no other subject's name shares -- acronyms and
    product names (`SQS`, `DynamoDB`, `EC2`) plus the initials of a name of three or more words:
    seeing one in a value points at that subject, and masking (which covers whole names and
    their multi-word tails) leaves it visible. Ordinary words (`User`, `Identity`) are left out:
    title-case phrases such as `User Migration` use them without naming the subject."""
    own = comp.subjects[index].name
    others = {
        w.lower() for j, s in enumerate(comp.subjects) if j != index for w in _name_words(s.name)
    }
    parts = _name_words(own)
    words = [w for w in parts if _is_proper(w) and w.lower() not in others]
    for start in range(len(parts)):
        tail = parts[start:]
        if len(tail) >= 3:
            acronym = "".join(w[0] for w in tail).upper()
            if acronym.lower() not in others:
                words.append(acronym)
    return list(dict.fromkeys(words))


def _is_proper(word: str) -> bool:
    """A word whose capitals are not sentence case (SQS, DynamoDB) or that holds a digit (EC2)."""
    return len(word) >= 2 and (
        any(ch.isupper() for ch in word[1:]) or any(ch.isdigit() for ch in word)
    )


def _found_word(text: str, word: str) -> bool:
    """`word` (or its plural) in `text`, case-sensitive and as a whole word."""
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"s?(?!\w)")
    return pattern.search(text) is not None
