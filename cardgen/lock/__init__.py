"""The lock file (`decks/cardgen.lock`): what keeps Anki's review history alive between builds.

For every note the lock remembers its key, the hash of its content as written, its mod time,
the key its GUID comes from (its *identity*, which differs from the key after a rename) and
fingerprints of the fact it shows; per deck its tombstones, its source and its first build;
and the note types' entry. This package's public face:

- `model`: the data (`Entry`, `DeckLock`);
- `store`: the file's layout, the only module that knows it (`Lock`, `read`, `chunks`, `dumps`,
  `DeckStore` for worker processes);
- `fingerprints`: what identifies a fact when its key changed (`fact_fingerprints`);
- `reconcile`: a build's notes against the lock (`reconcile`, one function per phase), and
  the build clock.
"""

from __future__ import annotations

from cardgen.lock.fingerprints import GUARD, deck_facts, digest, fact_fingerprints
from cardgen.lock.model import MAX_MOD, DeckLock, Entry
from cardgen.lock.reconcile import (
    Decision,
    Plan,
    Spec,
    Status,
    build_clock,
    deck_since,
    forget_removed,
    model_entry,
    reconcile,
)
from cardgen.lock.store import (
    LOCK_FORMAT,
    LOCK_NAME,
    LOCK_VERSION,
    MAX_CARDS,
    RESET_HINT,
    DeckSource,
    DeckStore,
    Lock,
    LockError,
    chunks,
    deck_digest,
    dumps,
    load,
    parse,
    read,
)

__all__ = [
    "GUARD",
    "LOCK_FORMAT",
    "LOCK_NAME",
    "LOCK_VERSION",
    "MAX_CARDS",
    "MAX_MOD",
    "RESET_HINT",
    "DeckLock",
    "DeckSource",
    "DeckStore",
    "Decision",
    "Entry",
    "Lock",
    "LockError",
    "Plan",
    "Spec",
    "Status",
    "build_clock",
    "chunks",
    "deck_digest",
    "deck_facts",
    "deck_since",
    "digest",
    "dumps",
    "fact_fingerprints",
    "forget_removed",
    "load",
    "model_entry",
    "parse",
    "read",
    "reconcile",
]
