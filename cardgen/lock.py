"""The lock file (`decks/cardgen.lock`): what keeps Anki's review history alive between builds.

Anki matches an imported note by GUID and updates it only when the package's mod time is newer
than its own (equal: skipped, even with other fields). So for every note the lock remembers
its key, the hash of its content as written, its mod time, the key its GUID comes from (its
*identity*, which differs from the key after a rename) and fingerprints of the fact it shows.

`reconcile()` compares the notes a build wants to write with the lock:

- same key, same hash: *unchanged*, the old mod time is kept (re-import: skipped);
- same key, other hash: *changed*, a newer mod time (re-import: updated in place);
- a key that vanished and a new key whose content hash or fact fingerprint (a row's values, a
  trap's text, a scenario's answer) matches exactly and uniquely: a *rename*; the new key keeps
  the old identity (so the same GUID) and the lock records it as an alias;
- a key that vanished without a match: *removed*; it stays in the lock (and in the package) as a
  tombstone tagged `cardgen::removed` with a newer mod time, so that re-importing marks the note
  in Anki, where one search deletes it. A tombstone comes back to life if its fact returns.

Mod times: new and changed notes get the build clock (SOURCE_DATE_EPOCH when set, else the
current time), and always at least one second more than the note's previous mod time. Everything
here is pure; reading and writing the file is `read()` / `dump_chunks()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from cardgen.diagnostics import Diagnostic, diag
from cardgen.markdown import bold_spans
from cardgen.model import Card, Document, Loc
from cardgen.source import MAX_SOURCE_BYTES

LOCK_NAME = "cardgen.lock"
LOCK_FORMAT = "cardgen-lock"
LOCK_VERSION = 1
RESET_HINT = "rebuild it with `cardgen build --reset-lock` (see docs/anki.md#the-lock-file)"
# Bounds on what a (damaged or hand-edited) lock may claim, so that it cannot overflow SQLite's
# integers (note ids are mod * 1000) or make a tombstone with millions of cloze deletions. Both
# are far above anything a build writes: mod times are seconds (10**12: the year 33658), and a
# source under the size limit holds fewer bold spans (`**x**`, 5 bytes) than MAX_CARDS.
MAX_MOD = 10**12
MAX_CARDS = MAX_SOURCE_BYTES // 5


class LockError(ValueError):
    """A damaged lock; `near` is a JSON key to point the diagnostic at (its first line)."""

    def __init__(self, message: str, near: str = "") -> None:
        super().__init__(message)
        self.near = near
        self.start = 0  # where to look for `near` from (the deck it is in)
        self.pos: int | None = None  # or exactly where the problem is


@dataclass(frozen=True)
class Entry:
    """One note as the lock remembers it."""

    hash: str
    mod: int
    model: str = "qa"  # "qa" | "cloze"
    cards: int = 1  # cards the note makes (cloze deletions); tombstones keep as many
    identity: str = ""  # the key its GUID comes from, when not its own key (an alias)
    facts: tuple[str, ...] = ()


@dataclass
class DeckLock:
    notes: dict[str, Entry] = field(default_factory=dict)
    removed: dict[str, Entry] = field(default_factory=dict)
    source: str = ""  # the source file, relative to the lock's folder ("" in older locks)
    since: int = 0  # the clock of the deck's first build (0 in older locks)
    # GUID keys of markers dropped by --forget-removed: never given to another note, since the
    # note may still be in someone's Anki (its history would go to the other fact)
    retired: tuple[str, ...] = ()


class Decks(MutableMapping[str, DeckLock]):
    """Deck id -> DeckLock, each deck kept *packed*: as its text in the lock file (`pack`),
    decoded again when looked up. A lock of 1,000 sources holds about 150,000 notes; as objects
    they took 130 MB of memory, packed they take the size of the file (23 MB). A build decodes
    only the decks it builds."""

    def __init__(self, decks: Mapping[str, DeckLock] | None = None) -> None:
        self._packed: dict[str, str] = {}
        for deck_id, deck in (decks or {}).items():
            self[deck_id] = deck

    def __getitem__(self, deck_id: str) -> DeckLock:
        return unpack(self._packed[deck_id])

    def __setitem__(self, deck_id: str, deck: DeckLock) -> None:
        self._packed[deck_id] = pack(deck)

    def __delitem__(self, deck_id: str) -> None:
        del self._packed[deck_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __repr__(self) -> str:
        return f"Decks({sorted(self._packed)!r})"

    def packed(self, deck_id: str) -> str | None:
        return self._packed.get(deck_id)

    def set_packed(self, deck_id: str, text: str) -> None:
        self._packed[deck_id] = text

    def copy(self) -> Decks:
        out = Decks()
        out._packed = dict(self._packed)
        return out


@dataclass
class Lock:
    decks: Decks = field(default_factory=Decks)
    models: dict[str, Entry] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Reading and writing


def _entry(obj: Any) -> Entry:
    if not isinstance(obj, dict):
        raise ValueError("a note entry is not an object")
    hash_ = obj.get("hash")
    mod = obj.get("mod")
    for name, value in (("hash", hash_), ("mod", mod)):
        if value is None:
            raise ValueError(f"a note entry lacks `{name}`")
    if not isinstance(hash_, str):
        raise ValueError(f"a note entry has `hash` {json.dumps(hash_)}; it must be a string")
    if not isinstance(mod, int) or isinstance(mod, bool) or mod < 0:
        raise ValueError(
            f"a note entry has `mod` {json.dumps(mod)}; it must be a whole number of seconds"
        )
    if mod > MAX_MOD:
        raise ValueError(f"a note entry has `mod` {mod}, past the year 30000")
    model = obj.get("model", "qa")
    cards = obj.get("cards", 1)
    identity = obj.get("identity", "")
    facts = obj.get("facts", [])
    if model not in ("qa", "cloze") or not isinstance(cards, int) or not isinstance(identity, str):
        raise ValueError("a note entry has a bad `model`, `cards` or `identity`")
    if cards > MAX_CARDS:
        raise ValueError(f"a note entry has {cards} `cards`; the limit is {MAX_CARDS}")
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise ValueError("a note entry has bad `facts`")
    return Entry(hash_, mod, model, max(1, cards), identity, tuple(facts))


def parse(text: str) -> Lock:
    """Lock file text -> Lock; raises ValueError (json.JSONDecodeError included) when damaged.

    Reads deck by deck (`_members`), packing each deck as soon as it is read, so that the notes
    of all decks are never objects at once. Errors come in the order a whole-document reading
    would give them: the first JSON syntax error in the text, then the format and version,
    then the first bad entry."""
    pos = _skip(text, 0)
    if not text.startswith("{", pos):
        json.loads(text)  # the JSON error, if it is not JSON at all
        raise ValueError("not a cardgen lock file")
    top: dict[str, Any] = {}
    lock = Lock()
    deck_errors: dict[str, LockError | None] = {}  # by deck id, in the order of first sight

    def read_deck(deck_id: str, at: int) -> int:
        obj, end = _DECODER.raw_decode(text, at)
        try:  # a repeated id: the last one counts, as in json.loads
            lock.decks.set_packed(deck_id, pack(_deck(deck_id, obj)))
            deck_errors[deck_id] = None
        except LockError as exc:
            if exc.near == deck_id:
                exc.pos = at  # the deck itself: its value, on its key's line
            exc.start = at  # an entry: its key, within this deck
            deck_errors[deck_id] = exc
        return end

    def read_top(key: str, at: int) -> int:
        if key == "decks" and text.startswith("{", at):
            top.pop("decks", None)  # a repeated key: the last one counts, as in json.loads
            lock.decks = Decks()
            deck_errors.clear()
            return _members(text, at, read_deck)
        obj, end = _DECODER.raw_decode(text, at)
        top[key] = obj
        return end

    end = _skip(text, _members(text, pos, read_top))
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    if top.get("format") != LOCK_FORMAT:
        raise ValueError("not a cardgen lock file")
    version = top.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError("missing `version`")
    if version > LOCK_VERSION:
        raise ValueError(f"written by a newer cardgen (lock version {version})")
    if "decks" in top:
        raise LockError("`decks` must be an object", "decks")
    models = top.get("models", {})
    if not isinstance(models, dict):
        raise LockError("`models` must be an object", "models")
    for name, obj in models.items():
        lock.models[str(name)] = _located(name, obj)
    for exc in deck_errors.values():
        if exc is not None:
            raise exc
    return lock


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _members(text: str, pos: int, value: Callable[[str, int], int]) -> int:
    """Walk the JSON object at `text[pos]`: for each member, `value(key, where its value
    starts)` reads the value and returns where it ends; returns where the object ends."""
    pos = _skip(text, pos + 1)  # past "{"
    if text.startswith("}", pos):
        return pos + 1
    while True:
        if not text.startswith('"', pos):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, pos
            )
        key, pos = scanstring(text, pos + 1)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
        pos = _skip(text, value(key, _skip(text, pos + 1)))
        if text.startswith("}", pos):
            return pos + 1
        if not text.startswith(",", pos):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _skip(text, pos + 1)


def _deck(deck_id: str, obj: Any) -> DeckLock:
    if not isinstance(obj, dict):
        raise LockError(f"deck {deck_id!r} is not an object", deck_id)
    notes = obj.get("notes", {})
    removed = obj.get("removed", {})
    source = obj.get("source", "")
    since = obj.get("since", 0)
    retired = obj.get("retired", [])
    if not isinstance(notes, dict) or not isinstance(removed, dict):
        raise LockError(f"deck {deck_id!r}: `notes` and `removed` must be objects", deck_id)
    if not isinstance(source, str):
        raise LockError(f"deck {deck_id!r}: `source` must be a string", deck_id)
    if not isinstance(since, int) or isinstance(since, bool) or not 0 <= since <= MAX_MOD:
        raise LockError(f"deck {deck_id!r}: `since` must be a time in seconds", deck_id)
    if not isinstance(retired, list) or not all(isinstance(r, str) for r in retired):
        raise LockError(f"deck {deck_id!r}: `retired` must be a list of strings", deck_id)
    return DeckLock(
        {k: _located(k, v) for k, v in notes.items()},
        {k: _located(k, v) for k, v in removed.items()},
        source,
        since,
        tuple(sorted(set(retired))),
    )


def _located(key: str, obj: Any) -> Entry:
    try:
        return _entry(obj)
    except LockError:
        raise
    except ValueError as exc:
        raise LockError(f"{key!r}: {exc}", key) from None


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _near(text: str, key: str, start: int = 0) -> tuple[int, int]:
    """Where the JSON key `key` first appears from `start` (as cardgen writes it, or
    ASCII-escaped)."""
    for quoted in (json.dumps(key, ensure_ascii=False), json.dumps(key)):
        at = text.find(quoted + ":", start)
        if at >= 0:
            return _position(text, at)
    return 1, 1


def read(path: Path, shown: str) -> tuple[Lock | None, list[Diagnostic]]:
    """Read the lock; a missing file is an empty lock, a damaged one a B010 error, located at
    the line and column where it stops making sense."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Lock(), []
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [
            diag(Loc(shown), "B010", f"cannot read the lock file ({reason}); {RESET_HINT}")
        ]
    try:
        text = data.decode("utf-8-sig")  # an editor's BOM is harmless
    except UnicodeDecodeError as exc:
        line, col = _position(data.decode("latin-1"), exc.start)
        return None, [
            diag(
                Loc(shown, line, col),
                "B010",
                f"lock file is damaged (not UTF-8 text: byte 0x{data[exc.start]:02x}); "
                f"{RESET_HINT}",
            )
        ]
    try:
        return parse(text), []
    except json.JSONDecodeError as exc:
        return None, [
            diag(
                Loc(shown, exc.lineno, exc.colno),
                "B010",
                f"lock file is damaged ({exc.msg}); {RESET_HINT}",
            )
        ]
    except RecursionError:
        return None, [
            diag(Loc(shown), "B010", f"lock file is damaged (nested too deeply); {RESET_HINT}")
        ]
    except ValueError as exc:
        if isinstance(exc, LockError) and exc.pos is not None:
            line, col = _position(text, exc.pos)
        elif isinstance(exc, LockError) and exc.near:
            line, col = _near(text, exc.near, exc.start)
        else:
            line, col = 1, 1
        return None, [
            diag(Loc(shown, line, col), "B010", f"lock file is damaged ({exc}); {RESET_HINT}")
        ]


