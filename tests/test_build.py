"""`cardgen build`: orchestration, the lock file (identity, mod times, renames, removals) and the
command line. Anki itself is exercised in test_anki_roundtrip; here the package is read back with
zipfile + sqlite3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cardgen import lock as lockmod
from cardgen.writers.apkg import REMOVED_TAG, guid

from .conftest import (
    T0,
    apkg_db,
    apkg_notes,
    build_into,
    cli,
    fixture_text,
    read_lock,
    snapshot,
    write_source,
)

T1 = T0 + 1_000

SOURCE = fixture_text("build/demo.md")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    write_source(tmp_path / "sources", "demo.md", SOURCE)
    return tmp_path / "sources"


def test_build_writes_deck_and_lock_atomically(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    result = build_into(src, out)
    assert sorted(p.name for p in out.iterdir()) == ["cardgen.lock", "demo.apkg"]
    assert set(result.written) == {out / "demo.apkg", out / "cardgen.lock"}
    report = result.decks[0]
    assert report.notes == report.new == len(apkg_notes(out / "demo.apkg"))
    assert (report.changed, report.unchanged, report.removed) == (0, 0, 0)
    assert report.cards == report.notes + 1  # the trap has two deletions
    lock = read_lock(out)
    assert set(lock.decks) == {"demo"} and lock.models["cardgen"].mod == T0
    assert {e.mod for e in lock.decks["demo"].notes.values()} == {T0}
    text = (out / "cardgen.lock").read_text(encoding="utf-8")
    assert text == lockmod.dumps(lock).decode("utf-8")  # canonical, sorted


def test_rebuild_is_byte_identical_and_writes_nothing(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out, clock=T0)
    before = snapshot(out)
    result = build_into(src, out, clock=T1)
    assert result.written == []
    assert snapshot(out) == before
    assert result.decks[0].unchanged == result.decks[0].notes


def test_changed_note_gets_a_newer_mod_time_others_keep_theirs(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out, clock=T0)
    source = src / "demo.md"
    source.write_text(
        source.read_text().replace("Pay per request made", "Pay per request"), encoding="utf-8"
    )
    report = build_into(src, out, clock=T0 - 500).decks[0]  # a clock behind the lock: still newer
    assert (report.new, report.removed) == (0, 0)
    changed = {k for k, e in read_lock(out).decks["demo"].notes.items() if e.mod != T0}
    assert changed == {
        "demo/pricing/alpha/forward",
        "demo/pricing/alpha/identify",
        "demo/pricing/compare",
    }
    assert report.changed == len(changed)
    assert {read_lock(out).decks["demo"].notes[k].mod for k in changed} == {T0 + 1}
    mods = {g: m for g, (m, _, _) in apkg_notes(out / "demo.apkg").items()}
    assert mods[guid("demo/pricing/alpha/forward")] == T0 + 1
    assert mods[guid("demo/latency/beta/forward")] == T0


def test_source_date_epoch_sets_the_clock(src: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T0 + 42))
    out = tmp_path / "decks"
    result = build_into(src, out, clock=None)
    assert not result.errors
    assert {e.mod for e in read_lock(out).decks["demo"].notes.values()} == {T0 + 42}
    again = build_into(src, tmp_path / "again", clock=None)
    assert (tmp_path / "again" / "demo.apkg").read_bytes() == (out / "demo.apkg").read_bytes()
    assert not again.errors


def test_renamed_attribute_keeps_identity_through_an_alias(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    source = src / "demo.md"
    text = source.read_text()
    source.write_text(text.replace("| Pricing |", "| Cost model |"), encoding="utf-8")
    report = build_into(src, out, clock=T1).decks[0]
    assert (report.new, report.removed) == (0, 0)
    assert ("demo/pricing/compare", "demo/cost-model/compare") in report.renamed
    entry = read_lock(out).decks["demo"].notes["demo/cost-model/compare"]
    assert entry.identity == "demo/pricing/compare" and entry.mod == T1
    notes = apkg_notes(out / "demo.apkg")
    assert guid("demo/pricing/compare") in notes and guid("demo/cost-model/compare") not in notes
    assert "Cost model" in notes[guid("demo/pricing/compare")][2]
    # A second rename keeps the first identity; the old name coming back gets a GUID of its
    # own instead of colliding with the renamed note.
    source.write_text(
        text.replace("| Pricing |", "| Cost |").replace(
            "| Latency |", "| Pricing | Free tier first | Always billed | |\n| Latency |"
        ),
        encoding="utf-8",
    )
    report = build_into(src, out, clock=T1 + 10).decks[0]
    lock = read_lock(out).decks["demo"].notes
    assert lock["demo/cost/compare"].identity == "demo/pricing/compare"
    assert lock["demo/pricing/compare"].identity == "demo/pricing/compare#2"
    guids = list(apkg_notes(out / "demo.apkg"))
    assert len(guids) == len(set(guids))
    assert report.new == sum(1 for k in lock if k.startswith("demo/pricing/"))


def test_explicit_id_keeps_identity_when_name_and_values_change(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    source = src / "demo.md"
    source.write_text(
        source.read_text().replace(
            "| Storage {#storage} | Keeps data in object buckets |",
            "| Where data lives {#storage} | Stores objects in buckets |",
        ),
        encoding="utf-8",
    )
    report = build_into(src, out, clock=T1).decks[0]
    assert (report.new, report.removed, report.renamed) == (0, 0, [])
    assert report.changed >= 2


def test_rename_and_edit_without_id_is_new_plus_removed(src: Path, tmp_path: Path) -> None:
    """The documented limit of content matching: a rename and a value edit in one build."""
    out = tmp_path / "decks"
    build_into(src, out)
    source = src / "demo.md"
    source.write_text(
        source.read_text().replace(
            "| Latency | Tens of milliseconds per call |", "| Speed | Tens of ms per call |"
        ),
        encoding="utf-8",
    )
    report = build_into(src, out, clock=T1).decks[0]
    assert report.removed >= 1 and report.new >= 1
    assert "demo/latency/compare" in report.removed_keys


def test_removed_row_becomes_a_cardless_tombstone_and_can_return(src: Path, tmp_path: Path):
    out = tmp_path / "decks"
    build_into(src, out)
    source = src / "demo.md"
    text = source.read_text()
    row = "| Latency | Tens of milliseconds per call | Single-digit milliseconds | |\n"
    assert row in text
    source.write_text(text.replace(row, ""), encoding="utf-8")
    report = build_into(src, out, clock=T1).decks[0]
    assert report.removed_keys == [
        "demo/latency/alpha/forward",
        "demo/latency/alpha/identify",
        "demo/latency/beta/forward",
        "demo/latency/beta/identify",
        "demo/latency/compare",
    ]
    notes = apkg_notes(out / "demo.apkg")
    tomb = notes[guid("demo/latency/compare")]
    assert tomb[0] == T1 and REMOVED_TAG in tomb[1].split()
    db = apkg_db(out / "demo.apkg")
    tomb_cards = db.execute(
        "select count() from cards c join notes n on n.id = c.nid where n.tags like ?",
        (f"% {REMOVED_TAG} %",),
    ).fetchone()[0]
    db.close()
    assert tomb_cards == 0
    # Carried unchanged by the next build (not reported again), revived when the row returns.
    assert build_into(src, out, clock=T1 + 5).decks[0].removed == 0
    source.write_text(text, encoding="utf-8")
    report = build_into(src, out, clock=T1 + 10).decks[0]
    assert report.new == 5 and report.removed == 0 and report.tombstones == 0
    notes = apkg_notes(out / "demo.apkg")
    assert notes[guid("demo/latency/compare")][0] == T1 + 10
    assert REMOVED_TAG not in notes[guid("demo/latency/compare")][1].split()


def test_forget_removed_drops_earlier_tombstones_only(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    source = src / "demo.md"
    text = source.read_text()
    source.write_text(
        "\n".join(line for line in text.split("\n") if not line.startswith("| Pricing"))
    )
    first = build_into(src, out, clock=T1, forget_removed=True).decks[0]
    assert first.removed == 5 and first.forgotten == 0 and first.tombstones == 5
    second = build_into(src, out, clock=T1 + 1, forget_removed=True).decks[0]
    assert second.forgotten == 5 and second.tombstones == 0
    assert read_lock(out).decks["demo"].removed == {}


def test_damaged_lock_is_a_located_error_and_reset_rebuilds(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    apkg_before = (out / "demo.apkg").read_bytes()
    (out / "cardgen.lock").write_text('{\n "decks": {\n  "demo": [1, \n', encoding="utf-8")
    result = build_into(src, out, clock=T1, clean=False)
    assert [d.code for d in result.errors] == ["B010"]
    d = result.errors[0]
    assert d.loc.path.endswith("cardgen.lock") and d.loc.line == 4
    assert "--reset-lock" in d.message
    assert (out / "demo.apkg").read_bytes() == apkg_before  # nothing written
    (out / "cardgen.lock").write_text('{"format": "cardgen-lock", "version": 99}', "utf-8")
    result = build_into(src, out, clock=T1, clean=False)
    assert [d.code for d in result.errors] == ["B010"] and "newer" in result.errors[0].message
    result = build_into(src, out, clock=T1, reset_lock=True)
    assert result.decks[0].new == result.decks[0].notes
    assert {e.mod for e in read_lock(out).decks["demo"].notes.values()} == {T1}


def test_nothing_is_written_when_any_source_has_an_error(src: Path, tmp_path: Path) -> None:
    write_source(
        src, "b.md", "# Broken\n\n| F | A | B |\n|---|---|---|\n| x | 1 |\n| y | 1 | 2 | 3 |\n"
    )
    out = tmp_path / "decks"
    result = build_into(src, out, clean=False)
    assert result.errors and not out.exists()


def test_lock_keeps_decks_not_built_this_time(tmp_path: Path) -> None:
    src = tmp_path / "sources"
    write_source(src, "demo.md", SOURCE)
    write_source(src, "other.md", SOURCE.replace("id: demo", "id: other"))
    out = tmp_path / "decks"
    build_into(src, out)
    build_into(src / "demo.md", out, clock=T1)
    assert set(read_lock(out).decks) == {"demo", "other"}


def test_progress_is_reported_per_source(src: Path, tmp_path: Path) -> None:
    write_source(src, "two.md", SOURCE.replace("id: demo", "id: two"))
    seen: list[tuple[int, int]] = []
    result = build_into(
        src,
        tmp_path / "decks",
        clean=False,
        progress=lambda done, total, label: seen.append((done, total)),
    )
    assert not result.errors
    assert seen == [(0, 2), (1, 2), (2, 2)]


# --------------------------------------------------------------------------------------------
# Reconcile (pure)


def test_reconcile_only_matches_unique_fingerprints() -> None:
    prev = lockmod.DeckLock(
        {
            "d/a/x": lockmod.Entry("h1", T0, facts=("same",)),
            "d/b/x": lockmod.Entry("h2", T0, facts=("same",)),
            "d/c/x": lockmod.Entry("h3", T0, facts=("unique",)),
        }
    )
    specs = [
        lockmod.Spec("d/a2/x", "h9", facts=("same",)),
        lockmod.Spec("d/b2/x", "h8", facts=("same",)),
        lockmod.Spec("d/c2/x", "h7", facts=("unique",)),
    ]
    plan = lockmod.reconcile(specs, prev, T1)
    assert plan.renamed == [("d/c/x", "d/c2/x")]
    assert [d.status for d in plan.notes] == ["new", "new", "changed"]
    assert plan.removed_now == ["d/a/x", "d/b/x"]
    assert plan.notes[2].identity == "d/c/x"


def test_reconcile_never_gives_two_notes_one_guid() -> None:
    prev = lockmod.DeckLock({"d/new": lockmod.Entry("h1", T0, identity="d/old")})
    specs = [lockmod.Spec("d/new", "h1"), lockmod.Spec("d/old", "h2")]
    plan = lockmod.reconcile(specs, prev, T1)
    identities = [d.identity for d in plan.notes]
    assert identities == ["d/old", "d/old#2"]


# --------------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def in_tmp(here: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T0))
    write_source(here / "sources", "demo.md", SOURCE)
    return here


def test_cli_build_prints_a_line_per_deck(in_tmp: Path) -> None:
    r = cli("build", "--format", "apkg")
    assert r.exit_code == 0, r.output
    assert r.output == (
        "decks/demo.apkg: 17 notes, 18 cards: 17 new, 0 changed, 0 unchanged, 0 removed\n"
        "Wrote 2 file(s) to decks/.\n"
    )
    r = cli("build", "--format", "apkg")
    assert r.output.endswith("decks/ is up to date; nothing written.\n")
    assert "0 new, 0 changed, 17 unchanged, 0 removed" in r.output


def test_cli_build_reports_removed_facts_and_the_step(in_tmp: Path) -> None:
    cli("build", "--format", "apkg")
    source = in_tmp / "sources" / "demo.md"
    source.write_text(
        "\n".join(line for line in source.read_text().split("\n") if "| Latency" not in line)
    )
    r = cli("build", "--format", "apkg")
    assert r.exit_code == 0, r.output
    assert "12 notes, 13 cards: 0 new, 0 changed, 12 unchanged, 5 removed" in r.output
    assert "  removed: demo/latency/compare\n" in r.output
    assert "tag:cardgen::removed" in r.output


def test_cli_check_names_stale_files(in_tmp: Path) -> None:
    r = cli("build", "--format", "apkg", "--check")
    assert r.exit_code == 1
    assert "decks/demo.apkg:1:1: B004 error: out of date or missing" in r.output
    assert not (in_tmp / "decks").exists()
    cli("build", "--format", "apkg")
    r = cli("build", "--format", "apkg", "--check")
    assert r.exit_code == 0 and r.output.endswith("decks/ is up to date.\n")
    source = in_tmp / "sources" / "demo.md"
    source.write_text(source.read_text().replace("Pay per request made", "Pay per call"))
    before = (in_tmp / "decks" / "demo.apkg").read_bytes()
    r = cli("build", "--format", "apkg", "--check")
    assert r.exit_code == 1
    assert "decks/demo.apkg:1:1: B004" in r.output and "decks/cardgen.lock:1:1: B004" in r.output
    assert (in_tmp / "decks" / "demo.apkg").read_bytes() == before


def test_cli_build_errors_exit_1_and_bad_format_exits_2(in_tmp: Path) -> None:
    (in_tmp / "decks").mkdir()
    (in_tmp / "decks" / "cardgen.lock").write_text("not json")
    r = cli("build", "--format", "apkg")
    assert r.exit_code == 1
    assert "decks/cardgen.lock:1:1: B010 error: lock file is damaged" in r.output
    assert "Nothing was written." in r.output
    r = cli("build", "--format", "apkg", "--reset-lock")
    assert r.exit_code == 0, r.output
    r = cli("build", "--format", "zip")
    assert r.exit_code == 2 and "zip" in r.output


def test_cli_build_shows_lint_warnings(in_tmp: Path) -> None:
    source = in_tmp / "sources" / "demo.md"
    source.write_text(source.read_text().replace("source: Demo notes, 2026\n", ""))
    r = cli("build", "--format", "apkg")
    assert r.exit_code == 0, r.output
    assert "L108 warning" in r.output


def test_cli_build_pdf_format_writes_pdfs_only(in_tmp: Path) -> None:
    pytest.importorskip("cardgen.writers.pdf")
    r = cli("build", "--format", "pdf")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (in_tmp / "decks").iterdir())
    assert names == ["demo.cards.pdf", "demo.sheet.pdf"]
    assert all((in_tmp / "decks" / n).read_bytes().startswith(b"%PDF") for n in names)


def test_lock_round_trips_and_is_json(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    text = (out / "cardgen.lock").read_text()
    data = [json.loads(line) for line in text.splitlines()]  # JSON Lines (lock version 2)
    assert data[0] == {"format": "cardgen-lock", "version": 2}
    assert lockmod.dumps(lockmod.parse(text)).decode() == text
    assert io.StringIO(text).readline() == '{"format": "cardgen-lock", "version": 2}\n'


# --------------------------------------------------------------------------------------------
# Decks whose source is gone: a deleted source, a renamed file, a changed `id:`


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_the_lock_records_each_decks_source(src: Path, tmp_path: Path) -> None:
    build_into(src, tmp_path / "decks")
    assert read_lock(tmp_path / "decks").decks["demo"].source == "../sources/demo.md"


def test_a_renamed_source_without_id_is_pointed_at_its_old_id(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    write_source(src, "alpha-beta.md", SOURCE.replace("id: demo\n", ""))
    (src / "demo.md").unlink()
    build_into(src, out)
    (src / "alpha-beta.md").rename(src / "ab.md")  # the deck id was the file name
    result = build_into(src, out, clock=T1)
    b012 = [d for d in result.diagnostics if d.code == "B012"]
    assert len(b012) == 1 and codes(result).count("B013") == 0
    message = b012[0].format()
    assert message.startswith(f"{src / 'ab.md'}:") or "ab.md:" in message
    assert "set `id: alpha-beta` here" in message and "alpha-beta.md is gone" in message
    # and again on the next build, until it is dealt with
    again = [d for d in build_into(src, out, clock=T1).diagnostics if d.code == "B012"]
    assert [d.format() for d in again] == [b012[0].format()]
    # following the advice: the old deck again, its notes unchanged, no warning
    (src / "ab.md").write_text(SOURCE.replace("id: demo", "id: alpha-beta"), "utf-8")
    result = build_into(src, out, clock=T1)
    assert "B012" not in codes(result) and [d.new for d in result.decks] == [0]
    # the deck the renamed file made meanwhile: its file now builds the old deck again
    b013 = [d for d in result.diagnostics if d.code == "B013"]
    assert len(b013) == 1 and "ab.md now builds deck 'alpha-beta'" in b013[0].message
    assert "`tag:cardgen::deck::ab`" in b013[0].message


def test_a_changed_id_is_pointed_at_the_old_one(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    (src / "demo.md").write_text(SOURCE.replace("id: demo", "id: demo-2"), "utf-8")
    result = build_into(src, out, clock=T1)
    b012 = [d for d in result.diagnostics if d.code == "B012"]
    assert len(b012) == 1 and "demo.md now builds deck 'demo-2'" in b012[0].message
    assert "set it back to `id: demo`" in b012[0].message and "B013" not in codes(result)


def test_a_deleted_source_is_reported_and_forgotten_on_request(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    write_source(src, "other.md", SOURCE.replace("id: demo", "id: other"))
    build_into(src, out)
    # a build of one file is not a deletion of the others
    assert "B013" not in codes(build_into(src / "demo.md", out))
    (src / "other.md").unlink()
    result = build_into(src, out, clock=T1)
    b013 = [d for d in result.diagnostics if d.code == "B013"]
    assert len(b013) == 1 and "'other'" in b013[0].message and "--forget-removed" in b013[0].message
    assert set(read_lock(out).decks) == {"demo", "other"}  # kept until asked
    result = build_into(src, out, clock=T1, forget_removed=True)
    assert result.forgotten_decks == ["other"] and set(read_lock(out).decks) == {"demo"}
    assert "B013" not in codes(build_into(src, out, clock=T1))


OTHER = (
    SOURCE.replace("id: demo", "id: other")
    .replace("Alpha", "Gamma")
    .replace("Beta", "Delta")
    .replace("object buckets", "tape archives")
    .replace("block volumes", "memory pages")
    .replace("per request made", "per tape mounted")
    .replace("per provisioned gigabyte", "per memory hour")
    .replace("Tens of milliseconds", "Hours")
    .replace("Single-digit milliseconds", "Nanoseconds")
)


def test_swapped_ids_stop_the_build_before_anything_is_written(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    write_source(src, "other.md", OTHER)
    build_into(src, out)
    before = snapshot(out)
    (src / "demo.md").write_text(SOURCE.replace("id: demo", "id: other"), "utf-8")
    (src / "other.md").write_text(OTHER.replace("id: other", "id: demo"), "utf-8")
    result = build_into(src, out, clock=T1, clean=False)
    b014 = sorted(d.format() for d in result.errors)
    assert len(b014) == 2 and all(": B014 error: " in m for m in b014), b014
    assert "demo.md:2:1: B014" in b014[0] and "set `id: demo` here" in b014[0]
    assert "other.md:2:1: B014" in b014[1] and "set `id: other` here" in b014[1]
    assert all("Nothing was written" in m for m in b014)
    assert snapshot(out) == before


def test_a_renamed_file_whose_old_name_is_reused_stops_the_build(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    write_source(src, "a.md", SOURCE.replace("id: demo\n", ""))
    (src / "demo.md").unlink()
    build_into(src, out)
    before = snapshot(out)
    (src / "a.md").rename(src / "a2.md")
    write_source(src, "a.md", OTHER.replace("id: other\n", ""))
    result = build_into(src, out, clock=T1, clean=False)
    assert [d.code for d in result.errors] == ["B014"]
    assert "a2.md:" in result.errors[0].format() and "set `id: a` here" in result.errors[0].message
    assert snapshot(out) == before
    # following the advice: a2.md is deck `a` again, the new a.md a deck of its own
    for name, deck_id in (("a2.md", "a"), ("a.md", "fresh")):
        text = (src / name).read_text("utf-8")
        (src / name).write_text(text.replace("---\n", f"---\nid: {deck_id}\n", 1), "utf-8")
    result = build_into(src, out, clock=T1)
    assert sorted(codes(result)) == [] and {d.doc_id: d.new for d in result.decks}["a"] == 0


def test_a_moved_output_folder_reports_no_deleted_source(src: Path, tmp_path: Path) -> None:
    write_source(src, "other.md", OTHER)
    build_into(src, tmp_path / "decks")
    (tmp_path / "elsewhere").mkdir()
    moved = tmp_path / "elsewhere" / "decks"
    (tmp_path / "decks").rename(moved)
    # the lock's paths are relative to its old place: nothing can be said, so nothing is
    result = build_into(src / "demo.md", moved, clock=T1, forget_removed=True)
    assert "B013" not in codes(result) and result.forgotten_decks == []
    assert set(read_lock(moved).decks) == {"demo", "other"}


def test_forgetting_a_deck_does_not_also_warn_about_it(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    write_source(src, "other.md", OTHER)
    build_into(src, out)
    (src / "other.md").unlink()
    result = build_into(src, out, clock=T1, forget_removed=True)
    assert result.forgotten_decks == ["other"] and "B013" not in codes(result)


def test_a_linked_sources_folder_keeps_the_lock_as_it_is(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_into(src, out)
    before = (out / "cardgen.lock").read_bytes()
    real = tmp_path / "elsewhere" / "real-sources"
    real.parent.mkdir()
    src.rename(real)
    src.symlink_to(real, target_is_directory=True)
    build_into(src, out, clock=T1)
    assert (out / "cardgen.lock").read_bytes() == before


def test_following_the_advice_with_other_edits_keeps_the_verdict(src: Path, tmp_path: Path) -> None:
    # rename a.md -> b.md (B012: set `id: a`), then put the id back AND change every note (a
    # new title): the interim deck `b` is the copy (B013), on this build and the next ones
    out = tmp_path / "decks"
    write_source(src, "a.md", SOURCE.replace("id: demo\n", ""))
    (src / "demo.md").unlink()
    build_into(src, out, clock=T0)
    (src / "a.md").rename(src / "b.md")
    assert "B012" in codes(build_into(src, out, clock=T0 + 10))
    text = (src / "b.md").read_text("utf-8").replace("---\n", "---\nid: a\n", 1)
    (src / "b.md").write_text(text.replace("# Demo: Alpha vs Beta", "# Alpha or Beta"), "utf-8")
    for clock in (T1, T1 + 10, T1 + 20):
        result = build_into(src, out, clock=clock)
        assert codes(result) == ["B013"] and "deck 'b'" in result.diagnostics[0].message
