"""The Anki writer: a deck's cards -> one `.apkg`, reconciled with the lock.

`ApkgWriter.write` turns cards into notes (`notes.py`), compares them with the deck's entries in
the lock (`cardgen.lock.reconcile`: which notes are new, changed, unchanged, renamed or removed,
and so which GUID and mod time each gets), adds a marker note for every removed fact, and packs
it all (`pack.py`, the only module that imports genanki). It returns the package, the counts
the build reports, and the deck's new lock entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from cardgen.cards import study_order
from cardgen.lock import DeckSource, Spec, deck_since, fact_fingerprints, forget_removed, reconcile
from cardgen.model import Card
from cardgen.writers.apkg.notes import (
    REMOVED_TAG,
    NoteContent,
    anki_tag,
    media_names,
    note_content,
    note_contents,
    source_html,
    tombstone_content,
)
from cardgen.writers.apkg.pack import (
    CLOZE_FIELDS,
    CLOZE_MODEL_ID,
    QA_FIELDS,
    QA_MODEL_ID,
    PackNote,
    css,
    deck_id,
    guid,
    models_hash,
    package,
)
from cardgen.writers.base import DeckInput, DeckOutput, NoteCounts

__all__ = [
    "CLOZE_FIELDS",
    "CLOZE_MODEL_ID",
    "QA_FIELDS",
    "QA_MODEL_ID",
    "REMOVED_TAG",
    "ApkgWriter",
    "NoteContent",
    "PackNote",
    "anki_tag",
    "css",
    "deck_id",
    "guid",
    "media_names",
    "models_hash",
    "note_content",
    "note_contents",
    "package",
    "source_html",
    "tombstone_content",
]


@dataclass
class ApkgWriter:
    previous: DeckSource  # the decks of the lock the build read
    clock: int  # mod time of new and changed notes (`lock.build_clock`)
    model_mod: int  # mod time of the note types (the lock's `models` entry)
    forget_removed: bool = False  # drop the markers of facts removed by earlier builds
    scratch: Path | None = None  # folder for the SQLite scratch file (None: the temp folder)

    format: ClassVar[str] = "apkg"
    uses_media: ClassVar[bool] = True

    def file_names(self, doc_id: str) -> list[str]:
        return [f"{doc_id}.apkg"]

    def write(self, deck: DeckInput) -> DeckOutput:
        doc, cards = deck.doc, deck.cards
        names = media_names(deck.media)
        contents = note_contents(cards, doc, names)
        facts = fact_fingerprints(doc, cards)
        specs = [Spec(c.key, c.hash, c.model, c.cards, facts.get(c.key, ())) for c in contents]
        previous = self.previous.deck(doc.id)
        plan = reconcile(specs, previous, self.clock)
        plan.deck.since = deck_since(previous, self.clock)
        out = DeckOutput(counts=NoteCounts())
        assert out.counts is not None
        counts = out.counts
        if self.forget_removed:
            counts.forgotten = forget_removed(plan)
            out.fixpoint = not plan.removed_now
        notes = [PackNote(c, d.identity, d.mod) for c, d in zip(contents, plan.notes)]
        # The new-card queue follows the notes' order: cards of one fact far apart.
        notes = [notes[i] for i in study_order(cards, [c.cards for c in contents])]
        for key, entry in plan.tombstones:
            tomb = tombstone_content(key, entry.model, entry.cards, doc)
            notes.append(PackNote(tomb, entry.identity or key, entry.mod, cardless=True))
        used = {names[im.ref] for im in doc.images if _referenced(im.ref, cards)}
        packed = {names[ref]: data for ref, data in deck.media.items() if names[ref] in used}
        counts.cards = sum(c.cards for c in contents)
        del contents, specs
        out.files.append(
            (f"{doc.id}.apkg", package(doc, notes, packed, self.model_mod, self.scratch))
        )
        counts.notes = len(plan.notes)
        counts.new = plan.count("new")
        counts.changed = plan.count("changed")
        counts.unchanged = plan.count("unchanged")
        counts.removed_keys = plan.removed_now
        counts.renamed = plan.renamed
        counts.tombstones = len(plan.tombstones)
        out.lock = plan.deck
        return out


def _referenced(ref: str, cards: Sequence[Card]) -> bool:
    """Anki imports only media that notes reference; pack only those."""
    return any(ref in t for c in cards for t in (c.prompt, c.answer, c.extra))