def _entry_json(e: Entry) -> dict[str, Any]:
    out: dict[str, Any] = {"hash": e.hash, "mod": e.mod}
    if e.model != "qa":
        out["model"] = e.model
    if e.cards != 1:
        out["cards"] = e.cards
    if e.identity:
        out["identity"] = e.identity
    if e.facts:
        out["facts"] = list(e.facts)
    return out


def _one(e: Entry) -> str:
    return json.dumps(_entry_json(e), sort_keys=True, ensure_ascii=False)


def _mapping(entries: dict[str, Entry], indent: str) -> str:
    """Entries by key, sorted, one per line (small diffs)."""
    if not entries:
        return "{}"
    lines = [
        f"{indent} {json.dumps(k, ensure_ascii=False)}: {_one(entries[k])}" for k in sorted(entries)
    ]
    return "{\n" + ",\n".join(lines) + f"\n{indent}}}"


def pack(deck: DeckLock) -> str:
    """A deck as the lock file holds it (the inside of its JSON object): canonical, so that
    equal decks pack equal and `deck_digest` can hash the text."""
    text = f'"notes": {_mapping(deck.notes, "   ")},\n   "removed": {_mapping(deck.removed, "   ")}'
    if deck.retired:
        text += f',\n   "retired": {json.dumps(sorted(deck.retired), ensure_ascii=False)}'
    if deck.since:
        text += f',\n   "since": {deck.since}'
    if deck.source:
        text += f',\n   "source": {json.dumps(deck.source, ensure_ascii=False)}'
    return text


