"""L101 answer too long: a recalled answer or a cloze with more words than one recall holds."""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.lint.words import count_words, quoted

# Thresholds (documented in docs/lint.md#thresholds; change them there too).
MAX_ANSWER_WORDS = 20  # forward and scenario answers
MAX_CLOZE_WORDS = 6  # one cloze deletion


def answer_too_long(ctx: Context) -> Iterator[Diagnostic]:
    """L101: a forward or scenario answer over MAX_ANSWER_WORDS words, or a cloze over
    MAX_CLOZE_WORDS. Identify answers are subject names; compare cards repeat the values that
    the forward cards already check."""
    for card in ctx.recalled():
        n = count_words(card.answer)
        if n > MAX_ANSWER_WORDS:
            what = (
                f"the value for {card.subject!r}"
                if card.kind == "forward"
                else f"the answer to scenario {quoted(card.prompt, 40)}"
            )
            yield diag(
                card.loc,
                "L101",
                f"{what} has {n} words (limit {MAX_ANSWER_WORDS}): too long to recall in one "
                "go; split it into smaller facts or keep only what must be recalled",
            )
    for trap in ctx.doc.traps:
        for span in trap.clozes:
            n = count_words(span)
            if n > MAX_CLOZE_WORDS:
                yield diag(
                    trap.loc,
                    "L101",
                    f"cloze {quoted(span, 40)} has {n} words (limit {MAX_CLOZE_WORDS}): "
                    "too long to recall in one go; bold only the key words",
                )
