"""Reconciling a build with the lock: which old note each note the build wants to write
continues (and so its GUID and mod time), and what became of the notes it had.

Anki matches an imported note by GUID and updates it only when the package's mod time is newer
than its own (equal: skipped, even with other fields). `reconcile()` runs five phases, each one
function below, over the notes of one deck:

1. the same note: a) same key, same content: *unchanged* (the old mod time is kept);
   b) the same content under another key, one to one; c) same key, other content: *changed*
   (a newer mod time), unless the old note hid other words or gave another answer;
2. renames: a new key continues a vanished key (or a tombstone) whose content hash, then fact
   fingerprints, match exactly and uniquely; it keeps the old identity (so the same GUID) and
   the lock records it as an alias;
3. rewordings: a reworded trap or scenario (its key is made of its first words) continues the
   vanished key it is the single best match of;
4. new notes: a GUID from their own key, unless another note holds it;
5. vanished notes become tombstones: they stay in the lock (and in the package) tagged
   `cardgen::removed` with a newer mod time, so that re-importing marks the note in Anki, where
   one search deletes it. A tombstone comes back to life if its fact returns.

Mod times: new and changed notes get the build clock (`build_clock()`), and always at least one
second more than the note's previous mod time. Everything here is pure.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cardgen.lock.fingerprints import GUARD, guards
from cardgen.lock.model import DeckLock, Entry
from cardgen.model import NoteModel

Status = Literal["new", "changed", "unchanged"]

NEAR_MIN_SHARED = 3  # words two keys' last segments must share to be a rewording
NEAR_MIN_JACCARD = 0.5  # and the share of all their words


@dataclass(frozen=True)
class Spec:
    """A note the build wants to write."""

    key: str
    hash: str
    model: NoteModel = "qa"
    cards: int = 1
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What becomes of one note: the GUID key it is written with, its mod time, its status."""

    key: str
    identity: str  # the key the GUID comes from
    mod: int
    status: Status
    renamed_from: str = ""


@dataclass
class Plan:
    """What `reconcile` decided for one deck, and the deck's new lock entries."""

    notes: list[Decision]  # in the order of the specs
    tombstones: list[tuple[str, Entry]]  # every removed note still carried, sorted by key
    removed_now: list[str]  # keys removed by this build
    renamed: list[tuple[str, str]]  # (old key, new key)
    deck: DeckLock

    def count(self, status: Status) -> int:
        return sum(1 for d in self.notes if d.status == status)


def reconcile(specs: Sequence[Spec], previous: DeckLock | None, clock: int) -> Plan:
    """Compare the notes a build wants to write with the deck's lock entries (see above)."""
    w = _Work(specs, previous or DeckLock(), clock)
    _same_key_same_content(w)  # 1a
    _same_content_other_key(w)  # 1b
    _same_key_other_content(w)  # 1c
    _renames(w)  # 2
    _rewordings(w)  # 3
    _new_notes(w)  # 4
    plan = _plan(w)  # 5
    expire_removed(plan, clock)  # 6
    return plan


