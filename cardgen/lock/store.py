"""The lock file's layout: the one module that knows it. Reads it, writes it, and keeps a lock in
memory as the file holds it.

Version 2 (this one) is JSON Lines: one JSON object a line, UTF-8, `\\n` after every line, so
that a diff shows one note per line and a reader decodes one line at a time with `json`:

    {"format": "cardgen-lock", "version": 2}
    {"notetype": "cardgen", "hash": "1c77…", "mod": 1795698205}
    {"deck": "cognito", "since": 1795698205, "source": "../sources/cognito.md"}
    {"note": "cognito/pricing/compare", "facts": ["9f09…", "3447…"], "hash": "fc62…", "mod": …}
    {"removed": "cognito/old-row/compare", "hash": "…", "mod": …}
    {"deck": "other", …}

- The first line is the header. Then the note types (`notetype`: its name), sorted by name;
  then each deck, sorted by id: its `deck` line (`source`, `since`, `retired`), followed by
  its notes (`note`: the note's key) and then its tombstones (`removed`: the removed note's
  key), each sorted by key. Every line starts with what it is and its key; its other fields
  follow in sorted order; fields at their default are left out (`model` "qa", `cards` 1,
  `identity` "", `facts` [], `since` 0, `source` "", `retired` []). Non-ASCII is written as is.
- A note or tombstone belongs to the deck line above it. Readers accept the lines of a deck
  in any order and blank lines, and ignore fields they do not know; a deck id, a note key in
  its deck, or a note type that appears twice is damage.

A `Lock` keeps each deck as its lines (bytes, as written), decoded again when asked for: a
lock of 1,000 sources holds about 150,000 notes, which as objects took 130 MB of memory and as
text take the size of the file (about 25 MB). Reading streams the file line by line and builds
a deck's text as soon as its last line is read, so it never holds more than one deck as
objects; writing (`chunks`) yields the file deck by deck.

Version 1 (cardgen before the restructuring) was one JSON document, `{"decks": {id: {"notes":
{key: entry}, "removed": {…}, "retired": […], "since": …, "source": …}}, "format":
"cardgen-lock", "models": {name: entry}, "version": 1}`. It is read whole with `json.loads`
(once: the next write is version 2) with the same checks; every note keeps its GUID identity,
hash and mod time. A lock of a newer version than this cardgen knows is an error.

A damaged lock is a `LockError` with the line and column to show: a line that is not JSON
where `json` stops; a bad entry at the start of its line (version 1: where its key is).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from cardgen.diagnostics import Diagnostic, diag
from cardgen.lock.fingerprints import note_fact
from cardgen.lock.model import MAX_MOD, DeckLock, Entry
from cardgen.model import Loc
from cardgen.source import MAX_SOURCE_BYTES

LOCK_NAME = "cardgen.lock"
LOCK_FORMAT = "cardgen-lock"
LOCK_VERSION = 2
RESET_HINT = "rebuild it with `cardgen build --reset-lock` (see docs/anki.md#the-lock-file)"
# A tombstone of a (damaged or hand-edited) lock cannot make millions of cloze deletions: a
# source under the size limit holds fewer bold spans (`**x**`, 5 bytes) than this.
MAX_CARDS = MAX_SOURCE_BYTES // 5
SPILL_PREFIX = ".cardgen-decks."
SPILL_SUFFIX = ".cardgen-tmp"  # a build removes stale files ending so (a killed build's)

_HEADER = json.dumps({"format": LOCK_FORMAT, "version": LOCK_VERSION}) + "\n"
_TAGS = ("deck", "note", "removed", "notetype")  # what a line can be
_DECODER = json.JSONDecoder()
_encode_str = json.JSONEncoder(ensure_ascii=False).encode
_encode_fields = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


class LockError(ValueError):
    """A damaged lock: the message (what `B010` says in parentheses) and where, 1-based."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.line, self.col = line, col


# --------------------------------------------------------------------------------------------
# A lock in memory


