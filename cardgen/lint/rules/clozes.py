"""The cloze rules of traps: L106 no cloze, L107 a cloze hiding most of its sentence, L109 a
cloze whose answer the rest of its card still says."""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.cards import is_bare
from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.lint.words import count_words, has_content, quoted, variants_pattern
from cardgen.model import Trap
from cardgen.text import plain, sentences


def no_cloze(ctx: Context) -> Iterator[Diagnostic]:
    """L106: a trap without a bold span, for which the builder makes no card."""
    for trap in ctx.doc.traps:
        if not trap.clozes:
            yield diag(
                trap.loc,
                "L106",
                f"trap {quoted(trap.title or trap.text, 40)} has no **bold** span, so no cloze "
                "card is made for it; bold the words to recall",
            )


def cloze_hides_sentence(ctx: Context) -> Iterator[Diagnostic]:
    """L107: one cloze hiding more than half the words of the sentence(s) it sits in."""
    for trap in ctx.doc.traps:
        text = trap.text
        bounds = sentences(text)
        for span, start, end in _located(trap):
            covered = [s for s in bounds if s[0] < end and start < s[1]] or [(0, len(text))]
            sentence = text[covered[0][0] : covered[-1][1]]
            hidden, total = count_words(span), count_words(sentence)
            if total and hidden * 2 > total:
                yield diag(
                    trap.loc,
                    "L107",
                    f"cloze {quoted(span, 40)} hides {hidden} of the {total} words of its "
                    "sentence: too little is left to cue the answer; bold fewer words",
                )


def cloze_given_away(ctx: Context) -> Iterator[Diagnostic]:
    """L109: a cloze whose answer the rest of its card (title and text, the other clozes shown)
    still says. Spans of stop words only, or a bare YES / NO, are not worth protecting."""
    for trap in ctx.doc.traps:
        for span, start, end in _located(trap):
            pattern = variants_pattern(span)
            if pattern is None or is_bare(span) or not has_content(span):
                continue
            rest = plain(f"{trap.title} . {trap.text[:start]} … {trap.text[end:]}")
            if pattern.search(rest):
                yield diag(
                    trap.loc,
                    "L109",
                    f"cloze {quoted(span, 40)} is hidden, but the rest of its card says it "
                    "again: the card gives its answer away; bold another span or none",
                )


def _located(trap: Trap) -> Iterator[tuple[str, int, int]]:
    """Each cloze span with where it sits in `trap.text` (start, end of the bold markup), in
    order. A span whose text the parser rebuilt from markup that does not round-trip to it is
    left out: there is nothing reliable to say about it."""
    for span, where in zip(trap.clozes, _span_ranges(trap)):
        if where is not None:
            yield span, where[0], where[1]


def _span_ranges(trap: Trap) -> list[tuple[int, int] | None]:
    """Where each cloze span sits in `trap.text` (start, end of the bold markup), in order;
    None where the parser's rebuilt span text is not found as written."""
    ranges: list[tuple[int, int] | None] = []
    pos = 0
    for span in trap.clozes:
        found = None
        for marker in ("**", "__"):
            k = trap.text.find(f"{marker}{span}{marker}", pos)
            if k >= 0 and (found is None or k < found[0]):
                found = (k, k + len(span) + 2 * len(marker))
        if found is None:
            k = trap.text.find(span, pos)
            found = (k, k + len(span)) if k >= 0 else None
        ranges.append(found)
        if found is not None:
            pos = found[1]
    return ranges
