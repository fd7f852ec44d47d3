"""`cardgen sync` against the real `anki` backend: a collection made by the `anki` package,
written by the command line, read back with the same package (issue 17, point 1)."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardgen.anki import base_folder, find_collection
from cardgen.anki.profiles import ProfileError
from cardgen.writers.apkg import guid

from .conftest import (
    T0,
    anki_collection,
    anki_import,
    apkg_notes,
    cli,
    fixture_text,
    write_source,
)

pytest.importorskip("anki.collection")

T1 = T0 + 3_600
DEMO = "demo"
ROW = f"{DEMO}/pricing"  # the row the tests edit and remove


@pytest.fixture
def study(here: Path) -> Path:
    """A study folder (sources/demo.md) and an empty collection beside it; cwd is the folder."""
    write_source(here, "sources/demo.md", fixture_text("build/demo.md"))
    with anki_collection(here / "collection.anki2"):
        pass
    return here


def sync(*args: str, clock: int | None = T0) -> tuple[int, str]:
    """`cardgen sync --collection collection.anki2 ARGS` at `clock` (None: the real clock)."""
    epoch = str(clock) if clock is not None else None
    result = cli(
        "sync", "--collection", "collection.anki2", *args, env={"SOURCE_DATE_EPOCH": epoch}
    )
    return result.exit_code, result.output


def note_of(col: object, key: str) -> object:
    from anki.collection import Collection

    assert isinstance(col, Collection)
    nid = col.db.scalar("select id from notes where guid = ?", guid(key))
    assert nid, key
    return col.get_note(nid)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_sync_adds_then_leaves_alone_with_the_schema_kept(study: Path) -> None:
    with anki_collection(study / "collection.anki2") as col:
        scm = col.db.scalar("select scm from col")
    code, out = sync()
    assert code == 0, out
    assert "demo: 17 new, 0 updated, 0 unchanged, 0 removed" in out, out
    backups = list((study / "backups").glob("*.colpkg"))
    assert (
        len(backups) == 1
        and f"Backed up the collection to {Path('backups') / backups[0].name}" in out
    )
    with anki_collection(study / "collection.anki2") as col:
        notes = col.note_count()
        assert col.db.scalar("select scm from col") == scm  # adding note types: no full sync
        assert notes > 0 and col.card_count() > 0
        # a manual import of the same package agrees: nothing new, nothing updated
        log = anki_import(col, study / "decks" / f"{DEMO}.apkg")
        assert (len(log.new), len(log.updated)) == (0, 0)
    code, out = sync()
    assert code == 0 and "The collection is up to date; nothing written." in out, out
    assert len(list((study / "backups").glob("*.colpkg"))) == 1  # no write, no backup
    with anki_collection(study / "collection.anki2") as col:
        assert col.note_count() == notes
        assert col.db.scalar("select scm from col") == scm


def test_sync_updates_in_place_keeping_history_flags_and_own_tags(study: Path) -> None:
    key = f"{ROW}/alpha/forward"
    assert sync()[0] == 0
    with anki_collection(study / "collection.anki2") as col:
        note = note_of(col, key)
        card = note.cards()[0]  # type: ignore[attr-defined]
        card.start_timer()
        col.sched.answerCard(card, 4)
        col.set_user_flag_for_cards(3, [card.id])
        note = note_of(col, key)
        note.tags.append("my-own-tag")  # type: ignore[attr-defined]
        col.update_note(note)  # type: ignore[arg-type]  # its mod time: now
        revlog = col.db.scalar("select count() from revlog where cid = ?", card.id)
        scm = col.db.scalar("select scm from col")
        nid, count = note.id, col.note_count()  # type: ignore[attr-defined]
    edit(study / "sources/demo.md", "Pay per request made", "Pay per million requests")
    time.sleep(1.1)  # the build's clock (now) must pass the edit made in Anki, as in real use
    code, out = sync("--dry-run", clock=None)
    assert code == 0, out
    assert "would apply demo: 0 new, 3 updated, " in out and f"  updated: {key}" in out, out
    assert "Dry run: nothing was written to the collection." in out
    code, out = sync(clock=None)
    assert code == 0, out
    assert "demo: 0 new, 3 updated, " in out and " 0 removed" in out, out
    with anki_collection(study / "collection.anki2") as col:
        note = note_of(col, key)
        assert note.id == nid and col.note_count() == count  # type: ignore[attr-defined]
        assert "Pay per million requests" in " ".join(note.fields)  # type: ignore[attr-defined]
        assert "my-own-tag" in note.tags and "cardgen" in note.tags  # type: ignore[attr-defined]
        card = note.cards()[0]  # type: ignore[attr-defined]
        assert card.user_flag() == 3 and card.type == 2  # flagged, still a review card
        assert col.db.scalar("select count() from revlog where cid = ?", card.id) == revlog
        assert col.db.scalar("select scm from col") == scm  # no full sync needed
        # a manual import of the same package then agrees: nothing to update
        log = anki_import(col, study / "decks" / f"{DEMO}.apkg")
        assert (len(log.new), len(log.updated)) == (0, 0)


def test_a_note_type_changed_in_anki_stops_updates_and_says_so(study: Path) -> None:
    assert sync()[0] == 0
    with anki_collection(study / "collection.anki2") as col:
        model = col.models.by_name("cardgen Q/A")
        assert model is not None
        col.models.add_field(model, col.models.new_field("Mine"))
        col.models.update_dict(model)  # every note of that type gets a new mod time: now
    edit(study / "sources/demo.md", "Pay per request made", "Pay per million requests")
    time.sleep(1.1)  # the build's clock must pass it
    code, out = sync(clock=None)
    assert code == 0, out
    assert "demo: 0 new, 0 updated, 17 unchanged, 0 removed" in out, out
    assert "3 note(s) left alone: their note type was changed in Anki" in out, out


def test_sync_suspends_removed_facts_then_deletes_only_cardgens_notes(study: Path) -> None:
    assert sync()[0] == 0
    with anki_collection(study / "collection.anki2") as col:
        own = col.new_note(col.models.by_name("Basic"))  # type: ignore[arg-type]
        own["Front"], own["Back"] = "mine", "kept"
        own.tags = ["cardgen::removed"]  # even with cardgen's tag: not cardgen's note
        col.add_note(own, col.decks.id("Default"))  # type: ignore[arg-type]
        count = col.note_count()
        scm = col.db.scalar("select scm from col")
    edit(
        study / "sources/demo.md",
        "| Pricing | Pay per request made | Pay per provisioned gigabyte | |\n",
        "",
    )
    code, out = sync("--dry-run", clock=T1)
    assert code == 0 and f"  removed: {ROW}/compare" in out, out
    code, out = sync(clock=T1)
    assert code == 0 and "5 removed (suspend)" in out and "Suspended 5 note(s)" in out, out
    with anki_collection(study / "collection.anki2") as col:
        assert col.note_count() == count
        for kind in ("compare", "alpha/forward", "alpha/identify", "beta/forward", "beta/identify"):
            note = note_of(col, f"{ROW}/{kind}")
            assert "cardgen::removed" in note.tags  # type: ignore[attr-defined]
            assert all(c.queue == -1 for c in note.cards())  # type: ignore[attr-defined]
        assert col.db.scalar("select scm from col") == scm
    code, out = sync(clock=T1)  # already handled: left alone
    assert code == 0 and " 0 removed" in out and "nothing written" in out, out
    code, out = sync("--delete-removed", clock=T1)
    assert code == 0 and "5 removed (delete)" in out and "Deleted 5 note(s)" in out, out
    assert "Deleting 5 note(s) of removed facts (demo: 5)." in out
    with anki_collection(study / "collection.anki2") as col:
        assert col.note_count() == count - 5
        assert col.get_note(own.id)["Front"] == "mine"
        assert col.db.scalar("select scm from col") == scm
        assert not col.db.scalar("select count() from notes where guid = ?", guid(f"{ROW}/compare"))


def test_markers_the_collection_lacks_are_not_added(study: Path) -> None:
    """A removed fact whose notes never reached this collection leaves no card-less note."""
    edit(
        study / "sources/demo.md",
        "| Pricing | Pay per request made | Pay per provisioned gigabyte | |\n",
        "",
    )
    cli("build", env={"SOURCE_DATE_EPOCH": str(T0)})  # the row is in the lock
    code, out = sync(clock=T1)
    assert code == 0, out
    edit(
        study / "sources/demo.md",
        "| Latency |",
        "| Pricing | Pay per request made | Pay per provisioned gigabyte | |\n| Latency |",
    )
    code, out = sync(clock=T1 + 10)
    assert code == 0, out
    edit(
        study / "sources/demo.md",
        "| Pricing | Pay per request made | Pay per provisioned gigabyte | |\n",
        "",
    )
    with anki_collection(study / "collection.anki2") as col:
        before = col.note_count()
        col.remove_notes([note_of(col, f"{ROW}/compare").id])  # type: ignore[attr-defined]
    code, out = sync(clock=T1 + 20)
    assert code == 0, out
    with anki_collection(study / "collection.anki2") as col:
        assert col.note_count() == before - 1  # 4 suspended markers; the deleted one not back
        assert not col.db.scalar("select count() from notes where guid = ?", guid(f"{ROW}/compare"))
        assert not col.db.scalar(
            "select count() from notes n where not exists "
            "(select 1 from cards c where c.nid = n.id)"
        )


DAY = 86_400


def test_markers_expire_after_30_days_with_the_next_edit_and_sync_still_finds_them(
    study: Path,
) -> None:
    """Point 6: a removed fact's markers ship for 30 days after its removal; the first build
    after that which changes the deck drops them (GUIDs retired); a build without edits keeps
    every byte, whatever the day. Sync still suspends the notes of retired markers."""
    pricing = "| Pricing | Pay per request made | Pay per provisioned gigabyte | |\n"
    assert sync()[0] == 0
    edit(study / "sources/demo.md", pricing, "")
    assert cli("build", env={"SOURCE_DATE_EPOCH": str(T0 + DAY)}).exit_code == 0
    apkg = study / "decks" / f"{DEMO}.apkg"

    def markers() -> int:
        return sum("cardgen::removed" in tags for _, tags, _ in apkg_notes(apkg).values())

    assert markers() == 5
    late = {"SOURCE_DATE_EPOCH": str(T0 + 40 * DAY)}
    r = cli("build", "--check", env=late)  # no edit, 40 days on: nothing to rewrite
    assert r.exit_code == 0 and "up to date" in r.output, r.output
    edit(study / "sources/demo.md", "Tens of milliseconds", "Tens of ms")
    r = cli("build", env=late)
    assert r.exit_code == 0, r.output
    assert markers() == 0
    lock = (study / "decks" / "cardgen.lock").read_text(encoding="utf-8")
    assert '"removed":' not in lock and f"{ROW}/compare" in lock  # retired, never reused
    code, out = sync(clock=T0 + 40 * DAY)
    assert code == 0 and "5 removed (suspend)" in out, out
    with anki_collection(study / "collection.anki2") as col:
        note = note_of(col, f"{ROW}/compare")
        assert "cardgen::removed" in note.tags  # type: ignore[attr-defined]
        assert all(c.queue == -1 for c in note.cards())  # type: ignore[attr-defined]


HOLD = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
col.close()
"""


