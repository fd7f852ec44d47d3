"""What `sync` and `watch --sync` say, as lines (the command line prints them), and the
packages of a build with what the lock knows of them. No `anki` import here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen import lock as lockmod
from cardgen.anki import DeckPackage, collection_busy, retired_guids, sync_decks
from cardgen.fsutil import display_path

if TYPE_CHECKING:
    from cardgen.anki.collection import SyncResult
    from cardgen.build import BuildResult


def _lock(output: Path) -> lockmod.Lock | None:
    path = output / lockmod.LOCK_NAME
    lock, _ = lockmod.read(path, str(path))
    return lock


def deck_packages(result: BuildResult, output: Path) -> list[DeckPackage]:
    """The built decks' packages, with the GUIDs of markers their lock has forgotten."""
    lock = _lock(output)
    packages = []
    for deck in result.decks:
        for path in deck.outputs:
            if path.suffix == ".apkg" and path.is_file():
                entry = lock.deck(deck.doc_id) if lock is not None else None
                retired = retired_guids(entry.retired) if entry is not None else ()
                packages.append(DeckPackage(deck.doc_id, path, retired))
    return packages


def guid_keys(output: Path) -> dict[str, str]:
    """GUID -> note key, for every note and marker the lock of `output` knows."""
    from cardgen.writers.apkg import guid

    lock = _lock(output)
    keys: dict[str, str] = {}
    if lock is None:
        return keys
    for deck in lock.decks.values():
        for key, entry in [*deck.notes.items(), *deck.removed.items()]:
            keys[guid(entry.identity or key)] = key
        for key in deck.retired:
            keys[guid(key)] = key
    return keys


def busy_message(target: Path, packages: Sequence[DeckPackage]) -> str:
    paths = ", ".join(display_path(p.apkg) for p in packages)
    return (
        f"Anki has the collection open ({target}): nothing was written to it. Close Anki "
        f"and run `cardgen sync` again, or import {paths} in Anki (File > Import)."
    )


def backup_line(result: SyncResult) -> str:
    if result.backup_made:
        return f"Backed up the collection to {result.backup}"
    return f"The collection has not changed since Anki's backup {result.backup}"


def sync_lines(
    result: SyncResult, dry_run: bool, delete: bool, keys: dict[str, str] | None = None
) -> list[str]:
    """A line per deck in Anki's words (a dry run also names each note it would touch by its
    key), then what became of removed facts."""
    lines = [backup_line(result)] if result.backup is not None else []
    fate = "delete" if delete else "suspend"
    for plan in result.decks:
        removed = f"{len(plan.remove)} removed ({fate})" if plan.remove else "0 removed"
        unchanged = len(plan.unchanged) + len(plan.conflicting) + plan.removed_before
        line = f"{plan.deck}: {len(plan.add)} new, {len(plan.update)} updated, "
        lines.append(
            ("would apply " if dry_run else "") + line + f"{unchanged} unchanged, {removed}"
        )
        if plan.conflicting:
            lines.append(
                f"  {len(plan.conflicting)} note(s) left alone: their note type was changed in "
                "Anki (Anki's importer skips them too)"
            )
        if dry_run:
            named = (("new", plan.add), ("updated", plan.update), ("removed", plan.remove_guids))
            lines += [f"  {label}: {(keys or {}).get(g, g)}" for label, gs in named for g in gs]
        elif plan.writes:
            lines.append(f"  from {display_path(plan.apkg)}")
    if dry_run:
        lines.append("Dry run: nothing was written to the collection.")
    elif result.deleted:
        lines.append(f"Deleted {result.deleted} note(s) of removed facts.")
    elif result.suspended:
        lines.append(
            f"Suspended {result.suspended} note(s) of removed facts (tagged cardgen::removed); "
            "`cardgen sync --delete-removed` deletes them."
        )
    if not dry_run and not any(p.writes for p in result.decks):
        lines.append("The collection is up to date; nothing written.")
    return lines


class WatchSync:
    """`watch --sync`: every rebuild applied; one backup per session; when Anki has the
    collection open, said once, and the decks kept pending until it is closed."""

    def __init__(self, target: Path, output: Path) -> None:
        self.target, self.output = target, output
        self.pending: dict[str, DeckPackage] = {}
        self.backed_up = False
        self.busy = False

    def __call__(self, result: BuildResult) -> tuple[str, list[str]]:
        """(the end of the rebuild's line, lines to print before it)."""
        for package in deck_packages(result, self.output):
            self.pending[package.deck] = package
        try:
            synced = sync_decks(
                self.target, list(self.pending.values()), make_backup=not self.backed_up
            )
        except Exception as exc:
            if not collection_busy(exc):
                raise
            if self.busy:
                return "; Anki: still open, not synced", []
            self.busy = True
            return (
                f"; Anki has the collection open ({self.target}): building only; "
                "close Anki and the next save syncs"
            ), []
        self.busy = False
        self.pending.clear()
        before = []
        if synced.backup is not None:
            self.backed_up = True
            before.append(backup_line(synced))
        plans = synced.decks
        added, updated = sum(len(p.add) for p in plans), sum(len(p.update) for p in plans)
        removed = sum(len(p.remove) for p in plans)
        return f"; Anki: {added} new, {updated} updated, {removed} removed", before