def deck_since(previous: DeckLock | None, clock: int) -> int:
    """When a deck was first built: kept from the lock; for a deck new to it, this build's
    clock; for a deck of an older lock, the oldest mod time of its notes."""
    if previous is None:
        return clock
    if previous.since:
        return previous.since
    return min((e.mod for e in previous.notes.values()), default=clock)


def packed_source(packed: str) -> str:
    """A packed deck's `source`, without decoding its notes ("" when it has none)."""
    at = packed.rfind('\n   "source": ')
    return json.loads(packed[at + len('\n   "source": ') :]) if at >= 0 else ""


_PACKED_FACT = re.compile(
    r'^    .*?: \{(?:"cards": \d+, )?(?:"facts": \["([^"]*)"[^\]]*\], )?"hash": "([^"]*)"', re.M
)


def packed_facts(packed: str) -> set[str]:
    """`fact_set` of a packed deck, read from its text without decoding it (a deck of the lock
    is one note per line, keys sorted: `cards`, `facts`, `hash`, …)."""
    notes = packed.split('\n   "removed": ', 1)[0]
    return {_note_fact(f, h) for f, h in _PACKED_FACT.findall(notes)}


_PACKED_MOD = re.compile(r'"mod": (\d+)')


def packed_born(packed: str) -> int:
    """When a packed deck was first built: its `since`, else (an older lock) the oldest mod
    time of its notes."""
    since = re.search(r'\n   "since": (\d+)', packed)
    if since:
        return int(since.group(1))
    notes = packed.split('\n   "removed": ', 1)[0]
    return min((int(m) for m in _PACKED_MOD.findall(notes)), default=MAX_MOD)


