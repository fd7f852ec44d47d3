"""L102 enumeration: a recalled answer that lists more items than a learner recalls as a set."""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.lint.words import count_items

MAX_ITEMS = 5  # items of one enumeration (documented in docs/lint.md#thresholds)


def too_many_items(ctx: Context) -> Iterator[Diagnostic]:
    """L102: a forward or scenario answer that lists more than MAX_ITEMS items."""
    for card in ctx.recalled():
        if card.answer.count(",") + card.answer.lower().count("<br") < MAX_ITEMS - 1:
            continue  # too few commas for more than MAX_ITEMS items (the cheap test first)
        n = count_items(card.answer)
        if n > MAX_ITEMS:
            what = f"the value for {card.subject!r}" if card.kind == "forward" else "the answer"
            yield diag(
                card.loc,
                "L102",
                f"{what} lists {n} items (limit {MAX_ITEMS}): a set is hard to recall whole; "
                "split it, or make the items that matter facts of their own",
            )