class Lock:
    """The note types' entries (`models`) and the decks, each kept as its lines in the file
    (private), decoded when asked for. Deck ids iterate sorted."""

    def __init__(self, models: Mapping[str, Entry] | None = None) -> None:
        self.models: dict[str, Entry] = dict(models or {})
        self._decks: dict[str, bytes] = {}

    def __contains__(self, deck_id: object) -> bool:
        return deck_id in self._decks

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._decks))

    def __len__(self) -> int:
        return len(self._decks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lock):
            return NotImplemented
        return self.models == other.models and self._decks == other._decks

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dict

    def __repr__(self) -> str:
        return f"Lock(models={self.models!r}, decks={sorted(self._decks)!r})"

    def deck(self, deck_id: str) -> DeckLock | None:
        block = self._decks.get(deck_id)
        return None if block is None else decode_deck(block)

    @property
    def decks(self) -> Mapping[str, DeckLock]:
        """A read-only view: deck id -> DeckLock, each decoded when looked up."""
        return _DeckView(self)

    def facts(self, deck_id: str) -> frozenset[str]:
        """What the deck's notes teach (`fingerprints.deck_facts`); empty when absent."""
        block = self._decks.get(deck_id)
        if block is None:
            return frozenset()
        return frozenset(
            note_fact(obj["facts"][0] if "facts" in obj else "", obj["hash"])
            for obj in _decoded(block)
            if "note" in obj
        )

    def source(self, deck_id: str) -> str:
        """The deck's source file as recorded ("" when none is, or the deck is absent)."""
        block = self._decks.get(deck_id)
        if block is None:
            return ""
        source = json.loads(block[: block.index(b"\n")]).get("source", "")
        return source if isinstance(source, str) else ""

    def since(self, deck_id: str) -> int:
        """When the deck was first built: its `since`, else (an older lock) the oldest mod
        time of its notes, else MAX_MOD. KeyError when the deck is absent."""
        block = self._decks[deck_id]
        since = json.loads(block[: block.index(b"\n")]).get("since", 0)
        if isinstance(since, int) and since:
            return since
        return min((e.mod for e in decode_deck(block).notes.values()), default=MAX_MOD)

    def digest(self, deck_id: str) -> str:
        """A digest of the deck's entries as written ("" when absent): equal decks, equal
        digests, whatever layout the file they were read from had."""
        block = self._decks.get(deck_id)
        return "" if block is None else hashlib.sha256(block).hexdigest()

    def put(self, deck_id: str, deck: DeckLock) -> None:
        self._decks[deck_id] = encode_deck(deck_id, deck)

    def drop(self, deck_id: str) -> None:
        self._decks.pop(deck_id, None)

    def copy(self) -> Lock:
        out = Lock(self.models)
        out._decks = dict(self._decks)
        return out

    def merged(self, decks: Iterable[tuple[str, DeckLock]], models: Mapping[str, Entry]) -> Lock:
        """The lock to write: decks built now replace theirs, others stay as they were; this
        lock is left as it is."""
        out = self.copy()
        for deck_id, deck in decks:
            out.put(deck_id, deck)
        out.models.update(models)
        return out


class _DeckView(Mapping[str, DeckLock]):
    def __init__(self, lock: Lock) -> None:
        self._lock = lock

    def __getitem__(self, deck_id: str) -> DeckLock:
        deck = self._lock.deck(deck_id)
        if deck is None:
            raise KeyError(deck_id)
        return deck

    def __iter__(self) -> Iterator[str]:
        return iter(self._lock)

    def __len__(self) -> int:
        return len(self._lock)


def deck_digest(deck_id: str, deck: DeckLock) -> str:
    """`Lock.digest` of a deck not (yet) in a lock."""
    return hashlib.sha256(encode_deck(deck_id, deck)).hexdigest()


# --------------------------------------------------------------------------------------------
# Writing


def _line(tag: str, key: str, fields: Mapping[str, object]) -> str:
    """One line: what it is and its key first, then its fields, sorted."""
    head = f'{{"{tag}": {_encode_str(key)}'
    if not fields:
        return head + "}\n"
    return head + ", " + _encode_fields(fields)[1:] + "\n"


