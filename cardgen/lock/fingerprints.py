"""Fingerprints: what identifies a fact when its key changed (a renamed attribute, subject,
trap title or reworded scenario), and what a deck teaches whatever its notes' keys.

A card's fingerprints are digests of what it shows, most specific first, none built from a
label that a rename changes. An entry starting with `GUARD` never identifies a note alone: it
is what a rewording must keep (the words a trap hides, a scenario's answer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from cardgen.lock.model import DeckLock
from cardgen.model import Card, Comparison, Document, Loc, Row, Trap

GUARD = "g:"  # a fact entry that never identifies a note alone; a rewording must keep it


def digest(*parts: object) -> str:
    """A short digest of JSON-able parts (16 hex digits)."""
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def fact_fingerprints(doc: Document, cards: Sequence[Card]) -> dict[str, tuple[str, ...]]:
    """Per card key, fingerprints from most to least specific, none built from a label that a
    rename changes (attribute or subject names, trap titles, scenario prompts):

    - forward / identify: the row's values and tip, the subject's column; then without the tip;
    - compare: the row's values and tip; then the values alone;
    - cloze: the trap's text; and a guard: what its blanks hide (`Trap.clozes`);
    - scenario: no fingerprint (a scenario is its question: a new question with an old answer
      is a new scenario), only a guard: its answer (a rewording keeps it).

    A card is matched with what it was made from by its `loc`, as `cardgen.cards` sets it."""
    rows: dict[Loc, tuple[Comparison, Row]] = {
        row.loc: (comp, row) for comp in doc.comparisons for row in comp.rows
    }
    traps: dict[Loc, Trap] = {trap.loc: trap for trap in doc.traps}
    out: dict[str, tuple[str, ...]] = {}
    for card in cards:
        kind = card.kind
        if kind in ("forward", "identify", "compare") and card.loc in rows:
            comp, row = rows[card.loc]
            if kind == "compare":
                column: int | None = None
            else:
                names = [s.name for s in comp.subjects]
                column = names.index(card.subject) if card.subject in names else -1
            out[card.key] = (
                digest(kind, column, row.values, row.tip),
                digest(kind, column, row.values),
            )
        elif kind == "cloze":
            trap = traps.get(card.loc)
            blanks = list(trap.clozes) if trap is not None else []
            out[card.key] = (digest(kind, card.prompt), GUARD + digest("blanks", blanks))
        elif kind == "scenario":
            out[card.key] = (GUARD + digest("answer", card.answer),)
        else:
            out[card.key] = ()
    return out


def guards(facts: tuple[str, ...]) -> tuple[str, ...]:
    """The guards among a note's fact entries."""
    return tuple(f for f in facts if f.startswith(GUARD))


def note_fact(first: str, hash_: str) -> str:
    """A note's first fact fingerprint, or its content hash when it has none (a guard is none)."""
    return first if first and not first.startswith(GUARD) else "h:" + hash_


def deck_facts(deck: DeckLock) -> frozenset[str]:
    """What a deck's notes teach, whatever their keys: each note's most specific fingerprint
    (its content hash when it has none). Two decks that share most of these are one deck."""
    return frozenset(note_fact(e.facts[0] if e.facts else "", e.hash) for e in deck.notes.values())