def test_sync_refuses_an_open_collection_and_writes_nothing(study: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(study / "collection.anki2")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, out = sync()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    assert code == 1, out
    assert "Anki has the collection open" in out and "nothing was written to it" in out
    assert f"import decks/{DEMO}.apkg in Anki" in out
    assert not (study / "backups").exists()
    with anki_collection(study / "collection.anki2") as col:
        assert col.note_count() == 0


def test_dry_run_writes_nothing(study: Path) -> None:
    before = (study / "collection.anki2").read_bytes()
    code, out = sync("--dry-run")
    assert code == 0 and "would apply demo: " in out and f"  new: {ROW}/compare" in out, out
    assert (study / "collection.anki2").read_bytes() == before
    assert not (study / "decks").exists() and not (study / "backups").exists()


def _prefs(base: Path, last: str | None, names: list[str]) -> None:
    base.mkdir(parents=True)
    con = sqlite3.connect(base / "prefs21.db")
    con.execute("create table profiles (name text primary key collate nocase, data blob)")
    meta = {"ver": 0, "firstRun": False, "created": 1}
    if last:
        meta["last_loaded_profile_name"] = last
    con.execute("insert into profiles values ('_global', ?)", (pickle.dumps(meta),))
    for name in names:
        con.execute("insert into profiles values (?, ?)", (name, pickle.dumps({"syncKey": None})))
        (base / name).mkdir()
        (base / name / "collection.anki2").write_bytes(b"")
    con.commit()
    con.close()


def test_profiles_found_by_name_or_last_used(tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    _prefs(base, "Work", ["User 1", "Work"])
    assert find_collection(base=base) == base / "Work" / "collection.anki2"
    assert find_collection("user 1", base=base) == base / "User 1" / "collection.anki2"
    with pytest.raises(ProfileError, match="no Anki profile 'Nope'.*found: User 1, Work"):
        find_collection("Nope", base=base)
    other = tmp_path / "two"
    _prefs(other, None, ["A", "B"])
    with pytest.raises(ProfileError, match="which Anki profile"):
        find_collection(base=other)
    home = {"HOME": "/home/u"}
    assert base_folder(home, "linux") == Path("/home/u/.local/share/Anki2")
    assert base_folder({**home, "XDG_DATA_HOME": "/x"}, "linux") == Path("/x/Anki2")
    assert base_folder(home, "darwin") == Path("/home/u/Library/Application Support/Anki2")
    assert base_folder({**home, "APPDATA": "C:/AD"}, "win32") == Path("C:/AD/Anki2")
    assert base_folder({**home, "ANKI_BASE": "/b"}, "linux") == Path("/b")


def test_sync_by_profile_and_its_errors(study: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    _prefs(base, "Me", ["Me"])
    os.replace(study / "collection.anki2", base / "Me" / "collection.anki2")
    env = {"ANKI_BASE": str(base), "SOURCE_DATE_EPOCH": str(T0)}
    result = cli("sync", env=env)
    assert result.exit_code == 0, result.output
    assert (base / "Me" / "backups").is_dir()
    result = cli("sync", "--profile", "Other", env=env)
    assert result.exit_code == 1 and "no Anki profile 'Other'" in result.output
    result = cli("sync", "--collection", str(tmp_path / "none.anki2"), env=env)
    assert result.exit_code == 1 and "no Anki collection there" in result.output