def _entry_line(tag: str, key: str, e: Entry) -> str:
    """An entry's line (`_line` of its fields, written out: the fields in sorted order, those at
    their default left out)."""
    parts = [f'{{"{tag}": {_encode_str(key)}']
    if e.cards != 1:
        parts.append(f', "cards": {e.cards}')
    if e.facts:
        parts.append(f', "facts": [{", ".join(map(_encode_str, e.facts))}]')
    parts.append(f', "hash": {_encode_str(e.hash)}')
    if e.identity:
        parts.append(f', "identity": {_encode_str(e.identity)}')
    parts.append(f', "mod": {e.mod}')
    if e.model != "qa":
        parts.append(f', "model": {_encode_str(e.model)}')
    parts.append("}\n")
    return "".join(parts)


def _deck_line(deck_id: str, deck: DeckLock) -> str:
    fields: dict[str, object] = {}
    if deck.retired:
        fields["retired"] = sorted(set(deck.retired))
    if deck.since:
        fields["since"] = deck.since
    if deck.source:
        fields["source"] = deck.source
    return _line("deck", deck_id, fields)


def encode_deck(deck_id: str, deck: DeckLock) -> bytes:
    """A deck's lines as the file holds them: canonical, so equal decks encode equal. Raises
    ValueError (UnicodeEncodeError) for a string that is not text (a lone surrogate)."""
    lines = [_deck_line(deck_id, deck)]
    lines += [_entry_line("note", k, deck.notes[k]) for k in sorted(deck.notes)]
    lines += [_entry_line("removed", k, deck.removed[k]) for k in sorted(deck.removed)]
    return "".join(lines).encode("utf-8")


def chunks(lock: Lock) -> Iterator[bytes]:
    """The file's bytes piece by piece (the header and note types, then a deck each), so that
    a lock of 1,000 decks is compared with the file on disk and written without one big
    string."""
    head = _HEADER + "".join(
        _entry_line("notetype", n, lock.models[n]) for n in sorted(lock.models)
    )
    yield head.encode("utf-8")
    for deck_id in lock:
        yield lock._decks[deck_id]


def dumps(lock: Lock) -> bytes:
    return b"".join(chunks(lock))


# --------------------------------------------------------------------------------------------
# Decoding


def decode_deck(block: bytes) -> DeckLock:
    """A deck's lines, as `encode_deck` wrote them (checked when they were read) -> DeckLock."""
    head, *lines = _decoded(block)
    deck = DeckLock(
        source=head.get("source", ""),
        since=head.get("since", 0),
        retired=tuple(head.get("retired", ())),
    )
    for obj in lines:
        entries, key = (
            (deck.notes, obj["note"]) if "note" in obj else (deck.removed, obj["removed"])
        )
        entries[key] = Entry(
            obj["hash"],
            obj["mod"],
            obj.get("model", "qa"),
            obj.get("cards", 1),
            obj.get("identity", ""),
            tuple(obj.get("facts", ())),
        )
    return deck


def _decoded(block: bytes) -> list[dict[str, Any]]:
    """A deck's lines decoded at once, as one JSON array (a line never holds a raw newline)."""
    array = b"[" + block.rstrip(b"\n").replace(b"\n", b",") + b"]"
    lines: list[dict[str, Any]] = json.loads(array)
    return lines


def _tag(obj: Any) -> tuple[str, str]:
    """What a line is (its one tag among `_TAGS`) and its key (a string)."""
    tags = [t for t in _TAGS if t in obj] if isinstance(obj, dict) else []
    if len(tags) != 1:
        raise ValueError(
            "a line must be a JSON object with one of " + ", ".join(f"`{t}`" for t in _TAGS)
        )
    key = obj[tags[0]]
    if not isinstance(key, str):
        raise ValueError(f"`{tags[0]}` must be a string, not {json.dumps(key)}")
    return tags[0], key


