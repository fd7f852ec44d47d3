"""The lock (cardgen/lock/): its file (version 2, JSON Lines, read one line and one deck at a
time; version 1, one JSON document, read once and migrated), the lock in memory, and
`reconcile`'s rules for renames, rewordings and removals.

The readers are checked against whole-document readings written here (the specification): the
version 1 reader against `json.loads` of the whole text with version 1's checks in their order,
the line reader against decoding every line of the whole text first."""

from __future__ import annotations

import json
import pickle
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardgen import lock as lockmod
from cardgen.lock import LOCK_FORMAT, DeckLock, DeckStore, Entry, Lock, LockError, store

from .conftest import COGNITO, fuzz_settings

FIXTURE_V1 = Path(__file__).resolve().parent / "fixtures" / "lock" / "cognito-v1.lock"


# --------------------------------------------------------------------------------------------
# The specification: whole-document readings, and version 1's writer


def _v1_entry(key: str, obj: Any) -> Entry:
    if not isinstance(obj, dict):
        raise ValueError(f"{key!r}: a note entry is not an object")
    try:
        return store._entry(obj)
    except ValueError as exc:
        raise ValueError(f"{key!r}: {exc}") from None


def reference_v1(text: str) -> Lock:
    """Version 1 read whole: json.loads, then version 1's checks in their order."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        raise ValueError("not a cardgen lock file")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError("missing `version`")
    if version > 2:
        raise ValueError(f"written by a newer cardgen (lock version {version})")
    if version == 2:  # not version 2's lines
        raise ValueError("a lock of version 2 has its header alone on its first line")
    decks = data.get("decks", {})
    models = data.get("models", {})
    if not isinstance(decks, dict):
        raise ValueError("`decks` must be an object")
    if not isinstance(models, dict):
        raise ValueError("`models` must be an object")
    lock = Lock({str(name): _v1_entry(name, obj) for name, obj in models.items()})
    for deck_id, obj in decks.items():
        if not isinstance(obj, dict):
            raise ValueError(f"deck {deck_id!r} is not an object")
        notes, removed = obj.get("notes", {}), obj.get("removed", {})
        if not isinstance(notes, dict) or not isinstance(removed, dict):
            raise ValueError(f"deck {deck_id!r}: `notes` and `removed` must be objects")
        deck = store._deck_fields(deck_id, obj)
        deck.notes = {k: _v1_entry(k, e) for k, e in notes.items()}
        deck.removed = {k: _v1_entry(k, e) for k, e in removed.items()}
        lock.put(deck_id, deck)
    return lock


def reference_v2(text: str) -> Lock:
    """Version 2 read whole: every line decoded first (the first bad one is the error), then
    the decks assembled, all at once. A text without a version 2 header is version 1's."""
    lines = text.removeprefix("\ufeff").split("\n")
    try:
        header = json.loads(lines[0])
    except (ValueError, RecursionError):
        header = None
    if not (
        isinstance(header, dict)
        and header.get("format") == LOCK_FORMAT
        and type(header.get("version")) is int
        and header["version"] >= 2
    ):
        return reference_v1(text.removeprefix("\ufeff"))
    if header["version"] > 2:
        raise LockError(f"written by a newer cardgen (lock version {header['version']})")
    values: list[tuple[int, Any]] = []
    for n, line in enumerate(lines[1:], start=2):
        if line.strip():
            try:
                values.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                values.append((n, LockError(exc.msg, n, exc.colno)))
            except RecursionError:
                values.append((n, LockError("nested too deeply", n)))
    decks: dict[str, tuple[int, DeckLock]] = {}
    models: dict[str, Entry] = {}
    current: str | None = None
    for n, obj in values:
        if isinstance(obj, LockError):
            raise obj
        try:
            tags = (
                [t for t in ("deck", "note", "removed", "notetype") if t in obj]
                if isinstance(obj, dict)
                else []
            )
            if len(tags) != 1:
                raise ValueError(
                    "a line must be a JSON object with one of `deck`, `note`, `removed`, `notetype`"
                )
            (tag,) = tags
            key = obj[tag]
            if not isinstance(key, str):
                raise ValueError(f"`{tag}` must be a string, not {json.dumps(key)}")
            if tag == "deck":
                deck = store._deck_fields(key, obj)
                if key in decks:
                    raise ValueError(f"deck {key!r} appears twice")
                decks[key], current = (n, deck), key
            elif tag == "notetype":
                if key in models:
                    raise ValueError(f"note type {key!r} appears twice")
                models[key] = _v1_entry(key, obj)
            elif current is None:
                raise ValueError(f"a `{tag}` line before any `deck` line")
            else:
                entries = getattr(decks[current][1], "notes" if tag == "note" else "removed")
                if key in entries:
                    raise ValueError(f"{key!r} appears twice in deck {current!r}")
                entries[key] = _v1_entry(key, obj)
        except ValueError as exc:
            raise LockError(str(exc), n) from None
    lock = Lock(models)
    for deck_id, (_n, deck) in decks.items():
        lock.put(deck_id, deck)
    return lock


