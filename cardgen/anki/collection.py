"""The one module that imports `anki` (the engine Anki desktop runs, an optional extra):
open a closed collection, compare built packages with it, back it up, and apply them.

Fields and scheduling follow Anki's own importer, because the package is imported by it
(`import_anki_package`, notes and note types "if newer", no scheduling): a later manual import
of the same `.apkg` agrees. What an import cannot do is done afterwards, on notes cardgen made
only (their GUIDs come from the package or the lock):

- markers of removed facts that the collection does not have are not added (an import would add
  them as card-less notes, which Check Database turns into cards);
- markers the collection has: their cards are suspended (or the notes deleted, `delete=True`);
- the user's own tags on updated notes are put back (an import replaces a note's tags): every tag
  outside `cardgen`/`cardgen::*` that this deck's package does not give to any note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.dbproxy import DBProxy
from anki.errors import DBError
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition
from anki.notes import NoteId

from cardgen.anki.package import REMOVED_TAG, PackageNote, package_notes

_IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
_SUSPENDED = -1  # cards.queue of a suspended card
_CHUNK = 500  # GUIDs per query


class CollectionBusy(Exception):
    """Anki (or another program) has the collection open."""


@dataclass(frozen=True)
class _Existing:
    nid: int
    mod: int
    mid: int
    tags: tuple[str, ...]


@dataclass
class DeckPlan:
    """What applying one deck's package does to the collection (computed without writing)."""

    deck: str
    apkg: Path
    add: list[str] = field(default_factory=list)  # GUIDs of notes the collection lacks
    update: list[str] = field(default_factory=list)  # newer in the package
    unchanged: list[str] = field(default_factory=list)  # left alone: not newer
    conflicting: list[str] = field(default_factory=list)  # note type changed in Anki: left alone
    remove: list[int] = field(default_factory=list)  # note ids of removed facts to handle
    remove_guids: list[str] = field(default_factory=list)  # their GUIDs, in the same order
    removed_before: int = 0  # removed facts already suspended and tagged by an earlier sync
    markers_skipped: list[str] = field(default_factory=list)  # markers the collection lacks
    user_tags: dict[int, tuple[str, ...]] = field(default_factory=dict)  # nid -> tags to keep
    mods: dict[str, int] = field(default_factory=dict)  # GUID -> the package's mod, to update

    @property
    def writes(self) -> bool:
        return bool(self.add or self.update or self.remove)


@dataclass
class SyncResult:
    decks: list[DeckPlan]
    backup: Path | None = None
    backup_made: bool = False  # False: Anki's latest backup already holds the collection as is
    suspended: int = 0  # notes whose cards were suspended
    deleted: int = 0  # notes deleted (delete=True)


def open_collection(path: Path) -> Collection:
    """Open a collection that nobody else has open, or raise CollectionBusy (nothing written)."""
    if not path.is_file():
        raise FileNotFoundError(path)
    try:
        return Collection(str(path))
    except DBError as exc:
        raise CollectionBusy(str(exc)) from exc


def _db(col: Collection) -> DBProxy:
    assert col.db is not None, "the collection is closed"
    return col.db


def _existing(col: Collection, guids: Iterable[str]) -> dict[str, _Existing]:
    wanted = list(guids)
    found: dict[str, _Existing] = {}
    for i in range(0, len(wanted), _CHUNK):
        part = wanted[i : i + _CHUNK]
        marks = ",".join("?" * len(part))
        for guid, nid, mod, mid, tags in _db(col).all(
            f"select guid, id, mod, mid, tags from notes where guid in ({marks})", *part
        ):
            found[str(guid)] = _Existing(int(nid), int(mod), int(mid), tuple(str(tags).split()))
    return found


def _fully_suspended(col: Collection, nids: Sequence[int]) -> set[int]:
    """The notes among `nids` without a card left to study (all suspended, or none at all)."""
    active: set[int] = set()
    for i in range(0, len(nids), _CHUNK):
        part = list(nids[i : i + _CHUNK])
        marks = ",".join("?" * len(part))
        active.update(
            int(nid)
            for nid in _db(col).list(
                f"select distinct nid from cards where nid in ({marks}) and queue != {_SUSPENDED}",
                *part,
            )
        )
    return set(nids) - active


def _owned(tag: str, deck_tags: frozenset[str]) -> bool:
    low = tag.casefold()
    return low == "cardgen" or low.startswith("cardgen::") or low in deck_tags