def _entry(obj: Mapping[str, Any]) -> Entry:
    """A note's (or a note type's) entry, checked; ValueError says what is wrong."""
    hash_, mod = obj.get("hash"), obj.get("mod")
    model, cards = obj.get("model", "qa"), obj.get("cards", 1)
    identity, facts = obj.get("identity", ""), obj.get("facts", [])
    if (  # the usual case, quickly (JSON gives exact types: `type` is `isinstance` here)
        type(hash_) is str
        and type(mod) is int
        and 0 <= mod <= MAX_MOD
        and (model == "qa" or model == "cloze")
        and type(cards) is int
        and 1 <= cards <= MAX_CARDS
        and type(identity) is str
        and type(facts) is list
        and all(type(f) is str for f in facts)
    ):
        return Entry(hash_, mod, model, cards, identity, tuple(facts))
    return _odd_entry(obj)


def _odd_entry(obj: Mapping[str, Any]) -> Entry:
    """`_entry` of anything else: what is wrong, in the order of the checks below."""
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
    return Entry(
        hash_, mod, "cloze" if model == "cloze" else "qa", max(1, cards), identity, tuple(facts)
    )


def _deck_fields(deck_id: str, obj: Mapping[str, Any]) -> DeckLock:
    """A deck's own fields (no entries yet), checked."""
    source = obj.get("source", "")
    since = obj.get("since", 0)
    retired = obj.get("retired", [])
    if not isinstance(source, str):
        raise ValueError(f"deck {deck_id!r}: `source` must be a string")
    if not isinstance(since, int) or isinstance(since, bool) or not 0 <= since <= MAX_MOD:
        raise ValueError(f"deck {deck_id!r}: `since` must be a time in seconds")
    if not isinstance(retired, list) or not all(isinstance(r, str) for r in retired):
        raise ValueError(f"deck {deck_id!r}: `retired` must be a list of strings")
    return DeckLock({}, {}, source, since, tuple(sorted(set(retired))))


class _DeckReader:
    """One deck being read: its deck line, then its notes and tombstones one line at a time."""

    def __init__(self, line: int, deck_id: str, obj: Mapping[str, Any]) -> None:
        self.line = line  # where its deck line is (to point at it)
        self.id = deck_id
        self.deck = _deck_fields(deck_id, obj)

    def add(self, tag: str, key: str, obj: Mapping[str, Any]) -> None:
        entries = self.deck.notes if tag == "note" else self.deck.removed
        if key in entries:
            raise ValueError(f"{key!r} appears twice in deck {self.id!r}")
        try:
            entries[key] = _entry(obj)
        except ValueError as exc:
            raise ValueError(f"{key!r}: {exc}") from None


# --------------------------------------------------------------------------------------------
# Reading


def read(path: Path, shown: str) -> tuple[Lock | None, list[Diagnostic]]:
    """Read the lock; a missing file is an empty lock, an unreadable or damaged one a B010
    error (located at the line and column where it stops making sense) and None."""
    try:
        with path.open("rb") as fh:
            return load(fh), []
    except FileNotFoundError:
        return Lock(), []
    except LockError as exc:
        where = Loc(shown, exc.line, exc.col)
        return None, [diag(where, "B010", f"lock file is damaged ({exc}); {RESET_HINT}")]
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [
            diag(Loc(shown), "B010", f"cannot read the lock file ({reason}); {RESET_HINT}")
        ]


def parse(text: str) -> Lock:
    """Lock file text -> Lock; raises LockError (a ValueError) when it is damaged."""
    return load(io.BytesIO(text.encode("utf-8")))


def load(fh: IO[bytes]) -> Lock:
    """Read a lock from a binary file: version 2 line by line, version 1 whole (migrated).
    Raises LockError when it is damaged (OSError when it cannot be read)."""
    first = fh.readline()
    if first.startswith(b"\xef\xbb\xbf"):  # an editor's BOM is harmless
        first = first[3:]
    header = _json_or_none(_text(first, 1))
    version = header.get("version") if isinstance(header, dict) else None
    if (
        isinstance(header, dict)
        and header.get("format") == LOCK_FORMAT
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version >= 2
    ):
        if version > LOCK_VERSION:
            raise LockError(f"written by a newer cardgen (lock version {version})")
        return _read_lines(fh)
    return _read_v1(first + fh.read())