def v1_text(lock: Lock) -> str:
    """A lock as cardgen wrote it before the restructuring: version 1, one JSON document, a
    note per line (the writer of version 1, kept here to make version 1 files)."""

    def entry_json(e: Entry) -> dict[str, Any]:
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

    def mapping(entries: dict[str, Entry], indent: str) -> str:
        if not entries:
            return "{}"
        lines = [
            f"{indent} {json.dumps(k, ensure_ascii=False)}: "
            + json.dumps(entry_json(entries[k]), sort_keys=True, ensure_ascii=False)
            for k in sorted(entries)
        ]
        return "{\n" + ",\n".join(lines) + f"\n{indent}}}"

    def pack(deck: DeckLock) -> str:
        text = (
            f'"notes": {mapping(deck.notes, "   ")},\n   "removed": {mapping(deck.removed, "   ")}'
        )
        if deck.retired:
            text += f',\n   "retired": {json.dumps(sorted(deck.retired), ensure_ascii=False)}'
        if deck.since:
            text += f',\n   "since": {deck.since}'
        if deck.source:
            text += f',\n   "source": {json.dumps(deck.source, ensure_ascii=False)}'
        return text

    out = '{\n "decks": {'
    for n, (deck_id, deck) in enumerate(sorted(lock.decks.items())):
        out += f"{',' if n else ''}\n  {json.dumps(deck_id, ensure_ascii=False)}: {{\n   "
        out += f"{pack(deck)}\n  }}"
    out += ("\n }" if lock else "}") + ",\n"
    out += f' "format": "{LOCK_FORMAT}",\n "models": {mapping(lock.models, " ")},\n'
    return out + ' "version": 1\n}\n'


def outcome(read: Any, text: str) -> tuple[Any, ...]:
    """What reading `text` gives: the lock (as written) or the error (and where, when the
    reader says)."""
    try:
        return ("ok", lockmod.dumps(read(text)))
    except json.JSONDecodeError as exc:
        return ("error", exc.msg, exc.lineno, exc.colno)
    except RecursionError:
        return ("error", "nested too deeply", 1, 1)
    except LockError as exc:
        return ("error", str(exc), exc.line, exc.col)
    except ValueError as exc:
        return ("error", str(exc))


# --------------------------------------------------------------------------------------------
# Strategies: locks, and lock texts (valid or a little off, laid out in different ways)

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_hex = st.text("0123456789abcdef", min_size=1, max_size=16)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**13) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_entry_obj = st.fixed_dictionaries(
    {"hash": _hex, "mod": st.integers(0, 2_000_000_000)},
    optional={
        "model": st.sampled_from(["qa", "cloze"]),
        "cards": st.integers(1, 30),
        "identity": _text,
        "facts": st.lists(_hex | st.just("g:") | _hex.map("g:".__add__), max_size=3),
    },
)
_odd_entry = _entry_obj | _json  # sometimes not an entry at all
_deck_obj = st.fixed_dictionaries(
    {},
    optional={
        "notes": st.dictionaries(_text, _odd_entry, max_size=5) | _json,
        "removed": st.dictionaries(_text, _entry_obj, max_size=3),
        "source": _text | _json,
        "since": st.integers(0, 2_000_000_000),
        "retired": st.lists(_text, max_size=2),
    },
)
_v1_document = st.fixed_dictionaries(
    {
        "format": st.sampled_from([LOCK_FORMAT] * 8 + ["other"]),
        "version": st.sampled_from([1] * 8 + [0, 3, "1"]),
    },
    optional={
        "decks": st.dictionaries(_text, _deck_obj, max_size=4) | _json,
        "models": st.dictionaries(_text, _entry_obj, max_size=2),
    },
)
_entries = st.dictionaries(
    _text,
    st.builds(
        Entry,
        hash=_hex,
        mod=st.integers(0, 10**10),
        model=st.sampled_from(["qa", "cloze"]),
        cards=st.integers(1, 5),
        identity=_text,
        facts=st.lists(_hex | _hex.map("g:".__add__), max_size=2).map(tuple),
    ),
    max_size=4,
)
_decks = st.builds(
    DeckLock,
    notes=_entries,
    removed=_entries,
    source=_text,
    since=st.integers(0, 10**10),
    retired=st.lists(_text, max_size=2).map(lambda r: tuple(sorted(set(r)))),
)


@st.composite
def locks(draw: st.DrawFn) -> Lock:
    model = st.builds(Entry, hash=_hex, mod=st.integers(0, 10**10))
    lock = Lock(draw(st.dictionaries(_text, model, max_size=2)))
    for deck_id, deck in draw(st.dictionaries(_text, _decks, max_size=3)).items():
        lock.put(deck_id, deck)
    return lock


