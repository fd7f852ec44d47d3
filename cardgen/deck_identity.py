"""Deck identity across builds: decks whose facts moved to another deck id (B012, B014) and
decks whose source is gone (B013).

A deck's notes take their GUIDs from its id, so a renamed file or a changed `id:` gives every
note a new GUID: the facts' review history stays with the old notes unless the id is put back.
These checks compare the lock the build read with the decks it built; they run after every
deck is built and before anything is written (B014 stops the build).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cardgen.cards import deck_tag
from cardgen.diagnostics import Diagnostic, diag
from cardgen.fsutil import display_path
from cardgen.lock import MAX_MOD, Lock
from cardgen.model import Loc


@dataclass(frozen=True)
class BuiltDeck:
    """A deck this build built (or found up to date in the build cache)."""

    doc_id: str
    file: Path
    shown: str
    loc: Loc  # where its id was set
    facts: frozenset[str] | None  # what its notes teach now; None: not rebuilt (cached)


def lock_relative(file: Path, out_dir: Path) -> str:
    """How the lock names a deck's source: relative to the lock's folder, `/`-separated, with
    symbolic links left as they are (a linked sources folder must not change the lock)."""
    try:
        return Path(os.path.relpath(os.path.abspath(file), os.path.abspath(out_dir))).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(file)).as_posix()


def sourceless_decks(lock: Lock, built: Sequence[BuiltDeck], out_dir: Path) -> dict[str, str]:
    """Decks of the lock that this build did not build and whose recorded source file is gone
    (deleted or renamed) or now builds another deck (its `id:` changed): deck id -> why.
    A deck counts as gone only when the folder its source was in is still there: if that
    folder is missing too, the output folder may have moved, and nothing can be said. Decks
    without a recorded source (a lock written before decks recorded theirs) never count."""
    ids = {b.doc_id for b in built}
    builds = {lock_relative(b.file, out_dir): b.doc_id for b in built}
    gone: dict[str, str] = {}
    for deck_id in sorted(lock):
        if deck_id in ids:
            continue
        source = lock.source(deck_id)
        if not source:
            continue
        shown = display_path(Path(os.path.normpath(out_dir / source)))
        path = out_dir / source
        if source in builds:
            gone[deck_id] = f"{shown} now builds deck {builds[source]!r}"
        elif not path.exists() and path.parent.is_dir():
            gone[deck_id] = f"its source {shown} is gone"
    return gone


class _Facts:
    """What each deck taught when the lock was written, and now; read once per deck."""

    def __init__(self, previous: Lock, new: Lock, built: Sequence[BuiltDeck]) -> None:
        self.previous, self.new = previous, new
        self.old: dict[str, frozenset[str]] = {}
        self.now: dict[str, frozenset[str]] = {b.doc_id: b.facts for b in built if b.facts}

    def before(self, deck_id: str) -> frozenset[str]:
        if deck_id not in self.old:
            self.old[deck_id] = self.previous.facts(deck_id)
        return self.old[deck_id]

    def current(self, deck_id: str) -> frozenset[str]:
        if deck_id not in self.now:  # decks skipped by the cache may hold moved facts too
            self.now[deck_id] = self.new.facts(deck_id)
        return self.now[deck_id]

    def born(self, deck_id: str) -> int:
        """When a deck was first built; a deck new in this build is the newest."""
        return self.previous.since(deck_id) if deck_id in self.previous else MAX_MOD


def identity_warnings(
    gone: dict[str, str],
    built: Sequence[BuiltDeck],
    previous: Lock,
    new: Lock,
    out_dir: Path,
    forgetting: bool,
) -> list[Diagnostic]:
    """- B012, at the source now holding them: a deck holds at least half of its facts from a
      deck that is gone (a renamed file, a changed `id:`) or that now has other facts;
    - B014 (an error) instead when that other deck is still built, from other facts (ids
      swapped between two files, or a file renamed and its old name reused);
    - B013, at the lock: a deck that is gone and whose facts nobody holds (a deleted source).
    """
    facts = _Facts(previous, new, built)
    displaced = dict(gone)  # deck id -> why its facts are not where they were
    for b in built:
        if b.facts is None or b.doc_id not in previous:
            continue
        old = facts.before(b.doc_id)
        if len(old) >= 2 and len(b.facts & old) * 2 < len(old):
            displaced[b.doc_id] = f"which now has other facts (from {b.shown})"
    if not displaced:
        return []
    out: list[Diagnostic] = []
    held: set[str] = set()
    for b in built:
        found = _moved_from(b, displaced, facts, previous)
        if found is None:
            continue
        best, shared, mine = found
        held.add(best)
        out.append(_moved_diagnostic(b, best, shared, mine, displaced[best], best in gone))
    if not forgetting:
        shown = display_path(out_dir / "cardgen.lock")
        for deck_id, why in gone.items():
            if deck_id not in held:
                out.append(_gone_diagnostic(Loc(shown), deck_id, why, out_dir))
    return out


def _moved_from(
    b: BuiltDeck, displaced: dict[str, str], facts: _Facts, previous: Lock
) -> tuple[str, int, int] | None:
    """The displaced deck that `b` holds at least half of its facts from: (its id, facts
    shared, facts of `b`), or None. Only an older deck's facts count: a newer one holding the
    same facts is a copy made meanwhile (a renamed file, imported before its `id:` was put
    back). Between decks as old as each other (first built together), only facts that moved
    count."""
    mine = facts.current(b.doc_id)
    if not mine:
        return None
    mine_before = facts.before(b.doc_id) if b.doc_id in previous else frozenset()
    mine_born = facts.born(b.doc_id)
    moved: dict[str, int] = {}
    for d in displaced:
        if d != b.doc_id and facts.born(d) < mine_born:
            moved[d] = len(mine & facts.before(d))
        elif d != b.doc_id and facts.born(d) == mine_born:
            moved[d] = len((mine & facts.before(d)) - mine_before)
    if not moved:
        return None
    best = max(moved, key=lambda d: (moved[d], d))
    if moved[best] * 2 < len(mine):
        return None
    return best, moved[best], len(mine)


def _moved_diagnostic(
    b: BuiltDeck, best: str, shared: int, mine: int, why: str, best_is_gone: bool
) -> Diagnostic:
    held = f"deck {b.doc_id!r} holds {shared} of its {mine} facts from deck {best!r} ({why})"
    if not best_is_gone:  # the other deck is built too, from other facts: stop
        return diag(
            b.loc,
            "B014",
            f"{held}: if you swapped ids or reused a file name, set `id: {best}` here and give "
            "the other file another id. Nothing was written: these packages would update the "
            "notes of one deck's facts with another's, review history included",
        )
    advice = (
        f"if you changed `id:`, set it back to `id: {best}`"
        if " now builds deck " in why
        else f"if you renamed the file or changed `id:`, set `id: {best}` here"
    )
    return diag(
        b.loc,
        "B012",
        f"{held}: {advice}, to keep their notes and review history (otherwise Anki gets them "
        "as new notes beside the old ones)",
    )


def _gone_diagnostic(loc: Loc, deck_id: str, why: str, out_dir: Path) -> Diagnostic:
    return diag(
        loc,
        "B013",
        f"deck {deck_id!r} has no source any more ({why}): its notes stay in Anki (search "
        f"`tag:{deck_tag(deck_id)}` in the browser to delete them); `cardgen build "
        f"--forget-removed` drops it from the lock (then delete "
        f"{display_path(out_dir / deck_id)}.apkg and its PDFs)",
    )