def fact_set(deck: DeckLock) -> set[str]:
    """What a deck's notes teach, whatever their keys: each note's most specific fingerprint
    (its content hash when it has none). Two decks that share most of these are one deck."""
    return {_note_fact(e.facts[0] if e.facts else "", e.hash) for e in deck.notes.values()}


def _note_fact(first: str, hash_: str) -> str:
    """A note's first fact fingerprint, or its content hash when it has none (a guard is none)."""
    return first if first and not first.startswith(GUARD) else "h:" + hash_


def unpack(text: str) -> DeckLock:
    return _deck("", json.loads("{" + text + "}"))


def deck_digest(packed: str | None) -> str:
    """Digest of one packed deck (the build cache keys a deck's outputs by it)."""
    if packed is None:
        return "none"
    return hashlib.sha256(packed.encode("utf-8")).hexdigest()


def dump_chunks(lock: Lock) -> Iterator[str]:
    """The lock file's text in pieces (a deck each), so that a build of 1,000 decks never holds
    the whole text twice: deterministic JSON, sorted keys, a note per line, trailing newline."""
    yield '{\n "decks": {'
    for n, deck_id in enumerate(sorted(lock.decks)):
        yield (
            f"{',' if n else ''}\n  {json.dumps(deck_id, ensure_ascii=False)}: {{\n   "
            f"{lock.decks.packed(deck_id)}\n  }}"
        )
    yield ("\n }" if lock.decks else "}") + ",\n"
    yield (
        f' "format": "{LOCK_FORMAT}",\n'
        f' "models": {_mapping(lock.models, " ")},\n'
        f' "version": {LOCK_VERSION}\n'
        "}\n"
    )