def same_outcome(text: str, reference: Any) -> bool:
    """Whether `lockmod.parse` gives what `reference` gives (where too, when it says where:
    version 1's checks of entries say what, not where)."""
    mine, expected = outcome(lockmod.parse, text), outcome(reference, text)
    return (mine if len(expected) == 4 else mine[:2]) == expected


def _damage(draw: st.DrawFn, text: str) -> str:
    if not text or draw(st.integers(0, 2)):  # a third damaged
        return text
    at = draw(st.integers(0, len(text) - 1))
    how = draw(st.sampled_from(["cut", "drop", "insert"]))
    if how == "cut":
        return text[:at]
    if how == "drop":
        return text[:at] + text[at + 1 :]
    return text[:at] + draw(st.sampled_from(list('{}[],:" x1\n'))) + text[at:]


@st.composite
def v1_texts(draw: st.DrawFn) -> str:
    doc = draw(_v1_document)
    layout = draw(st.sampled_from(["cardgen", "compact", "indent", "shuffled"]))
    if layout == "cardgen":
        try:
            return _damage(draw, v1_text(reference_v1(json.dumps(doc))))
        except ValueError:
            layout = "indent"
    if layout == "shuffled":
        doc = dict(reversed(list(doc.items())))
    indent = 2 if layout != "compact" else None
    return _damage(draw, json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans())))


@st.composite
def v2_texts(draw: st.DrawFn) -> str:
    """Version 2 texts as cardgen writes them, or with lines moved, repeated, blank, escaped,
    odd or damaged."""
    lines = lockmod.dumps(draw(locks())).decode("utf-8").split("\n")[:-1]
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["move", "repeat", "blank", "escape", "odd"]))
        at = draw(st.integers(1, len(lines)))
        if how == "move" and at < len(lines):
            lines.insert(draw(st.integers(1, len(lines))), lines.pop(at))
        elif how == "repeat" and at < len(lines):
            lines.insert(at, lines[at])
        elif how == "blank":
            lines.insert(at, draw(st.sampled_from(["", " ", "\t"])))
        elif how == "escape" and at < len(lines) and lines[at].strip():
            lines[at] = json.dumps(json.loads(lines[at]))
        elif how == "odd":
            tag = draw(st.sampled_from(["deck", "note", "removed", "notetype", "other"]))
            obj = draw(st.dictionaries(_text, _json, max_size=2) | _entry_obj)
            lines.insert(at, json.dumps({tag: draw(_text | _json), **obj}))
    return _damage(draw, "\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# Reading: line by line as a whole-document reading would; version 1 as json.loads did


@fuzz_settings(400)
@given(v2_texts())
def test_reading_deck_by_deck_gives_what_a_whole_document_reading_gave(text: str) -> None:
    assert same_outcome(text, reference_v2)


@fuzz_settings(300)
@given(v1_texts())
def test_version_1_reads_as_json_loads_of_the_whole_document_did(text: str) -> None:
    assert same_outcome(text, reference_v1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"format": "cardgen-lock", "version": 1}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}}} x',
        '{"format": "cardgen-lock", "version": 1, "decks": 3}',
        '{"format": "cardgen-lock", "version": 1, "decks": {}, "decks": 3}',
        '{"format": "cardgen-lock", "version": 1, "decks": 3, "decks": {}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {"notes": {"k": 1}}}}',
        '{"format": "cardgen-lock", "version": 9, "decks": {"a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}, "a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": [], "a": {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {},}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a" {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {} "b": {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {3: {}}}',
        '  {"version": 1, "decks": {"a": {"removed": {}}}, "format": "cardgen-lock"}  \n',
        '{"format": "cardgen-lock",\n "version": 1}\n{"deck": "a"}\n',
        "[" * 100_000,
    ],
)
def test_version_1_edge_cases_read_as_json_loads_did(text: str) -> None:
    assert same_outcome(text, reference_v1)


@pytest.mark.parametrize(
    "text, error",
    [
        ('{"format": "cardgen-lock", "version": 2}\n', None),
        ('\ufeff{"format": "cardgen-lock", "version": 2}\n\n{"deck": "a"}\n', None),
        ('{"format": "cardgen-lock", "version": 3}\n{"deck": "a"}\n', ("newer cardgen", 1, 1)),
        ('{"format": "cardgen-lock",\n "version": 2}\n', ("header alone on its first", 1, 1)),
        (
            '{"format": "cardgen-lock", "version": 2}\n{"note": "k", "hash": "h", "mod": 1}\n',
            ("a `note` line before any `deck` line", 2, 1),
        ),
        (
            '{"format": "cardgen-lock", "version": 2}\n{"deck": "a"}\n{"deck": "a"}\n',
            ("deck 'a' appears twice", 3, 1),
        ),
        (
            '{"format": "cardgen-lock", "version": 2}\n{"deck": "a", "note": "k"}\n',
            ("one of `deck`, `note`", 2, 1),
        ),
        ('{"format": "cardgen-lock", "version": 2}\n{"deck": 3}\n', ("`deck` must be a str", 2, 1)),
        (
            '{"format": "cardgen-lock", "version": 2}\n{"deck": "a"}\n{"note": "k", "hash": "h"',
            ("Expecting ',' delimiter", 3, 26),
        ),
        (
            '{"format": "cardgen-lock", "version": 2}\n{"deck": "a"}\n<<<<<<< HEAD\n',
            ("Expecting value", 3, 1),
        ),
    ],
)
def test_version_2_lines_and_their_errors(text: str, error: tuple[str, int, int] | None) -> None:
    try:
        lock = lockmod.parse(text)
    except LockError as exc:
        assert error is not None and error[0] in str(exc) and (exc.line, exc.col) == error[1:]
    else:
        assert error is None and list(lock) == (["a"] if "deck" in text else [])


