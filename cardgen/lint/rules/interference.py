"""L103 interference: two cards whose prompts a learner cannot tell apart at a glance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.lint.words import folded, light, quoted
from cardgen.model import Card, Loc


def same_prompts(ctx: Context) -> Iterator[Diagnostic]:
    """L103: two cards whose prompts a learner cannot tell apart at a glance: the same words
    (`light`), or the same once case, punctuation, plurals, articles and prepositions, and
    common abbreviations are folded (`folded`).

    Not compared: the forward cards of one row, whose prompts differ only by the subject they
    name, by design; compare cards, whose prompts are the attribute plus the table's subjects
    (their rows' forward cards are compared already). Identify cards of one row are compared (two
    values that read the same but answer different subjects). One warning per pair of facts."""
    cards = ctx.cards
    seen: set[tuple[Loc, Loc]] = set()
    for group in _prompt_groups(cards):
        for k, b in enumerate(group):
            for a in group[:k]:
                ca, cb = cards[a], cards[b]
                if ca.loc == cb.loc and not (ca.kind == cb.kind == "identify"):
                    continue
                first, second = sorted((ca, cb), key=lambda c: (c.loc, c.key))
                if (first.loc, second.loc) in seen:
                    continue
                seen.add((first.loc, second.loc))
                yield _warning(first, second, same=light(ca.prompt) == light(cb.prompt))
                break  # one warning per card: against the first prompt it repeats


def _prompt_groups(cards: Sequence[Card]) -> list[list[int]]:
    """The indexes of the cards (compare cards left out) grouped by their folded prompt.

    A prompt that folding shrinks to less than half its words (`Which is fast?` -> `fast`) is too
    short to judge by what is left: it only matches a prompt of the same words."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, card in enumerate(cards):
        if card.kind == "compare":
            continue
        words = light(card.prompt)
        key = folded(card.prompt)
        if key and 2 * len(key) < len(words):
            key = ("=",) + words  # only the same words match (`=` is never a word)
        if key:
            groups[key].append(i)
    return list(groups.values())


def _warning(first: Card, second: Card, same: bool) -> Diagnostic:
    """The L103 warning at the later card `second`, naming the earlier `first`."""
    where = f"line {first.loc.line}" if first.loc.line != second.loc.line else "this line"
    return diag(
        second.loc,
        "L103",
        f"{second.kind} prompt {quoted(second.prompt)} is "
        f"{'the same as' if same else 'nearly the same as'} the {first.kind} "
        f"prompt {quoted(first.prompt)} on {where}: learners cannot tell the two "
        "cards apart; make the prompts differ, or merge the facts",
    )