def plan_deck(
    col: Collection, deck: str, apkg: Path, retired: Iterable[str] = (), delete: bool = False
) -> DeckPlan:
    """Compare one package (and the GUIDs of markers the lock has forgotten) with the
    collection: which notes are added, updated, left alone and removed."""
    notes = package_notes(apkg)
    retired = [g for g in retired if g not in notes]
    have = _existing(col, [*notes, *retired])
    deck_tags = frozenset(t.casefold() for n in notes.values() for t in n.tags)
    plan = DeckPlan(deck, apkg)
    removed: list[tuple[PackageNote | None, _Existing]] = []
    for guid, note in notes.items():
        old = have.get(guid)
        if note.removed:
            if old is None:
                plan.markers_skipped.append(guid)
            else:
                removed.append((note, old))
        elif old is None:
            plan.add.append(guid)
        elif old.mid != note.mid:
            plan.conflicting.append(guid)
        elif note.mod > old.mod:
            plan.update.append(guid)
            plan.mods[guid] = note.mod
        else:
            plan.unchanged.append(guid)
        if old is not None:
            mine = tuple(t for t in old.tags if not _owned(t, deck_tags))
            if mine:
                plan.user_tags[old.nid] = mine
    removed += [(None, have[g]) for g in retired if g in have]
    done = set() if delete else _fully_suspended(col, [old.nid for _, old in removed])
    guid_of = {e.nid: g for g, e in have.items()}
    for marker, old in removed:
        tagged = REMOVED_TAG in old.tags
        newer = marker is not None and marker.mod > old.mod
        if old.nid in done and tagged and not newer:
            plan.removed_before += 1
        else:
            plan.remove.append(old.nid)
            plan.remove_guids.append(guid_of[old.nid])
    return plan


def backup(col: Collection, folder: Path) -> tuple[Path | None, bool]:
    """Anki's own backup (a `.colpkg` in `folder`): (its path, True) when made now; when Anki
    made none because the collection has not changed since its last backup there, (that
    backup's path, False)."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
    made = sorted(set(folder.iterdir()) - before)
    if made:
        return made[-1], True
    latest = sorted(folder.glob("*.colpkg"), key=lambda p: p.stat().st_mtime)
    return (latest[-1] if latest else None), False


def _import(col: Collection, apkg: Path) -> None:
    options = ImportAnkiPackageOptions(
        with_scheduling=False, update_notes=_IF_NEWER, update_notetypes=_IF_NEWER
    )
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=options))


def _set_tags(col: Collection, nid: int, tags: Sequence[str]) -> None:
    """A note's tags, its mod time kept (so that "if newer" still compares the package's time
    with the time the package gave it); usn -1 sends the change with the next AnkiWeb sync."""
    text = f" {' '.join(tags)} " if tags else ""
    _db(col).execute("update notes set tags = ?, usn = -1 where id = ?", text, nid)


def _note_tags(col: Collection, nid: int) -> tuple[str, ...]:
    return tuple(str(_db(col).scalar("select tags from notes where id = ?", nid) or "").split())


def apply_deck(col: Collection, plan: DeckPlan, delete: bool) -> tuple[int, int]:
    """Import the package, then do what the import cannot; (suspended, deleted) notes."""
    _import(col, plan.apkg)
    # a note Anki did not update (its note type's fields or templates were changed in Anki) is
    # reported as left alone, as Anki's own import log has it
    after = _existing(col, plan.update)
    skipped = [g for g in plan.update if g not in after or after[g].mod != plan.mods[g]]
    if skipped:
        plan.update = [g for g in plan.update if g not in skipped]
        plan.conflicting += skipped
    if plan.markers_skipped:
        added = _existing(col, plan.markers_skipped)
        col.remove_notes([NoteId(e.nid) for e in added.values()])
    for nid, mine in plan.user_tags.items():
        tags = _note_tags(col, nid)
        missing = [t for t in mine if t not in tags]
        if missing:
            _set_tags(col, nid, [*tags, *missing])
    if not plan.remove:
        return 0, 0
    if delete:
        col.remove_notes([NoteId(n) for n in plan.remove])
        return 0, len(plan.remove)
    for nid in plan.remove:
        tags = _note_tags(col, nid)
        if REMOVED_TAG not in tags:
            _set_tags(col, nid, [*tags, REMOVED_TAG])
    cids = [c for nid in plan.remove for c in col.card_ids_of_note(NoteId(nid))]
    if cids:
        col.sched.suspend_cards(cids)
    return len(plan.remove), 0


def schema_mod(col: Collection) -> int:
    """The collection's schema modification time: when it moves, AnkiWeb needs a full sync."""
    return int(_db(col).scalar("select scm from col"))