def test_lines_split_at_newlines_only() -> None:
    # with ensure_ascii=False, U+2028, U+0085 and U+001C stay as they are inside strings:
    # they are not line breaks for the lock (str.splitlines would split at them)
    lock = Lock()
    lock.put("a\u2028b", DeckLock({"k\x85\u2029\x1c": Entry("h", 1)}, source="s\u2028"))
    text = lockmod.dumps(lock).decode("utf-8")
    assert "\u2028" in text and lockmod.parse(text) == lock


# --------------------------------------------------------------------------------------------
# Version 1 is migrated: every GUID identity, hash and mod time carried over


@fuzz_settings(200)
@given(locks())
def test_a_version_1_lock_reads_writes_and_reads_again_as_the_same_decks(lock: Lock) -> None:
    v1 = v1_text(lock)
    assert json.loads(v1)["version"] == 1
    first = lockmod.parse(v1)
    again = lockmod.parse(lockmod.dumps(first).decode("utf-8"))
    assert first == lock and again == lock
    assert dict(again.decks) == dict(lock.decks) and again.models == lock.models
    data = json.loads(v1)["decks"]
    for deck_id, deck in again.decks.items():
        for kind, entries in (("notes", deck.notes), ("removed", deck.removed)):
            for key, e in entries.items():
                old = data[deck_id][kind][key]
                assert (e.identity or key, e.hash, e.mod) == (
                    old.get("identity") or key,
                    old["hash"],
                    old["mod"],
                )


