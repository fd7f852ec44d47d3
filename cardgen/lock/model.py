"""What the lock remembers, as plain data: a note's entry and a deck's entries.

Standard library only (and `cardgen.model`, which is too). How these are written to the lock
file is `store.py`'s job; how a build is compared with them, `reconcile.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cardgen.model import NoteModel

# Bound on the mod times a (damaged or hand-edited) lock may claim, so that it cannot overflow
# SQLite's integers (note ids are mod * 1000); far above anything a build writes: mod times are
# seconds, and 10**12 is the year 33658.
MAX_MOD = 10**12


@dataclass(frozen=True)
class Entry:
    """One note as the lock remembers it (or a note type: `hash` and `mod` only)."""

    hash: str  # of the note's content as written
    mod: int  # its mod time, seconds
    model: NoteModel = "qa"
    cards: int = 1  # cards the note makes (cloze deletions); tombstones keep as many
    identity: str = ""  # the key its GUID comes from, when not its own key (an alias)
    facts: tuple[str, ...] = ()  # fact fingerprints, most specific first (`fingerprints.py`)


@dataclass
class DeckLock:
    """One deck's entries: its notes and tombstones by key, and what the deck itself keeps."""

    notes: dict[str, Entry] = field(default_factory=dict)
    removed: dict[str, Entry] = field(default_factory=dict)  # tombstones of removed notes
    source: str = ""  # the source file, relative to the lock's folder ("" in older locks)
    since: int = 0  # the clock of the deck's first build (0 in older locks)
    # GUID keys of markers dropped by --forget-removed: never given to another note, since the
    # note may still be in someone's Anki (its history would go to the other fact)
    retired: tuple[str, ...] = ()
