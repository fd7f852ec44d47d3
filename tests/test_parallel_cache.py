"""Parallel builds and the build cache (issue 7): a parallel build gives the bytes of a serial
one; an unchanged rebuild builds nothing; an edit rebuilds one deck; anything that changes an
output (a tampered file, other options, the lock) makes the deck build again."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cardgen.build import BuildOptions, build
from tests.conftest import ROOT

T0 = 1_700_000_000


def _corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    _corpus().write_corpus(tmp_path / "sources", 4)
    return tmp_path / "sources"


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def run(src: Path, out: Path, cache_dir: Path, **kw) -> object:
    opts = {"output": out, "formats": ("apkg",), "clock": T0, "cache_dir": cache_dir, **kw}
    result = build([src], BuildOptions(**opts))
    assert not result.errors, [d.format() for d in result.diagnostics]
    return result


def test_parallel_build_is_byte_identical_to_serial(src: Path, tmp_path: Path) -> None:
    fmt = ("apkg", "pdf")
    run(src, tmp_path / "serial", tmp_path / "c1", jobs=1, cache=False, formats=fmt)
    run(src, tmp_path / "parallel", tmp_path / "c2", jobs=2, formats=fmt)
    serial, parallel = files(tmp_path / "serial"), files(tmp_path / "parallel")
    assert len(serial) == 3 * 4 + 1
    assert serial == parallel
    assert not [n for n in parallel if n.endswith(".cardgen-tmp")]


def test_unchanged_rebuild_skips_and_edit_rebuilds_one(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    first = run(src, out, cache, jobs=2)
    before = files(out)
    again = run(src, out, cache, jobs=2)
    assert again.written == []
    assert [d.unchanged for d in again.decks] == [d.notes for d in first.decks]
    assert files(out) == before

    edited = sorted(src.glob("*.md"))[1]
    _corpus().edit_source(edited, 1)
    result = run(src, out, cache, jobs=2, clock=T0 + 60)
    assert sorted(p.name for p in result.written) == sorted(
        ["cardgen.lock", f"{result.decks[1].doc_id}.apkg"]
    )
    assert result.decks[1].changed > 0
    # The same state built from scratch without a cache: the same bytes.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "cardgen.lock").write_bytes(before["cardgen.lock"])
    run(src, fresh, tmp_path / "unused", cache=False, clock=T0 + 60)
    assert files(fresh) == files(out)


def test_tampered_output_and_changed_options_rebuild(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    run(src, out, cache)
    good = files(out)
    victim = sorted(out.glob("*.apkg"))[2]
    victim.write_bytes(b"not a deck")
    result = run(src, out, cache)
    assert result.written == [victim]
    assert files(out) == good
    # --check: up to date from the cache; a stale file is named.
    assert run(src, out, cache, check=True).stale == []
    victim.write_bytes(b"stale")
    assert run(src, out, cache, check=True).stale == [victim]
    run(src, out, cache)
    # Other options (here: lint codes ignored) never reuse an entry made without them.
    result = run(src, out, cache, ignore=("L001",))
    assert len(result.decks) == 4 and result.written == []


def test_duplicate_deck_id_is_found_among_cached_sources(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "decks", tmp_path / "cache"
    run(src, out, cache)
    first, second = sorted(src.glob("*.md"))[:2]
    first_id = build([first], BuildOptions(output=tmp_path / "x", check=True, formats=("apkg",)))
    doc_id = first_id.decks[0].doc_id
    text = second.read_text(encoding="utf-8")
    second.write_text(text.replace("---\n", f"---\nid: {doc_id}\n", 1), encoding="utf-8")
    result = build([src], BuildOptions(output=out, formats=("apkg",), cache_dir=cache))
    assert [d.code for d in result.errors] == ["P022"], [d.format() for d in result.diagnostics]
    assert result.written == []


def test_parallel_rebuild_reads_each_deck_of_the_previous_lock(src: Path, tmp_path: Path) -> None:
    # Workers get the previous lock's decks through a temp file, one deck each: the edited
    # decks must come out as changes to their old notes (none new), as a serial build says.
    out, serial = tmp_path / "decks", tmp_path / "serial"
    run(src, out, tmp_path / "cache", jobs=2)
    serial.mkdir()
    (serial / "cardgen.lock").write_bytes((out / "cardgen.lock").read_bytes())
    for edited in sorted(src.glob("*.md"))[1:3]:
        _corpus().edit_source(edited, 1)
    result = run(src, out, tmp_path / "cache", jobs=2, clock=T0 + 60)
    edited_decks = [d for d in result.decks if d.changed]
    assert len(edited_decks) == 2
    assert all(d.new == 0 and d.unchanged == d.notes - d.changed for d in edited_decks)
    run(src, serial, tmp_path / "unused", jobs=1, cache=False, clock=T0 + 60)
    assert files(serial) == files(out)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".cardgen-tmp")]