def test_the_committed_version_1_lock_builds_what_its_version_2_migration_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 1 lock read as is, or first migrated to version 2, gives the same decks and the
    same new lock. (Until issue 14 this compared with the committed deck; issue 14 changed every
    note's HTML, so the committed deck is no longer what that old lock's notes hashed.)"""
    from cardgen.build import BuildOptions, build

    v1 = lockmod.parse(FIXTURE_V1.read_text(encoding="utf-8"))
    outputs = []
    for name, lock_text in (
        ("v1", FIXTURE_V1.read_text(encoding="utf-8")),
        ("v2", lockmod.dumps(v1).decode("utf-8")),
    ):
        root = tmp_path / name
        (root / "sources").mkdir(parents=True)
        (root / "decks").mkdir()
        shutil.copy(COGNITO, root / "sources" / COGNITO.name)
        (root / "decks" / lockmod.LOCK_NAME).write_text(lock_text, encoding="utf-8")
        monkeypatch.chdir(root)
        result = build(
            [Path("sources") / COGNITO.name],
            BuildOptions(output=Path("decks"), formats=("apkg",), clock=2_000_000_000, cache=False),
        )
        assert not result.errors, result.diagnostics
        (report,) = result.decks
        assert report.new == 0 and report.unchanged + report.changed == report.notes
        deck = (root / "decks" / (COGNITO.stem + ".apkg")).read_bytes()
        text = (root / "decks" / lockmod.LOCK_NAME).read_text(encoding="utf-8")
        assert text.startswith('{"format": "cardgen-lock", "version": 2}\n')
        outputs.append((deck, text))
    assert outputs[0] == outputs[1]


def test_a_lock_of_a_newer_version_is_an_error(tmp_path: Path) -> None:
    for text in (
        '{"format": "cardgen-lock", "version": 3}\n',
        '{\n"format": "cardgen-lock", "version": 7}',
    ):
        assert "written by a newer cardgen (lock version" in _b010(tmp_path, text)


# --------------------------------------------------------------------------------------------
# The lock in memory


def _deck_lock(n: int) -> DeckLock:
    return DeckLock(
        {f"d/{i}": Entry(f"{i:04x}", 100 + i, facts=(f"f{i}",)) for i in range(n)},
        {"d/gone": Entry("dead", 7, "cloze", 3)},
    )


def test_decks_are_kept_encoded_and_decoded_on_lookup() -> None:
    lock = Lock()
    lock.put("b", _deck_lock(3))
    lock.put("a", _deck_lock(1))
    assert list(lock) == ["a", "b"] and len(lock) == 2 and "a" in lock and "c" not in lock
    assert lock.deck("b") == _deck_lock(3) and lock.deck("c") is None
    assert lock.decks["b"] == _deck_lock(3) and lock.decks.get("c") is None
    # what the file holds is the deck's lines, verbatim: one line per note
    text = lockmod.dumps(lock).decode("utf-8")
    block = store.encode_deck("b", _deck_lock(3)).decode("utf-8")
    assert block in text and len(block.splitlines()) == 1 + 3 + 1
    assert lockmod.dumps(lockmod.parse(text)) == lockmod.dumps(lock)
    assert b"".join(lockmod.chunks(lock)) == lockmod.dumps(lock)
    lock.drop("a")
    assert list(lock) == ["b"]


def test_deck_digest_follows_the_entries_not_the_layout() -> None:
    compact = json.dumps(
        {
            "format": LOCK_FORMAT,
            "version": 1,
            "decks": {"x": {"notes": {"k": {"mod": 1, "hash": "h"}}}},
        }
    )
    read = lockmod.parse(compact)
    canonical = lockmod.parse(lockmod.dumps(read).decode("utf-8"))
    assert read.digest("x") == canonical.digest("x") != ""
    # a version 2 file laid out otherwise: escaped, fields in another order, blank lines
    other = '{"version": 2, "format": "cardgen-lock"}\n\n{"deck": "\\u0078"}\n'
    other += '{"mod": 1, "hash": "h", "note": "k"}\n'
    assert lockmod.parse(other).digest("x") == read.digest("x")
    changed = Lock()
    changed.put("x", DeckLock({"k": Entry("h", 2)}))
    assert changed.digest("x") != read.digest("x")
    assert lockmod.deck_digest("x", DeckLock({"k": Entry("h", 2)})) == changed.digest("x")
    assert read.digest("none") == ""


def test_merged_replaces_the_decks_built_and_keeps_the_others() -> None:
    lock = Lock()
    lock.put("a", _deck_lock(1))
    lock.put("b", _deck_lock(2))
    out = lock.merged([("b", _deck_lock(5)), ("c", DeckLock())], {"cardgen": Entry("m", 3)})
    assert out.deck("a") == _deck_lock(1) and out.deck("b") == _deck_lock(5)
    assert out.deck("c") == DeckLock() and out.models == {"cardgen": Entry("m", 3)}
    assert lock.deck("b") == _deck_lock(2) and lock.models == {}  # the lock read is as it was
    copy = lock.copy()
    copy.drop("a")
    assert "a" in lock


@fuzz_settings(200)
@given(_entries, _entries, _text)
def test_the_facts_of_a_deck_are_each_notes_most_specific_fingerprint(
    notes: dict[str, Entry], removed: dict[str, Entry], source: str
) -> None:
    lock = Lock()
    lock.put("d", DeckLock(notes, removed, source))
    expected = {
        e.facts[0] if e.facts and not e.facts[0].startswith("g:") else "h:" + e.hash
        for e in notes.values()
    }
    assert lock.facts("d") == expected == lockmod.deck_facts(DeckLock(notes))
    assert lock.source("d") == source and lock.facts("none") == frozenset()


def test_since_is_the_first_build_or_the_oldest_note() -> None:
    lock = Lock()
    lock.put("new", DeckLock({"k": Entry("h", 50)}, since=40))
    lock.put("old", DeckLock({"k": Entry("h", 50), "j": Entry("h", 30)}, {"r": Entry("h", 1)}))
    lock.put("empty", DeckLock())
    assert (lock.since("new"), lock.since("old"), lock.since("empty")) == (40, 30, lockmod.MAX_MOD)
    with pytest.raises(KeyError):
        lock.since("absent")


def test_worker_processes_read_only_their_deck_from_a_spilled_file(tmp_path: Path) -> None:
    lock = Lock()
    for i in range(5):
        lock.put(f"deck-{i}", _deck_lock(i))
    with DeckStore.spill(lock, tmp_path) as decks:
        (spilled,) = tmp_path.iterdir()
        assert spilled.name.startswith(".") and spilled.name.endswith(".cardgen-tmp")
        copy = pickle.loads(pickle.dumps(decks))
        assert len(pickle.dumps(decks)) < 1000  # the index, not the decks
        assert copy.deck("deck-3") == _deck_lock(3) and copy.deck("deck-9") is None
    assert list(tmp_path.iterdir()) == []
    # no folder to write to: the store holds the lock itself
    with DeckStore.spill(lock, tmp_path / "missing") as decks:
        assert decks.lock is lock and decks.deck("deck-2") == _deck_lock(2)
    with DeckStore.spill(Lock(), tmp_path) as decks:
        assert decks.deck("deck-2") is None and list(tmp_path.iterdir()) == []


def _big_lock(decks: int, notes: int) -> Lock:
    lock = Lock({"cardgen": Entry("1c7704a9f0eca2f5", 1795698205)})
    for d in range(decks):
        deck_id = f"source-number-{d:04d}-about-a-topic"
        entries = {
            f"{deck_id}/attribute-{n:03d}/subject-name/forward": Entry(
                f"{d * notes + n:016x}", 1795709405, facts=(f"{n:016x}", f"{d:016x}")
            )
            for n in range(notes)
        }
        lock.put(deck_id, DeckLock(entries, since=1795698205, source=f"../sources/{deck_id}.md"))
    return lock


def test_reading_holds_one_deck_as_objects_at_most(tmp_path: Path) -> None:
    # 200 decks x 60 notes (2.5 MB): reading takes the file's size and one deck's objects;
    # read whole as objects the same lock takes 4 times the file (bench/lock_memory.py
    # measures 1,000 x 150)
    path = tmp_path / "cardgen.lock"
    path.write_bytes(lockmod.dumps(_big_lock(200, 60)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        lock, diags = lockmod.read(path, "cardgen.lock")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lock is not None and not diags and len(lock) == 200
    assert peak < size * 1.2 + 1_000_000, (peak, size)


# --------------------------------------------------------------------------------------------
# Damaged files: B010 at the line (and column) that is damaged


def _b010(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "cardgen.lock"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    lock, diags = lockmod.read(path, "cardgen.lock")
    assert lock is None and len(diags) == 1
    return diags[0].format()


def test_b010_points_into_the_deck_that_is_damaged(tmp_path: Path) -> None:
    good = '"hash": "h", "mod": 1}'
    head = '{"format": "cardgen-lock", "version": 2}\n{"deck": "a"}\n{"note": "k", ' + good
    # a bad entry in the second deck: its line
    text = head + '\n{"deck": "b"}\n{"note": "k", "hash": "h", "mod": "1"}\n'
    message = _b010(tmp_path, text)
    assert message.startswith("cardgen.lock:5:1: B010 error: lock file is damaged ('k': a note")
    assert "must be a whole number of seconds" in message and lockmod.RESET_HINT in message
    # a deck that appears twice: its second deck line
    assert _b010(tmp_path, head + '\n{"deck": "b"}\n{"deck": "a"}\n').startswith(
        "cardgen.lock:5:1:"
    )
    # not JSON: where it stops being JSON
    assert _b010(tmp_path, head + '\n{"note": "j" "hash"}\n').startswith("cardgen.lock:4:14:")
    # not UTF-8: the byte
    assert _b010(tmp_path, head.encode() + b'\n{"note": "\xff"}\n').startswith(
        "cardgen.lock:4:11: B010 error: lock file is damaged (not UTF-8 text: byte 0xff)"
    )
    # version 1: a bad entry where its key is
    v1 = '{"format": "cardgen-lock", "version": 1, "decks": {\n "b": {"notes": {\n'
    v1 += '  "k": {"hash": "h", "mod": -1}}}}}'
    assert _b010(tmp_path, v1).startswith("cardgen.lock:3:3:")


def test_an_unreadable_lock_is_b010_and_a_missing_one_is_empty(tmp_path: Path) -> None:
    (tmp_path / "cardgen.lock").mkdir()
    lock, diags = lockmod.read(tmp_path / "cardgen.lock", "cardgen.lock")
    assert lock is None and "cannot read the lock file" in diags[0].message
    lock, diags = lockmod.read(tmp_path / "absent.lock", "absent.lock")
    assert lock == Lock() and diags == []


# --------------------------------------------------------------------------------------------
# Fingerprints


def test_a_traps_guard_is_what_its_blanks_hide() -> None:
    # the blanks come from the trap (`Trap.clozes`), as markdown-it read them when the source
    # was parsed: the same as reading the card's text again
    from cardgen.cards import build_cards
    from cardgen.markdown import bold_spans
    from cardgen.source import parse_file

    doc, _ = parse_file(COGNITO, "cognito.md")
    assert doc is not None
    cards = build_cards(doc)
    facts = lockmod.fact_fingerprints(doc, cards)
    clozes = [c for c in cards if c.kind == "cloze"]
    assert clozes
    for card in clozes:
        guard = lockmod.GUARD + lockmod.digest("blanks", bold_spans(card.prompt))
        assert facts[card.key] == (lockmod.digest("cloze", card.prompt), guard)


# --------------------------------------------------------------------------------------------
# Reconciling


def _spec(key: str, h: str = "new", model: str = "cloze") -> lockmod.Spec:
    return lockmod.Spec(key, h, model, 1, (f"fact-{h}",))


def _prev(*keys: str, model: str = "cloze") -> DeckLock:
    return DeckLock({k: Entry(f"old-{k}", 100, model, 1, facts=(f"fact-old-{k}",)) for k in keys})


def test_a_reworded_trap_or_scenario_continues_its_note() -> None:
    old = "d/trap/lambda-triggers-are-only-on-user-pools-not"
    new = "d/trap/lambda-triggers-exist-only-on-user-pools-not"
    plan = lockmod.reconcile([_spec(new)], _prev(old), clock=200)
    assert [(d.identity, d.status) for d in plan.notes] == [(old, "changed")]
    assert plan.renamed == [(old, new)] and plan.removed_now == []
    # the best of several candidates, one to one
    olds = ("d/scenario/which-service-issues-jwt-tokens", "d/scenario/which-service-gives-aws-keys")
    news = [_spec("d/scenario/which-service-issues-jwts-tokens", "a")]
    plan = lockmod.reconcile(news, _prev(*olds), clock=200)
    assert plan.notes[0].identity == olds[0] and plan.removed_now == [olds[1]]


@pytest.mark.parametrize(
    "old, new, model",
    [
        # a different trap that shares a few words: not a rewording
        (
            "d/trap/identity-pools-do-not-authenticate-users",
            "d/trap/identity-pools-store-no-profiles-at-all",
            "cloze",
        ),
        # fewer than 3 shared words
        ("d/trap/pricing-gotcha", "d/trap/pricing-trap", "cloze"),
        # a row's cards end in their kind: a row id never matches by its words
        ("d/user-pools-pricing-model/a/forward", "d/identity-pools-pricing-model/a/forward", "qa"),
        # another note type
        (
            "d/trap/lambda-triggers-are-only-on-user-pools",
            "d/trap/lambda-triggers-exist-only-on-user-pools",
            "qa-vs-cloze",
        ),
    ],
)
def test_unrelated_keys_are_not_taken_for_rewordings(old: str, new: str, model: str) -> None:
    old_model, new_model = ("qa", "cloze") if model == "qa-vs-cloze" else (model, model)
    plan = lockmod.reconcile([_spec(new, model=new_model)], _prev(old, model=old_model), 200)
    assert [d.status for d in plan.notes] == ["new"] and plan.removed_now == [old]


def test_a_tie_between_rewordings_is_no_match() -> None:
    # both old traps are 7/9 like the new one: which one it continues is a guess
    olds = (
        "d/trap/identity-pools-never-support-mfa-for-guest-users",
        "d/trap/identity-pools-never-support-saml-for-guest-users",
    )
    new = _spec("d/trap/identity-pools-never-support-federation-for-guest-users")
    plan = lockmod.reconcile([new], _prev(*olds), clock=200)
    assert [d.status for d in plan.notes] == ["new"] and plan.removed_now == sorted(olds)


def test_a_rewording_never_revives_a_fact_removed_by_an_earlier_build() -> None:
    old = "d/trap/identity-pools-lack-mfa-entirely"
    prev = DeckLock({}, {old: Entry("old", 100, "cloze", 1, facts=("fact-old",))})
    plan = lockmod.reconcile([_spec("d/trap/identity-pools-lack-saml-entirely")], prev, 200)
    assert [d.status for d in plan.notes] == ["new"] and plan.renamed == []
    assert [k for k, _ in plan.tombstones] == [old]


def test_a_scenario_with_a_new_question_and_an_old_answer_is_new() -> None:
    from cardgen.cards import build_cards
    from cardgen.source import parse_text

    def specs(question: str) -> list[lockmod.Spec]:
        doc, _ = parse_text(f"# T\n\n## Decision tree\n\n- {question} → Identity Pools.\n", "t.md")
        assert doc is not None
        cards = build_cards(doc)
        facts = lockmod.fact_fingerprints(doc, cards)
        return [lockmod.Spec(c.key, c.key + "-h", "qa", 1, facts[c.key]) for c in cards]

    first = lockmod.reconcile(
        specs("Does the question involve temporary AWS credentials?"), None, 100
    )
    plan = lockmod.reconcile(
        specs("An app must let anonymous visitors upload analytics events to Kinesis?"),
        first.deck,
        200,
    )
    assert [d.status for d in plan.notes] == ["new"] and len(plan.removed_now) == 1


def _deck_specs(markdown: str) -> list[lockmod.Spec]:
    """Specs as a build makes them (content hash: here, of the card's prompt and answer)."""
    from cardgen.cards import build_cards
    from cardgen.source import parse_text

    doc, diags = parse_text(markdown, "t.md")
    assert doc is not None, diags
    cards = build_cards(doc)
    facts = lockmod.fact_fingerprints(doc, cards)
    return [
        lockmod.Spec(c.key, lockmod.digest(c.prompt, c.answer), "qa", 1, facts[c.key])
        for c in cards
    ]


def test_a_shorter_new_text_never_takes_a_longer_siblings_old_key() -> None:
    parent = (
        "Does the application need to sign users in with an identity provider that the "
        "company runs?"
    )
    tree = "# T\n\n## Decision tree\n\n- " + parent + "\n{branches}"
    saml = "  - Yes, through a corporate SAML directory → User Pools with SAML.\n"
    no = "  - No → Cognito hosted sign-in.\n"
    first = lockmod.reconcile(_deck_specs(tree.format(branches=saml + no)), None, 100)
    keys = {d.key: d.identity for d in first.notes}
    added = "  - Yes → User Pools.\n"
    plan = lockmod.reconcile(_deck_specs(tree.format(branches=saml + added + no)), first.deck, 200)
    status = {d.key: (d.identity, d.status) for d in plan.notes}
    # the SAML branch (same content) keeps its note; the new branch gets a GUID of its own
    saml_now = [k for k in status if k.endswith("-yes-through")]
    assert len(saml_now) == 1 and status[saml_now[0]][1] == "unchanged"
    assert status[saml_now[0]][0] in keys.values()
    new = [v for v in status.values() if v[1] == "new"]
    assert len(new) == 1 and new[0][0] not in keys.values()
    assert plan.removed_now == []


def test_a_short_trap_equal_to_a_long_ones_opening_gets_a_note_of_its_own() -> None:
    long = "- Identity Pools do not store user passwords ever, they only **broker AWS access**.\n"
    short = "- Identity Pools do not store user **passwords** ever.\n"
    doc = "# T\n\n## Exam traps\n\n"
    first = lockmod.reconcile(_deck_specs(doc + long), None, 100)
    (old,) = first.notes
    for text in (doc + long + short, doc + short + long):
        plan = lockmod.reconcile(_deck_specs(text), first.deck, 200)
        by_status = sorted((d.status, d.identity == old.identity) for d in plan.notes)
        assert by_status == [("new", False), ("unchanged", True)], plan.notes


def test_a_same_template_trap_with_other_blanks_is_a_new_fact() -> None:
    doc = (
        "# T\n\n## Exam traps\n\n"
        "- In the exam, {who} are the answer when the question mentions {what}.\n"
    )

    def specs(who: str, what: str) -> list[lockmod.Spec]:
        return [
            lockmod.Spec(s.key, s.hash, "cloze", 1, s.facts)
            for s in _deck_specs(doc.format(who=who, what=what))
        ]

    first = lockmod.reconcile(specs("User Pools", "**JWT tokens**"), None, 100)
    other = lockmod.reconcile(specs("Identity Pools", "**STS credentials**"), first.deck, 200)
    assert [d.status for d in other.notes] == ["new"] and len(other.removed_now) == 1
    reworded = lockmod.reconcile(specs("Cognito User Pools", "**JWT tokens**"), first.deck, 200)
    assert [d.status for d in reworded.notes] == ["changed"] and reworded.renamed


def test_another_fact_under_the_same_trap_title_is_a_new_note() -> None:
    doc = "# T\n\n## Exam traps\n\n- **Gotcha:** {text}\n"

    def specs(text: str) -> list[lockmod.Spec]:
        return [
            lockmod.Spec(s.key, s.hash, "cloze", 1, s.facts)
            for s in _deck_specs(doc.format(text=text))
        ]

    first = lockmod.reconcile(specs("User Pools issue **JWT tokens** only."), None, 100)
    (old,) = first.notes
    other = lockmod.reconcile(
        specs("Identity Pools hand out **STS credentials**."), first.deck, 200
    )
    (new,) = other.notes
    assert new.status == "new" and new.identity != old.identity
    assert [k for k, _ in other.tombstones] == [old.key]  # the old fact: a marker, its own GUID
    # the same blanks, other words around them: the same fact, edited
    edited = lockmod.reconcile(specs("User Pools only issue **JWT tokens**."), first.deck, 200)
    assert [(d.status, d.identity) for d in edited.notes] == [("changed", old.identity)]
    # and after a removal, another fact under that title does not revive the marker
    gone = lockmod.reconcile([], first.deck, 200)
    back = lockmod.reconcile(specs("Identity Pools hand out **STS credentials**."), gone.deck, 300)
    assert [d.status for d in back.notes] == ["new"] and back.notes[0].identity != old.identity


def test_a_forgotten_marker_never_lends_its_guid_to_a_later_note() -> None:
    doc = "# T\n\n## Exam traps\n\n- **Gotcha:** User Pools issue **JWT tokens** only.\n"
    first = lockmod.reconcile(_deck_specs(doc), None, 100)
    (old,) = first.notes
    gone = lockmod.reconcile([], first.deck, 200)  # removed: a marker
    later = lockmod.reconcile([], gone.deck, 300)
    assert lockmod.forget_removed(later) == 1  # --forget-removed: the marker is dropped
    assert later.deck.retired == (old.identity,)
    lock = Lock()
    lock.put("t", later.deck)
    back = lockmod.parse(lockmod.dumps(lock).decode("utf-8")).deck("t")  # through the lock file
    again = lockmod.reconcile(_deck_specs(doc), back, 400)
    assert [d.status for d in again.notes] == ["new"]
    assert again.notes[0].identity != old.identity and again.deck.retired == (old.identity,)