def _text(raw: bytes, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LockError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x}", line, exc.start + 1
        ) from None


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _value(text: str, line: int) -> Any:
    """One line's JSON value; LockError where it stops being JSON."""
    try:  # the usual case, quickly: a value that fills the line
        obj, end = _DECODER.raw_decode(text)
        if end == len(text):
            return obj
    except (ValueError, RecursionError):
        pass
    try:  # anything else as json.loads reads it (whitespace around, errors)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(exc.msg, line, exc.colno) from None
    except RecursionError:
        raise LockError("nested too deeply", line) from None
    except ValueError as exc:  # an integer too long to convert
        raise LockError(str(exc), line) from None


def _read_lines(fh: IO[bytes]) -> Lock:
    """The lines of a version 2 lock after its header, one deck at a time."""
    lock = Lock()
    current: _DeckReader | None = None
    for line, raw in enumerate(fh, start=2):
        text = _text(raw.removesuffix(b"\n"), line)
        if not text.strip():
            continue
        obj = _value(text, line)
        try:
            tag, key = _tag(obj)
            if tag == "deck":
                if current is not None:
                    _finish(lock, current)
                current = _DeckReader(line, key, obj)
                if key in lock:
                    raise ValueError(f"deck {key!r} appears twice")
            elif tag == "notetype":
                _model(lock, key, obj)
            elif current is None:
                raise ValueError(f"a `{tag}` line before any `deck` line")
            else:
                current.add(tag, key, obj)
        except LockError:
            raise
        except ValueError as exc:
            raise LockError(str(exc), line) from None
    if current is not None:
        _finish(lock, current)
    return lock


def _finish(lock: Lock, reader: _DeckReader) -> None:
    try:
        lock.put(reader.id, reader.deck)
    except ValueError as exc:  # a string that is not text (a lone surrogate)
        raise LockError(f"deck {reader.id!r}: {exc}", reader.line) from None


def _model(lock: Lock, name: str, obj: Mapping[str, Any]) -> None:
    if name in lock.models:
        raise ValueError(f"note type {name!r} appears twice")
    try:
        entry = _entry(obj)
        _entry_line("notetype", name, entry).encode("utf-8")
    except ValueError as exc:
        raise ValueError(f"{name!r}: {exc}") from None
    lock.models[name] = entry


# --------------------------------------------------------------------------------------------
# Version 1: one JSON document, read whole (once: the next build writes version 2)


def _read_v1(data: bytes) -> Lock:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise LockError(f"not UTF-8 text: byte 0x{data[exc.start]:02x}", line, col) from None
    obj = _document(text)
    if not isinstance(obj, dict) or obj.get("format") != LOCK_FORMAT:
        raise LockError("not a cardgen lock file")
    version = obj.get("version")
    if not isinstance(version, int) or version < 1:
        raise LockError("missing `version`")
    if version > LOCK_VERSION:
        raise LockError(f"written by a newer cardgen (lock version {version})")
    if version != 1:
        raise LockError(f"a lock of version {version} has its header alone on its first line")
    return _v1_lock(text, obj)


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise LockError("nested too deeply") from None
    except ValueError as exc:
        raise LockError(str(exc)) from None


