"""What every lint rule reads: one document, the cards built from it, and views of them.

A rule is a function `(ctx) -> Iterable[Diagnostic]`; views that more than one rule could use are
computed here once per document, on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from cardgen.model import Card, CardKind, Document, Loc

# Cards whose whole answer is recalled: the rules on answers (L101, L102) read these. Identify
# answers are subject names; compare cards repeat the values the forward cards already check.
RECALLED: tuple[CardKind, ...] = ("forward", "scenario")


@dataclass(frozen=True)
class Context:
    """One document and its cards, as the runner hands them to each rule."""

    doc: Document
    cards: Sequence[Card]

    def recalled(self) -> Iterator[Card]:
        """The cards whose answers are recalled whole (`RECALLED`), in order."""
        return (c for c in self.cards if c.kind in RECALLED)

    @cached_property
    def identify(self) -> dict[tuple[Loc, str], Card]:
        """The identify cards by (row location, subject name)."""
        return {(c.loc, c.subject): c for c in self.cards if c.kind == "identify"}
