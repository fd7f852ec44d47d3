"""Parallel builds and the build cache (issue 7): a parallel build gives the bytes of a serial
one; an unchanged rebuild builds nothing; an edit rebuilds one deck; anything that changes an
output (a tampered file, other options, the lock) makes the deck build again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import corpus

from .conftest import T0, build_into, snapshot

# Every test builds a corpus of 4 sources, most in worker processes (1-8 s each).
pytestmark = pytest.mark.slow


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    corpus.write_corpus(tmp_path / "sources", 4)
    return tmp_path / "sources"


def test_parallel_build_is_byte_identical_to_serial(src: Path, tmp_path: Path) -> None:
    fmt = ("apkg", "pdf")
    build_into(
        src, tmp_path / "serial", cache_dir=tmp_path / "c1", jobs=1, cache=False, formats=fmt
    )
    build_into(src, tmp_path / "parallel", cache_dir=tmp_path / "c2", jobs=2, formats=fmt)
    serial, parallel = snapshot(tmp_path / "serial"), snapshot(tmp_path / "parallel")
    assert len(serial) == 3 * 4 + 1
    assert serial == parallel
    assert not [n for n in parallel if n.endswith(".cardgen-tmp")]


def test_unchanged_rebuild_skips_and_edit_rebuilds_one(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    first = build_into(src, out, cache_dir=cache, jobs=2)
    before = snapshot(out)
    again = build_into(src, out, cache_dir=cache, jobs=2)
    assert again.written == []
    assert [d.unchanged for d in again.decks] == [d.notes for d in first.decks]
    assert snapshot(out) == before

    edited = sorted(src.glob("*.md"))[1]
    corpus.edit_source(edited, 1)
    result = build_into(src, out, cache_dir=cache, jobs=2, clock=T0 + 60)
    assert sorted(p.name for p in result.written) == sorted(
        ["cardgen.lock", f"{result.decks[1].doc_id}.apkg"]
    )
    assert result.decks[1].changed > 0
    # The same state built from scratch without a cache: the same bytes.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "cardgen.lock").write_bytes(before["cardgen.lock"])
    build_into(src, fresh, cache_dir=tmp_path / "unused", cache=False, clock=T0 + 60)
    assert snapshot(fresh) == snapshot(out)


def test_tampered_output_and_changed_options_rebuild(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    build_into(src, out, cache_dir=cache)
    good = snapshot(out)
    victim = sorted(out.glob("*.apkg"))[2]
    victim.write_bytes(b"not a deck")
    result = build_into(src, out, cache_dir=cache)
    assert result.written == [victim]
    assert snapshot(out) == good
    # --check: up to date from the cache; a stale file is named.
    assert build_into(src, out, cache_dir=cache, check=True).stale == []
    victim.write_bytes(b"stale")
    assert build_into(src, out, cache_dir=cache, check=True).stale == [victim]
    build_into(src, out, cache_dir=cache)
    # Other options (here: lint codes ignored) never reuse an entry made without them.
    result = build_into(src, out, cache_dir=cache, ignore=("L001",))
    assert len(result.decks) == 4 and result.written == []


def test_duplicate_deck_id_is_found_among_cached_sources(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    build_into(src, out, cache_dir=cache)
    first, second = sorted(src.glob("*.md"))[:2]
    first_id = build_into(first, tmp_path / "x", clock=None, check=True)
    doc_id = first_id.decks[0].doc_id
    text = second.read_text(encoding="utf-8")
    second.write_text(text.replace("---\n", f"---\nid: {doc_id}\n", 1), encoding="utf-8")
    result = build_into(src, out, clock=None, clean=False, cache_dir=cache)
    assert [d.code for d in result.errors] == ["P022"], [d.format() for d in result.diagnostics]
    assert result.written == []


def test_parallel_rebuild_reads_each_deck_of_the_previous_lock(src: Path, tmp_path: Path) -> None:
    # Workers get the previous lock's decks through a temp file, one deck each: the edited
    # decks must come out as changes to their old notes (none new), as a serial build says.
    out, serial = tmp_path / "decks", tmp_path / "serial"
    build_into(src, out, cache_dir=tmp_path / "cache", jobs=2)
    serial.mkdir()
    (serial / "cardgen.lock").write_bytes((out / "cardgen.lock").read_bytes())
    for edited in sorted(src.glob("*.md"))[1:3]:
        corpus.edit_source(edited, 1)
    result = build_into(src, out, cache_dir=tmp_path / "cache", jobs=2, clock=T0 + 60)
    edited_decks = [d for d in result.decks if d.changed]
    assert len(edited_decks) == 2
    assert all(d.new == 0 and d.unchanged == d.notes - d.changed for d in edited_decks)
    build_into(src, serial, cache_dir=tmp_path / "unused", jobs=1, cache=False, clock=T0 + 60)
    assert snapshot(serial) == snapshot(out)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".cardgen-tmp")]