@dataclass
class _Work:
    """What the phases share: the specs, the lock's deck, and what is decided so far."""

    specs: Sequence[Spec]
    prev: DeckLock
    clock: int
    decisions: dict[str, Decision] = field(default_factory=dict)
    old_entries: dict[str, Entry] = field(default_factory=dict)  # key -> entry it continues
    live: set[str] = field(default_factory=set)  # GUID keys taken: by notes, or retired
    renamed: list[tuple[str, str]] = field(default_factory=list)
    # Candidates a note can continue: every note of the lock, then the tombstones (key ->
    # entry, is a tombstone); each old note is continued by one new note at most (`take`
    # removes it). What is left at the end vanished.
    pool: dict[str, tuple[Entry, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.live = set(self.prev.retired)
        self.pool = {k: (e, False) for k, e in sorted(self.prev.notes.items())}
        for k, e in sorted(self.prev.removed.items()):
            self.pool.setdefault(k, (e, True))

    def fresh(self) -> list[Spec]:
        """The specs not decided yet, in order."""
        return [s for s in self.specs if s.key not in self.decisions]

    def take(self, s: Spec, old_key: str, old: Entry, revived: bool) -> None:
        """`s` continues the old note `old_key` (a tombstone when `revived`)."""
        self.pool.pop(old_key, None)
        status: Status
        if revived:
            status = "new"
        else:
            status = "unchanged" if old.hash == s.hash else "changed"
        mod = old.mod if status == "unchanged" else _newer(self.clock, old.mod)
        identity = old.identity or old_key
        renamed_from = old_key if old_key != s.key else ""
        self.decisions[s.key] = Decision(s.key, identity, mod, status, renamed_from)
        self.old_entries[s.key] = old
        self.live.add(identity)
        if renamed_from:
            self.renamed.append((old_key, s.key))


def _same_key_same_content(w: _Work) -> None:
    """1a. Same key, same content: unchanged."""
    for s in w.specs:
        old = w.prev.notes.get(s.key)
        if old is not None and old.hash == s.hash:
            w.take(s, s.key, old, revived=False)


def _same_content_other_key(w: _Work) -> None:
    """1b. The same content under another key, one to one: texts that open alike can trade
    keys when one is added, removed or edited, and content says which is which."""
    _match_one_to_one(w, w.fresh(), 0)


def _same_key_other_content(w: _Work) -> None:
    """1c. Same key, other content: changed (a tombstone with this key comes back to life),
    unless the old note went on under another key in 1b, or it hid other words (a trap) or
    gave another answer (a scenario): under a generic title ("Gotcha:") that is another fact,
    and history on the wrong fact is worse than none."""
    for s in w.specs:
        if s.key not in w.decisions and s.key in w.pool:
            entry, was_tomb = w.pool[s.key]
            if _same_guards(entry, s):
                w.take(s, s.key, entry, revived=was_tomb)


def _renames(w: _Work) -> None:
    """2. A new key continues a vanished key (or a tombstone) whose content hash, then fact
    fingerprints level by level, match exactly; only unique matches count."""
    fresh = w.fresh()
    depth = max([len(s.facts) for s in fresh] + [len(e.facts) for e, _ in w.pool.values()] + [0])
    for level in range(1 + depth):
        if not fresh or not w.pool:
            break
        _match_one_to_one(w, fresh, level)
        fresh = [s for s in fresh if s.key not in w.decisions]


def _rewordings(w: _Work) -> None:
    """3. The key of an untitled trap or a scenario is made of its first words, so rewording
    them changes both the key and the fingerprints. A new key continues a key that vanished in
    this build (never a tombstone: a fact removed earlier is not this one) of the same note
    type when the two differ only in their last segment and share most of their words
    (`_rewording`), and only when each is the other's single best match: a tie is no evidence,
    and history on the wrong fact is worse than none."""
    fresh = w.fresh()
    if not fresh or not w.pool:
        return
    scores = {
        (s.key, k): score
        for s in fresh
        for k, (e, was_tomb) in w.pool.items()
        if not was_tomb
        and e.model == s.model
        and _same_guards(e, s)
        and (score := _rewording(s.key, k)) > 0
    }
    best_new: dict[str, list[float]] = defaultdict(list)
    best_old: dict[str, list[float]] = defaultdict(list)
    for (new_key, old_key), score in scores.items():
        best_new[new_key].append(score)
        best_old[old_key].append(score)
    by_key = {s.key: s for s in fresh}
    for (new_key, old_key), score in sorted(scores.items()):
        if all(
            score == max(found) and found.count(score) == 1
            for found in (best_new[new_key], best_old[old_key])
        ):
            entry, was_tomb = w.pool.pop(old_key)
            w.take(by_key[new_key], old_key, entry, revived=was_tomb)


def _new_notes(w: _Work) -> None:
    """4. New notes: GUID from their own key. If a renamed note already holds that GUID, a
    suffixed one; if a vanished note or tombstone holds it, that note continues. (Unless that
    note hid other words or gave another answer, see 1c: then it keeps its GUID, to become a
    marker, and this note takes a suffixed one.)"""
    by_identity = {(e.identity or k): k for k, (e, _) in w.pool.items()}
    for s in w.fresh():
        identity = s.key
        n = 1
        while True:
            while identity in w.live:
                n += 1
                identity = f"{s.key}#{n}"
            old_key = by_identity.get(identity)
            if old_key is None or old_key not in w.pool:
                w.decisions[s.key] = Decision(s.key, identity, w.clock, "new")
                w.live.add(identity)
                break
            entry, was_tomb = w.pool[old_key]
            if _same_guards(entry, s):
                del by_identity[identity]
                w.take(s, old_key, entry, revived=was_tomb)
                break
            w.live.add(identity)  # the other fact's GUID: not this note's


def _plan(w: _Work) -> Plan:
    """5. Vanished notes left over become tombstones, with a newer mod time so that Anki takes
    the `cardgen::removed` tag; older tombstones are carried as they were. Then the plan and
    the deck's new entries."""
    tombs: dict[str, Entry] = {}
    removed_now: list[str] = []
    for k, (e, was_tomb) in w.pool.items():
        if was_tomb:
            tombs[k] = e
        else:
            removed_now.append(k)
            tombs[k] = Entry(e.hash, _newer(w.clock, e.mod), e.model, e.cards, e.identity, e.facts)
    notes_out: dict[str, Entry] = {}
    for s in w.specs:
        d = w.decisions[s.key]
        old = w.old_entries.get(s.key)
        cards = max(s.cards, old.cards if old is not None else 0) if s.model == "cloze" else 1
        alias = "" if d.identity == s.key else d.identity
        notes_out[s.key] = Entry(s.hash, d.mod, s.model, cards, alias, s.facts)
    return Plan(
        notes=[w.decisions[s.key] for s in w.specs],
        tombstones=sorted(tombs.items()),
        removed_now=sorted(removed_now),
        renamed=sorted(w.renamed),
        deck=DeckLock(notes_out, dict(sorted(tombs.items())), retired=w.prev.retired),
    )


def _match_one_to_one(w: _Work, fresh: Sequence[Spec], level: int) -> None:
    """Continue an old note (or tombstone) of the pool with a new note whose fingerprint at
    `level` (0: the content hash, then the facts) and note type are the same, when each is the
    only one with it on its side."""
    by_new: dict[tuple[str, str], list[Spec]] = defaultdict(list)
    by_old: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in fresh:
        fp = _fingerprint(s.hash, s.facts, level)
        if fp:
            by_new[(s.model, fp)].append(s)
    for k, (e, _) in w.pool.items():
        fp = _fingerprint(e.hash, e.facts, level)
        if fp:
            by_old[(e.model, fp)].append(k)
    for model_fp, new_specs in by_new.items():
        olds = by_old.get(model_fp, [])
        if len(new_specs) == 1 and len(olds) == 1 and olds[0] in w.pool:
            entry, was_tomb = w.pool[olds[0]]
            w.take(new_specs[0], olds[0], entry, was_tomb)


def _fingerprint(hash_: str, facts: tuple[str, ...], level: int) -> str:
    if level == 0:
        return "h:" + hash_
    facts = tuple(f for f in facts if not f.startswith(GUARD))
    return ("f:" + facts[level - 1]) if level - 1 < len(facts) else ""


def _same_guards(old: Entry, new: Spec) -> bool:
    """Whether `new` may continue `old`: the old note has no guards, or the same ones."""
    return guards(old.facts) in ((), guards(new.facts))


def _rewording(new_key: str, old_key: str) -> float:
    """How much `old_key` looks like a rewording of `new_key`: 0 unless both are equal but
    for their last segment (`deck/trap/<words>`, `deck/scenario/<words>`) and those segments
    share at least NEAR_MIN_SHARED words and NEAR_MIN_JACCARD of their words; else that share.
    Row cards end in their kind (`…/forward`), so a row's id never goes through here."""
    new_head, _, new_tail = new_key.rpartition("/")
    old_head, _, old_tail = old_key.rpartition("/")
    if new_head != old_head or not new_head:
        return 0.0
    new_words, old_words = set(new_tail.split("-")), set(old_tail.split("-"))
    shared = len(new_words & old_words)
    score = shared / len(new_words | old_words)
    return score if shared >= NEAR_MIN_SHARED and score >= NEAR_MIN_JACCARD else 0.0


def _newer(clock: int, previous: int) -> int:
    return max(clock, previous + 1)


# How long a removed fact's marker ships: from the build that removed it, 30 days (docs/anki.md,
# "Removed facts": long enough for someone who imports now and then, short enough that markers
# deleted in Anki stop coming back without a flag to remember)
MARKER_WINDOW_S = 30 * 86_400


def expire_removed(plan: Plan, clock: int) -> int:
    """6. Markers older than `MARKER_WINDOW_S` are dropped (their GUIDs retired, as with
    `forget_removed`), but only by a build that changes the deck anyway: a rebuild without edits
    keeps every byte (so `build --check` does not depend on the day it runs)."""
    changed = plan.removed_now or plan.renamed or any(d.status != "unchanged" for d in plan.notes)
    if not changed:
        return 0
    old = {k for k, e in plan.tombstones if clock - e.mod >= MARKER_WINDOW_S}
    return _drop_tombstones(plan, old - set(plan.removed_now))


def forget_removed(plan: Plan) -> int:
    """Drop the tombstones of facts removed by earlier builds (not those removed now, which have
    not reached Anki yet); returns how many were dropped. Their GUIDs are retired."""
    keep = set(plan.removed_now)
    return _drop_tombstones(plan, {k for k, _ in plan.tombstones if k not in keep})


def _drop_tombstones(plan: Plan, keys: set[str]) -> int:
    dropped = [(k, e) for k, e in plan.tombstones if k in keys]
    if not dropped:
        return 0
    keep = {k for k, _ in plan.tombstones} - keys
    plan.tombstones = [(k, e) for k, e in plan.tombstones if k in keep]
    plan.deck.removed = {k: e for k, e in plan.deck.removed.items() if k in keep}
    plan.deck.retired = tuple(
        sorted(set(plan.deck.retired) | {e.identity or k for k, e in dropped})
    )
    return len(dropped)


def deck_since(previous: DeckLock | None, clock: int) -> int:
    """When a deck was first built: kept from the lock; for a deck new to it, this build's
    clock; for a deck of an older lock, the oldest mod time of its notes."""
    if previous is None:
        return clock
    if previous.since:
        return previous.since
    return min((e.mod for e in previous.notes.values()), default=clock)


def model_entry(previous: Entry | None, hash_: str, clock: int) -> Entry:
    """A note type's mod time moves forward only when its templates or CSS changed, so that
    Anki takes the new styling (its "update note types: if newer")."""
    if previous is not None and previous.hash == hash_:
        return previous
    return Entry(hash_, clock if previous is None else _newer(clock, previous.mod))


def build_clock(now: Callable[[], float] = time.time) -> int:
    """Mod time for new and changed notes: SOURCE_DATE_EPOCH when set (reproducible builds),
    else the current time. Either way `reconcile` keeps every note's mod time increasing."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return int(now())