def _v1_lock(text: str, obj: Mapping[str, Any]) -> Lock:
    """A version 1 document's decks and note types, checked in the order version 1 did."""
    decks = obj.get("decks", {})
    models = obj.get("models", {})
    if not isinstance(decks, dict):
        raise _v1_error(text, "`decks` must be an object", "decks")
    if not isinstance(models, dict):
        raise _v1_error(text, "`models` must be an object", "models")
    lock = Lock()
    for name, entry in models.items():
        lock.models[name] = _v1_entry(text, entry, "models", name)
    for deck_id, deck_obj in decks.items():
        if not isinstance(deck_obj, dict):
            raise _v1_error(text, f"deck {deck_id!r} is not an object", "decks", deck_id)
        notes = deck_obj.get("notes", {})
        removed = deck_obj.get("removed", {})
        if not isinstance(notes, dict) or not isinstance(removed, dict):
            message = f"deck {deck_id!r}: `notes` and `removed` must be objects"
            raise _v1_error(text, message, "decks", deck_id)
        try:
            deck = _deck_fields(deck_id, deck_obj)
        except ValueError as exc:
            raise _v1_error(text, str(exc), "decks", deck_id) from None
        deck.notes = {k: _v1_entry(text, e, "decks", deck_id, k) for k, e in notes.items()}
        deck.removed = {k: _v1_entry(text, e, "decks", deck_id, k) for k, e in removed.items()}
        try:
            lock.put(deck_id, deck)
        except ValueError as exc:  # a string that is not text (a lone surrogate)
            raise _v1_error(text, f"deck {deck_id!r}: {exc}", "decks", deck_id) from None
    return lock


def _v1_entry(text: str, obj: Any, *where: str) -> Entry:
    try:
        if not isinstance(obj, dict):
            raise ValueError("a note entry is not an object")
        return _entry(obj)
    except ValueError as exc:
        raise _v1_error(text, f"{where[-1]!r}: {exc}", *where) from None


def _v1_error(text: str, message: str, *keys: str) -> LockError:
    """A LockError at the first place where `keys` (a path of JSON object keys: top level,
    deck, entry) appear in turn (as cardgen wrote them, or ASCII-escaped)."""
    start, line, col = 0, 1, 1
    for key in keys:
        found = [
            at
            for quoted in (json.dumps(key, ensure_ascii=False), json.dumps(key))
            if (at := text.find(quoted + ":", start)) >= 0
        ]
        if not found:
            break
        start = min(found)
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
    return LockError(message, line, col)


# --------------------------------------------------------------------------------------------
# The previous lock's decks for worker processes


class DeckSource(Protocol):
    """Where a build finds a deck's previous lock entries: a `Lock` or a `DeckStore`."""

    def deck(self, deck_id: str) -> DeckLock | None: ...


@dataclass(frozen=True)
class DeckStore:
    """The decks of a lock for worker processes, small to pickle: a temp file of the decks'
    lines and where each deck is in it (each worker reads only the decks it builds), or, when
    no such file could be written, the lock itself."""

    path: str = ""
    index: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # id -> (offset, size)
    lock: Lock | None = None

    def deck(self, deck_id: str) -> DeckLock | None:
        if self.lock is not None:
            return self.lock.deck(deck_id)
        at = self.index.get(deck_id)
        if at is None:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(at[0])
            return decode_deck(fh.read(at[1]))

    @classmethod
    @contextlib.contextmanager
    def spill(cls, lock: Lock, folder: Path | None) -> Iterator[DeckStore]:
        """A DeckStore of `lock`'s decks in a hidden temp file in `folder` (the system's temp
        folder when None), removed on exit; holding the lock itself when it has no decks or
        the file cannot be written. A build puts it in the output folder, where the next
        build removes it if this one is killed (its name ends in SPILL_SUFFIX)."""
        path = ""
        index: dict[str, tuple[int, int]] = {}
        try:
            if lock:
                fd, path = tempfile.mkstemp(prefix=SPILL_PREFIX, suffix=SPILL_SUFFIX, dir=folder)
                offset = 0
                with os.fdopen(fd, "wb") as fh:
                    for deck_id, block in lock._decks.items():
                        fh.write(block)
                        index[deck_id] = (offset, len(block))
                        offset += len(block)
        except OSError:
            if path:
                Path(path).unlink(missing_ok=True)
            path = ""
        try:
            yield cls(path, index) if path else cls(lock=lock)
        finally:
            if path:
                Path(path).unlink(missing_ok=True)
