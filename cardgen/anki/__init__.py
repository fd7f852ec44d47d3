"""`cardgen sync`: built decks applied straight to an Anki collection (the optional extra
`cardgen[anki]`).

- `profiles`: where Anki keeps a profile's collection (standard library only);
- `package`: a built `.apkg`'s notes, read back (standard library only);
- `collection`: the only module that imports `anki`: open, compare, back up, apply.

`sync_decks` is the whole run: open the collection (refused when it is open elsewhere), compare
every package with it, back it up once, apply, close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.anki.profiles import ProfileError, base_folder, find_collection

if TYPE_CHECKING:
    from cardgen.anki.collection import SyncResult

__all__ = [
    "DeckPackage",
    "ProfileError",
    "SyncUnavailable",
    "base_folder",
    "find_collection",
    "sync_decks",
]


class SyncUnavailable(Exception):
    """The `anki` package is not installed (`pip install 'cardgen[anki]'`)."""


@dataclass(frozen=True)
class DeckPackage:
    deck: str  # the deck's id
    apkg: Path
    retired: tuple[str, ...] = ()  # GUIDs of markers the lock forgot (--forget-removed)


def backup_folder(collection: Path) -> Path:
    """Where Anki desktop keeps a profile's backups: `<profile folder>/backups`."""
    return collection.parent / "backups"


def sync_decks(
    collection: Path,
    decks: Sequence[DeckPackage],
    *,
    dry_run: bool = False,
    delete_removed: bool = False,
    make_backup: bool = True,
) -> SyncResult:
    """Compare (and unless `dry_run`, apply) `decks` to the collection at `collection`.

    Raises CollectionBusy (nothing written) when the collection is open elsewhere."""
    try:
        from cardgen.anki import collection as anki_col
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise SyncUnavailable(str(exc)) from exc

    col = anki_col.open_collection(collection)
    try:
        plans = [anki_col.plan_deck(col, d.deck, d.apkg, d.retired, delete_removed) for d in decks]
        result = anki_col.SyncResult(plans)
        if dry_run or not any(p.writes for p in plans):
            return result
        if make_backup:
            result.backup, result.backup_made = anki_col.backup(col, backup_folder(collection))
        for plan in plans:
            suspended, deleted = anki_col.apply_deck(col, plan, delete_removed)
            result.suspended += suspended
            result.deleted += deleted
        return result
    finally:
        col.close()


def collection_busy(exc: BaseException) -> bool:
    """Whether `exc` says the collection is open elsewhere."""
    from cardgen.anki.collection import CollectionBusy

    return isinstance(exc, CollectionBusy)


def retired_guids(keys: Iterable[str]) -> tuple[str, ...]:
    from cardgen.writers.apkg import guid

    return tuple(guid(k) for k in keys)