def dumps(lock: Lock) -> bytes:
    return "".join(dump_chunks(lock)).encode("utf-8")


# --------------------------------------------------------------------------------------------
# The build clock


def build_clock(now: Callable[[], float] = time.time) -> int:
    """Mod time for new and changed notes: SOURCE_DATE_EPOCH when set (reproducible builds),
    else the current time. Either way `reconcile` keeps every note's mod time increasing."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return int(now())


# --------------------------------------------------------------------------------------------
# Fingerprints: what identifies a fact when its key changed


def digest(*parts: object) -> str:
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def fact_fingerprints(doc: Document, cards: Sequence[Card]) -> dict[str, tuple[str, ...]]:
    """Per card key, fingerprints from most to least specific, none built from a label that a
    rename changes (attribute or subject names, trap titles, scenario prompts):

    - forward / identify: the row's values and tip, the subject's column; then without the tip;
    - compare: the row's values and tip; then the values alone;
    - cloze: the trap's text; scenario: none (see below).
    """
    rows = {}
    for comp in doc.comparisons:
        for row in comp.rows:
            rows[row.loc] = (comp, row)
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
            # the text; and a guard: what its blanks hide (a rewording keeps them)
            out[card.key] = (
                digest(kind, card.prompt),
                GUARD + digest("blanks", bold_spans(card.prompt)),
            )
        elif kind == "scenario":
            # no fingerprint (a scenario is its question: a new question with an old answer is
            # a new scenario), only a guard: its answer (a rewording keeps it)
            out[card.key] = (GUARD + digest("answer", card.answer),)
        else:
            out[card.key] = ()
    return out


# --------------------------------------------------------------------------------------------
# Reconciling a build with the lock


@dataclass(frozen=True)
class Spec:
    """A note the build wants to write."""

    key: str
    hash: str
    model: str = "qa"
    cards: int = 1
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    key: str
    identity: str  # the key the GUID comes from
    mod: int
    status: str  # "new" | "changed" | "unchanged"
    renamed_from: str = ""


@dataclass
class Plan:
    notes: list[Decision]  # in the order of the specs
    tombstones: list[tuple[str, Entry]]  # every removed note still carried, sorted by key
    removed_now: list[str]  # keys removed by this build
    renamed: list[tuple[str, str]]  # (old key, new key)
    deck: DeckLock

    def count(self, status: str) -> int:
        return sum(1 for d in self.notes if d.status == status)


def _newer(clock: int, previous: int) -> int:
    return max(clock, previous + 1)


def reconcile(specs: Sequence[Spec], previous: DeckLock | None, clock: int) -> Plan:
    prev = previous or DeckLock()
    decisions: dict[str, Decision] = {}
    old_entries: dict[str, Entry] = {}  # key -> the lock entry it continues
    live: set[str] = set(prev.retired)  # GUID keys taken: by this build's notes, or retired
    renamed: list[tuple[str, str]] = []
    # Candidates a note can continue: every note of the lock, then the tombstones; each old
    # note is continued by one new note at most (`take` removes it).
    pool: dict[str, tuple[Entry, bool]] = {k: (e, False) for k, e in sorted(prev.notes.items())}
    for k, e in sorted(prev.removed.items()):
        pool.setdefault(k, (e, True))

    def take(s: Spec, old_key: str, old: Entry, revived: bool) -> None:
        pool.pop(old_key, None)
        if revived:
            status = "new"
        else:
            status = "unchanged" if old.hash == s.hash else "changed"
        mod = old.mod if status == "unchanged" else _newer(clock, old.mod)
        identity = old.identity or old_key
        renamed_from = old_key if old_key != s.key else ""
        decisions[s.key] = Decision(s.key, identity, mod, status, renamed_from)
        old_entries[s.key] = old
        live.add(identity)
        if renamed_from:
            renamed.append((old_key, s.key))

    # 1. The same note. a) Same key, same content: unchanged.
    for s in specs:
        if s.key in prev.notes and prev.notes[s.key].hash == s.hash:
            take(s, s.key, prev.notes[s.key], revived=False)
    #    b) The same content under another key, one to one: texts that open alike can trade
    #       keys when one is added, removed or edited, and content says which is which.
    _match_one_to_one([s for s in specs if s.key not in decisions], pool, 0, take)
    #    c) Same key, other content: changed (a tombstone with this key comes back to life),
    #       unless the old note went on under another key in b), or it hid other words (a
    #       trap) or gave another answer (a scenario): under a generic title ("Gotcha:") that
    #       is another fact, and history on the wrong fact is worse than none.
    for s in specs:
        if s.key not in decisions and s.key in pool:
            entry, was_tomb = pool[s.key]
            if _guards(entry.facts) in ((), _guards(s.facts)):
                take(s, s.key, entry, revived=was_tomb)
    # What is left in the pool vanished: the notes of removed facts, and tombstones.

    # 2. Renames: a new key continues a vanished key (or a tombstone) whose content hash, then
    #    fact fingerprints, match exactly; only unique matches count.
    fresh = [s for s in specs if s.key not in decisions]
    depth = max([len(s.facts) for s in fresh] + [len(e.facts) for e, _ in pool.values()] + [0])
    for level in range(1 + depth):
        if not fresh or not pool:
            break
        _match_one_to_one(fresh, pool, level, take)
        fresh = [s for s in fresh if s.key not in decisions]

    # 3. Rewordings: the key of an untitled trap or a scenario is made of its first words, so
    #    rewording them changes both the key and the fingerprints. A new key continues a key
    #    that vanished in this build (never a tombstone: a fact removed earlier is not this
    #    one) of the same note type when the two differ only in their last segment and share
    #    most of their words (`_rewording`), and only when each is the other's single best
    #    match: a tie is no evidence, and history on the wrong fact is worse than none.
    if fresh and pool:
        scores = {
            (s.key, k): score
            for s in fresh
            for k, (e, was_tomb) in pool.items()
            if not was_tomb
            and e.model == s.model
            and _guards(e.facts) in ((), _guards(s.facts))
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
                entry, was_tomb = pool.pop(old_key)
                take(by_key[new_key], old_key, entry, revived=was_tomb)
        fresh = [s for s in fresh if s.key not in decisions]

    # 4. New notes: GUID from their own key. If a renamed note already holds that GUID, a
    #    suffixed one; if a vanished note or tombstone holds it, that note continues.
    #    (Unless that note hid other words or gave another answer, see 1c: then it keeps its
    #    GUID, to become a marker, and this note takes a suffixed one.)
    by_identity = {(e.identity or k): k for k, (e, _) in pool.items()}
    for s in fresh:
        identity = s.key
        n = 1
        while True:
            while identity in live:
                n += 1
                identity = f"{s.key}#{n}"
            old_key = by_identity.get(identity)
            if old_key is None or old_key not in pool:
                decisions[s.key] = Decision(s.key, identity, clock, "new")
                live.add(identity)
                break
            entry, was_tomb = pool[old_key]
            if _guards(entry.facts) in ((), _guards(s.facts)):
                del by_identity[identity]
                take(s, old_key, entry, revived=was_tomb)
                break
            live.add(identity)  # the other fact's GUID: not this note's

    # 5. Vanished notes left over become tombstones, with a newer mod time so that Anki takes
    #    the `cardgen::removed` tag; older tombstones are carried as they were.
    tombs: dict[str, Entry] = {}
    removed_now: list[str] = []
    for k, (e, was_tomb) in pool.items():
        if was_tomb:
            tombs[k] = e
        else:
            removed_now.append(k)
            tombs[k] = Entry(e.hash, _newer(clock, e.mod), e.model, e.cards, e.identity, e.facts)

    notes_out: dict[str, Entry] = {}
    for s in specs:
        d = decisions[s.key]
        old_cards = old_entries[s.key].cards if s.key in old_entries else 0
        cards = max(s.cards, old_cards) if s.model == "cloze" else 1
        alias = "" if d.identity == s.key else d.identity
        notes_out[s.key] = Entry(s.hash, d.mod, s.model, cards, alias, s.facts)
    return Plan(
        notes=[decisions[s.key] for s in specs],
        tombstones=sorted(tombs.items()),
        removed_now=sorted(removed_now),
        renamed=sorted(renamed),
        deck=DeckLock(notes_out, dict(sorted(tombs.items())), retired=prev.retired),
    )


def forget_removed(plan: Plan) -> int:
    """Drop the tombstones of facts removed by earlier builds (not those removed now, which have
    not reached Anki yet); returns how many were dropped."""
    keep = set(plan.removed_now)
    dropped = [(k, e) for k, e in plan.tombstones if k not in keep]
    plan.tombstones = [(k, e) for k, e in plan.tombstones if k in keep]
    plan.deck.removed = {k: e for k, e in plan.deck.removed.items() if k in keep}
    plan.deck.retired = tuple(
        sorted(set(plan.deck.retired) | {e.identity or k for k, e in dropped})
    )
    return len(dropped)


NEAR_MIN_SHARED = 3  # words two keys' last segments must share to be a rewording
NEAR_MIN_JACCARD = 0.5  # and the share of all their words


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


GUARD = "g:"  # a fact entry that never identifies a note alone; a rewording must keep it


def _match_one_to_one(
    fresh: Sequence[Spec],
    pool: dict[str, tuple[Entry, bool]],
    level: int,
    take: Callable[[Spec, str, Entry, bool], None],
) -> None:
    """Continue an old note (or tombstone) of `pool` with a new note whose fingerprint at
    `level` (0: the content hash, then the facts) and note type are the same, when each is the
    only one with it on its side."""
    by_new: dict[tuple[str, str], list[Spec]] = defaultdict(list)
    by_old: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in fresh:
        fp = _fingerprint(s.hash, s.facts, level)
        if fp:
            by_new[(s.model, fp)].append(s)
    for k, (e, _) in pool.items():
        fp = _fingerprint(e.hash, e.facts, level)
        if fp:
            by_old[(e.model, fp)].append(k)
    for fp, new_specs in by_new.items():
        olds = by_old.get(fp, [])
        if len(new_specs) == 1 and len(olds) == 1 and olds[0] in pool:
            entry, was_tomb = pool[olds[0]]
            take(new_specs[0], olds[0], entry, was_tomb)


def _guards(facts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in facts if f.startswith(GUARD))


def _fingerprint(hash_: str, facts: tuple[str, ...], level: int) -> str:
    if level == 0:
        return "h:" + hash_
    facts = tuple(f for f in facts if not f.startswith(GUARD))
    return ("f:" + facts[level - 1]) if level - 1 < len(facts) else ""


def model_entry(previous: Entry | None, hash_: str, clock: int) -> Entry:
    """A note type's mod time moves forward only when its templates or CSS changed, so that
    Anki takes the new styling (its "update note types: if newer")."""
    if previous is not None and previous.hash == hash_:
        return previous
    return Entry(hash_, clock if previous is None else _newer(clock, previous.mod))


def merged(lock: Lock, decks: Iterable[tuple[str, str]], models: dict[str, Entry]) -> Lock:
    """The lock to write: decks built now (packed) replace theirs, others stay as they were."""
    out = Lock(lock.decks.copy(), dict(lock.models))
    for deck_id, packed in decks:
        out.decks.set_packed(deck_id, packed)
    out.models.update(models)
    return out
