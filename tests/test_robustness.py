"""Nothing lost (issue 8, the output side): a failed build, a build killed while it writes, two
builds into one folder at once, a damaged lock file and an unusable output folder.

Everything runs real `cardgen build` processes (killed with SIGKILL), reads the results back
byte for byte, imports the decks into a real `anki` collection and reads the PDFs with pypdf.
docs/anki.md#safety describes the guarantees tested here.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cardgen import lock as lockmod
from cardgen.fsutil import TMP_SUFFIX
from cardgen.writers.apkg import guid

from .conftest import (
    T0,
    anki_collection,
    anki_import,
    apkg_notes,
    cli,
    fixture_text,
    read_lock,
    snapshot,
)

fcntl = pytest.importorskip("fcntl")  # POSIX: SIGKILL and flock
pypdf = pytest.importorskip("pypdf")
pytest.importorskip("anki.collection")
if TYPE_CHECKING:
    from anki.collection import Collection

# Every test here runs real `cardgen build` processes: killed, side by side, or waiting.
pytestmark = pytest.mark.slow

T1 = T0 + 3_600  # clock of every later build: the same clock twice is the hard case
N_DECKS = 16  # sources in the kill test: 16 .apkg + 32 .pdf + the lock = 49 files
LOCK = lockmod.LOCK_NAME
DECK_TEMPLATE = fixture_text("build/deck-template.md")


# --------------------------------------------------------------------------------------------
# Sources, processes, snapshots


def source(i: int, rev: int) -> str:
    """Deck `i` at revision `rev`: each revision changes one row's value (3 notes, both PDFs)."""
    return DECK_TEMPLATE.format(i=i, rev=rev)


def write_sources(folder: Path, decks: range, rev: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in decks:
        (folder / f"deck-{i:02d}.md").write_text(source(i, rev), encoding="utf-8")


def cardgen(cwd: Path, *args: str, epoch: int = T1, **kw) -> subprocess.Popen:
    """`cardgen ARGS` as a real process (the interpreter running the tests)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "cardgen", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def run_ok(cwd: Path, *args: str, epoch: int = T1) -> str:
    proc = cardgen(cwd, *args, epoch=epoch)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err
    return out


def is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def import_decks(col: Collection, apkgs: Iterable[Path]) -> tuple[int, int, int, int]:
    """Import with Anki's defaults; (new, updated, duplicate, conflicting) over all packages."""
    new = updated = duplicate = conflicting = 0
    for apkg in apkgs:
        log = anki_import(col, apkg)
        new, updated = new + len(log.new), updated + len(log.updated)
        duplicate, conflicting = duplicate + len(log.duplicate), conflicting + len(log.conflicting)
    return new, updated, duplicate, conflicting


def package_mods(data: bytes) -> dict[str, int]:
    """guid -> mod of the notes in .apkg bytes (read with zipfile + sqlite3)."""
    return {g: mod for g, (mod, _tags, _fields) in apkg_notes(data).items()}


def lock_mods(lock: lockmod.Lock, deck_id: str) -> dict[str, int]:
    """guid -> mod of a deck's notes and tombstones as the lock remembers them."""
    deck = lock.decks[deck_id]
    entries = {**deck.notes, **deck.removed}
    return {guid(e.identity or k): e.mod for k, e in entries.items()}


def assert_lock_matches_decks(decks: Path) -> lockmod.Lock:
    """Every deck in the folder carries exactly the notes and mod times the lock records."""
    lock = read_lock(decks)
    apkgs = sorted(decks.glob("*.apkg"))
    assert {p.stem for p in apkgs} == set(lock.decks)
    for p in apkgs:
        assert package_mods(p.read_bytes()) == lock_mods(lock, p.stem), p.name
    return lock


def assert_pdf(data: bytes, i: int) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    assert f"Alpha{i}" in reader.pages[0].extract_text()


# --------------------------------------------------------------------------------------------
# 1. A failed build writes nothing


def test_failed_build_writes_nothing(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources", range(5), rev=1)
    run_ok(tmp_path, "build", "--format", "apkg", epoch=T0)
    before = snapshot(tmp_path / "decks")
    write_sources(tmp_path / "sources", range(5), rev=2)  # every deck changes...
    (tmp_path / "sources" / "deck-03.md").write_text(  # ...and one source is broken
        source(3, 2).replace("| Scaling | Scales out automatically |", "| Scaling |"),
        encoding="utf-8",
    )
    proc = cardgen(tmp_path, "build", "--format", "apkg")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err
    assert "sources/deck-03.md:" in out and "Nothing was written." in out
    assert snapshot(tmp_path / "decks") == before  # decks and lock, byte for byte

    # An error found only while writing (a folder where a deck goes): still nothing written.
    (tmp_path / "sources" / "deck-03.md").write_text(source(3, 2), encoding="utf-8")
    (tmp_path / "decks" / "deck-02.apkg").unlink()
    (tmp_path / "decks" / "deck-02.apkg").mkdir()
    before = snapshot(tmp_path / "decks")
    proc = cardgen(tmp_path, "build", "--format", "apkg")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err
    assert "decks/deck-02.apkg:1:1: B002 error:" in out
    assert snapshot(tmp_path / "decks") == before


# --------------------------------------------------------------------------------------------
# 2. A build killed while it works: every file is the old or the new complete version


@dataclass
class Refs:
    """The same 16 sources at revision 1 (built at T0) and revision 2 (built at T1 on top)."""

    root: Path
    v1: dict[str, bytes]
    v2: dict[str, bytes]


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> Refs:
    root = tmp_path_factory.mktemp("kill-refs")
    write_sources(root / "sources", range(N_DECKS), rev=1)
    run_ok(root, "build", epoch=T0)
    v1 = snapshot(root / "decks")
    write_sources(root / "sources", range(N_DECKS), rev=2)
    run_ok(root, "build", epoch=T1)
    v2 = snapshot(root / "decks")
    assert len(v1) == 3 * N_DECKS + 1 and set(v1) == set(v2)
    assert all(v1[n] != v2[n] for n in v1)  # every file changes: each state is unambiguous
    # Both complete versions are valid: every PDF reads, every deck imports into Anki, the
    # second on top of the first as updates only.
    for version in (v1, v2):
        for i in range(N_DECKS):
            assert_pdf(version[f"deck-{i:02d}.sheet.pdf"], i)
            assert_pdf(version[f"deck-{i:02d}.cards.pdf"], i)
    with anki_collection(root / "collection.anki2") as col:
        for version, expect in ((v1, "new"), (v2, "updated")):
            folder = root / f"import-{expect}"
            folder.mkdir()
            for name, data in version.items():
                (folder / name).write_bytes(data)
            new, updated, _dup, conflicting = import_decks(col, sorted(folder.glob("*.apkg")))
            if expect == "new":
                assert new == col.note_count() and updated == conflicting == 0
            else:  # the Storage row's 3 notes per deck
                assert (new, updated, conflicting) == (0, 3 * N_DECKS, 0)
    return Refs(root, v1, v2)


def _replaced(decks: Path, before: dict[str, int]) -> tuple[int, int]:
    """(outputs replaced since `before`, by inode; temp files present)."""
    replaced = temps = 0
    with os.scandir(decks) as it:
        for e in it:
            if is_temp(e.name):
                temps += 1
            elif before.get(e.name) != e.inode():
                replaced += 1
    return replaced, temps


def _holds_folder(decks: Path) -> bool:
    """True while another process holds the build lock on the folder."""
    fd = os.open(decks, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases a shared lock taken here at once


KILL_POINTS = {
    # name: condition on (replaced files, temp files, build holds the folder)
    "computing": lambda r, t, held, total: held,
    "first write": lambda r, t, held, total: r + t > 0,
    "lock written": lambda r, t, held, total: r > 0,
    "middle": lambda r, t, held, total: r >= total // 2,
    "late": lambda r, t, held, total: r >= total * 3 // 4,
}


def kill_build(ws: Path, point: str, total: int) -> tuple[int, float]:
    """Start `cardgen build` in `ws`, SIGKILL it at `point`; (return code, seconds it ran)."""
    decks = ws / "decks"
    before = {e.name: e.inode() for e in os.scandir(decks)}
    cond = KILL_POINTS[point]
    start = time.monotonic()
    proc = cardgen(ws, "build")
    try:
        while proc.poll() is None:
            replaced, temps = _replaced(decks, before)
            held = point == "computing" and _holds_folder(decks)
            if cond(replaced, temps, held, total):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
            assert time.monotonic() - start < 300
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    return proc.returncode, time.monotonic() - start


def check_state(decks: Path, refs: Refs) -> dict[str, str]:
    """Every output is the previous or the new complete file; the lock parses and is never
    older than a deck; temp files are hidden and named as ours. name -> "old" | "new"."""
    names = os.listdir(decks)
    outputs = [n for n in names if not is_temp(n)]
    assert sorted(outputs) == sorted(refs.v1), "an output is missing or a stray file is visible"
    state = {}
    for name in outputs:
        data = (decks / name).read_bytes()
        assert data in (refs.v1[name], refs.v2[name]), f"{name} is partial or foreign"
        state[name] = "new" if data == refs.v2[name] else "old"
    read_lock(decks)
    if state[LOCK] == "old":
        ahead = [n for n in outputs if n.endswith(".apkg") and state[n] == "new"]
        assert not ahead, f"decks newer than the lock: {ahead}"
    for name in outputs:
        if name.endswith(".apkg"):
            with zipfile.ZipFile(decks / name) as zf:
                assert zf.testzip() is None
    return state


def test_killed_build_leaves_old_or_new_complete_files(refs: Refs, tmp_path: Path) -> None:
    total = len(refs.v1)
    killed_mid_write = 0
    figures = []
    workspaces = []
    for n, point in enumerate(KILL_POINTS):
        ws = tmp_path / f"ws{n}"
        (ws / "decks").mkdir(parents=True)
        write_sources(ws / "sources", range(N_DECKS), rev=2)
        for name, data in refs.v1.items():
            (ws / "decks" / name).write_bytes(data)
        rc, seconds = kill_build(ws, point, total)
        state = check_state(ws / "decks", refs)
        new = sum(1 for s in state.values() if s == "new")
        temps = [n for n in os.listdir(ws / "decks") if is_temp(n)]
        figures.append(f"{point}: rc {rc}, {seconds:.2f} s, {new}/{total} new, {len(temps)} temp")
        if rc == -signal.SIGKILL and 0 < new < total:
            killed_mid_write += 1
        workspaces.append(ws)
    print("kill points:", "; ".join(figures))
    # The test is about kills while writing: at least two of them must have landed there.
    assert killed_mid_write >= 2, figures

    # The apkg files of a mixed state import into Anki (partial files would not).
    mixed = workspaces[3] / "decks"
    with anki_collection(tmp_path / "mixed.anki2") as col:
        new, _updated, _dup, conflicting = import_decks(col, sorted(mixed.glob("*.apkg")))
        assert new == col.note_count() > 0 and conflicting == 0

    # Building again after the kill gives exactly the complete new version, temp files gone
    # (the "lock written" state: the lock is new, most decks old).
    ws = workspaces[2]
    (ws / "decks" / f".deck-00.apkg.x1y2z3{TMP_SUFFIX}").write_bytes(b"left by a kill")
    foreign = {".gitkeep": b"", "notes.tmp": b"mine", ".deck-00.apkg.tmp": b"not cardgen's"}
    for name, data in foreign.items():
        (ws / "decks" / name).write_bytes(data)
    run_ok(ws, "build")
    assert snapshot(ws / "decks") == {**refs.v2, **foreign}  # only cardgen's temp files go


def test_rebuild_after_a_kill_loses_no_update_and_duplicates_nothing(tmp_path: Path) -> None:
    """The user imports whatever a killed build left, edits again and rebuilds with the same
    clock (SOURCE_DATE_EPOCH pinned): every edit must still reach Anki, with no new notes."""
    n = 12
    write_sources(tmp_path / "sources", range(n), rev=1)
    run_ok(tmp_path, "build", "--format", "apkg", epoch=T0)
    decks = tmp_path / "decks"
    with anki_collection(tmp_path / "collection.anki2") as col:
        import_decks(col, sorted(decks.glob("*.apkg")))
        notes = col.note_count()
        write_sources(tmp_path / "sources", range(n), rev=2)
        before = {e.name: e.inode() for e in os.scandir(decks)}
        proc = cardgen(tmp_path, "build", "--format", "apkg", epoch=T1)
        while proc.poll() is None:  # kill once some decks are written, not all
            if _replaced(decks, before)[0] >= 3:  # the lock and two decks
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        proc.communicate(timeout=60)
        written = [p for p in decks.glob("*.apkg") if p.stat().st_ino != before[p.name]]
        assert proc.returncode == -signal.SIGKILL and 0 < len(written) < n, len(written)
        import_decks(col, sorted(decks.glob("*.apkg")))  # the half-built folder

        write_sources(tmp_path / "sources", range(n), rev=3)
        run_ok(tmp_path, "build", "--format", "apkg", epoch=T1)
        assert_lock_matches_decks(decks)
        new, _updated, _dup, conflicting = import_decks(col, sorted(decks.glob("*.apkg")))
        assert (new, conflicting) == (0, 0) and col.note_count() == notes
        storage = [col.get_note(nid) for nid in col.find_notes("revision")]
        assert len(storage) == 3 * n
        stale = [nt.guid for nt in storage if "revision 3" not in " ".join(nt.fields)]
        assert not stale, f"{len(stale)} notes lost their update"


# --------------------------------------------------------------------------------------------
# 3. Two builds into one folder at once


def test_concurrent_builds_are_serialised(tmp_path: Path) -> None:
    # Two different sets of sources into one decks/: the lock must end up with both.
    write_sources(tmp_path / "a", range(0, 8), rev=1)
    write_sources(tmp_path / "b", range(8, 16), rev=1)
    procs = [
        cardgen(tmp_path, "build", "a", "--format", "apkg", epoch=T0),
        cardgen(tmp_path, "build", "b", "--format", "apkg", epoch=T0 + 60),
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    decks = tmp_path / "decks"
    assert not [n for n in os.listdir(decks) if is_temp(n)], (os.listdir(decks), outs)
    lock = assert_lock_matches_decks(decks)
    assert set(lock.decks) == {f"deck-{i:02d}" for i in range(16)}
    with anki_collection(tmp_path / "collection.anki2") as col:
        new, _updated, _dup, conflicting = import_decks(col, sorted(decks.glob("*.apkg")))
        assert new == col.note_count() == 16 * 22 and conflicting == 0

    # Same sources, edited, built twice at once with different clocks: one build writes, the
    # other then finds everything up to date; the lock still matches every deck.
    write_sources(tmp_path / "a", range(0, 8), rev=2)
    procs = [
        cardgen(tmp_path, "build", "a", "--format", "apkg", epoch=T1),
        cardgen(tmp_path, "build", "a", "--format", "apkg", epoch=T1 + 60),
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sum("nothing written" in out for out, _ in outs) >= 1, outs
    lock = assert_lock_matches_decks(decks)
    assert set(lock.decks) == {f"deck-{i:02d}" for i in range(16)}


def test_a_build_waits_for_the_folder_and_says_so(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources", range(2), rev=1)
    decks = tmp_path / "decks"
    decks.mkdir()
    fd = os.open(decks, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another build into decks/ would
    try:
        proc = cardgen(tmp_path, "build", "--format", "apkg")
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert line.startswith("waiting for another cardgen build into decks/"), line
        time.sleep(0.3)
        assert proc.poll() is None and os.listdir(decks) == []
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert_lock_matches_decks(decks)


# --------------------------------------------------------------------------------------------
# 4. A damaged lock file


DAMAGED = {
    # name: words the message must contain; where it points is checked too
    "truncated": "Unterminated string",
    "not a lock": "not a cardgen lock file",
    "wrong types": "must be a whole number of seconds",
    "huge mod": "past the year 30000",
    "huge cloze count": "the limit is",
    "nested too deeply": "nested too deeply",
    "binary": "not UTF-8 text: byte 0xff",
}


def damaged(good: bytes, name: str) -> tuple[bytes, int, int]:
    """The damaged lock `name` made from a good one; (bytes, line, col it must be reported at).
    Entries are damaged in the first note's line, reported where that note's key starts."""
    lines = good.decode("utf-8").split("\n")
    n = next(i for i, ln in enumerate(lines) if '"hash"' in ln)  # the first note entry
    line, col = n + 1, len(lines[n]) - len(lines[n].lstrip()) + 1
    if name == "truncated":  # cut inside the first string of the line, just after its `{`
        return "\n".join(lines[: n + 1]).encode()[: -len(lines[n]) + col + 5], line, col + 1
    if name == "not a lock":
        return b'["cardgen-lock", 1]\n', 1, 1
    if name == "nested too deeply":
        return b"[" * 100_000, 1, 1
    if name == "binary":
        return b'{"decks": \xff\xfe\x00\x01', 1, 11
    if name == "wrong types":
        lines[n] = re.sub(r'"mod": (\d+)', r'"mod": "\1"', lines[n])
    elif name == "huge mod":
        lines[n] = re.sub(r'"mod": (\d+)', '"mod": 99999999999999999', lines[n])
    elif name == "huge cloze count":
        lines[n] = lines[n].replace('{"', '{"cards": 100000000, "model": "cloze", "', 1)
    return "\n".join(lines).encode(), line, col


def test_damaged_lock_is_a_located_error_and_reset_lock_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_sources(tmp_path / "sources", range(2), rev=1)
    run_ok(tmp_path, "build", "--format", "apkg", epoch=T0)
    decks = tmp_path / "decks"
    with anki_collection(tmp_path / "collection.anki2") as col:
        import_decks(col, sorted(decks.glob("*.apkg")))
        notes = col.note_count()
    good = (decks / LOCK).read_bytes()
    monkeypatch.chdir(tmp_path)
    for name, words in DAMAGED.items():
        data, line, col_ = damaged(good, name)
        (decks / LOCK).write_bytes(data)
        before = snapshot(decks)
        result = cli("build", "--format", "apkg")
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), name
        first = result.output.splitlines()[0]
        assert first.startswith(f"decks/{LOCK}:{line}:{col_}: B010 error: "), (name, first)
        assert words in first and "--reset-lock" in first, (name, first)
        assert "Nothing was written." in result.output
        assert snapshot(decks) == before, name

    # A real process on binary garbage: one line, no traceback; then --reset-lock rebuilds.
    (decks / LOCK).write_bytes((decks / "deck-00.apkg").read_bytes())  # a deck copied over it
    proc = cardgen(tmp_path, "build", "--format", "apkg")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err
    assert re.match(rf"decks/{LOCK}:\d+:\d+: B010 error: lock file is damaged \(not UTF-8", out)
    run_ok(tmp_path, "build", "--format", "apkg", "--reset-lock", epoch=T1)
    lock = assert_lock_matches_decks(decks)
    assert {e.mod for d in lock.decks.values() for e in d.notes.values()} == {T1}
    # Every note updated once, none duplicated.
    with anki_collection(tmp_path / "collection.anki2") as col:
        new, updated, _dup, conflicting = import_decks(col, sorted(decks.glob("*.apkg")))
        assert (new, updated, conflicting) == (0, notes, 0) and col.note_count() == notes


# --------------------------------------------------------------------------------------------
# 5. An output folder that cannot be used


def test_output_path_that_is_a_file_or_under_a_file(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources", range(1), rev=1)
    (tmp_path / "notes.txt").write_text("not a folder\n", encoding="utf-8")
    for output, expect in (
        ("notes.txt", "notes.txt:1:1: B001 error: output path exists and is not a folder"),
        ("notes.txt/decks", "notes.txt/decks:1:1: B002 error: cannot create the output folder"),
    ):
        proc = cardgen(tmp_path, "build", "-o", output)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1 and "Traceback" not in err, out + err
        assert out.startswith(expect), out
        assert "Nothing was written." in out
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a folder\n"


def test_output_folder_that_is_not_writable(tmp_path: Path) -> None:
    """Root ignores permissions: as root the folder is made immutable (chattr +i) instead."""
    write_sources(tmp_path / "sources", range(2), rev=1)
    run_ok(tmp_path, "build", "--format", "apkg", epoch=T0)
    decks = tmp_path / "decks"
    write_sources(tmp_path / "sources", range(2), rev=2)
    before = snapshot(decks)
    if os.geteuid() == 0:
        lock_cmd, unlock_cmd = ["chattr", "+i", str(decks)], ["chattr", "-i", str(decks)]
    else:
        lock_cmd, unlock_cmd = ["chmod", "555", str(decks)], ["chmod", "755", str(decks)]
    if shutil.which(lock_cmd[0]) is None or subprocess.run(lock_cmd).returncode != 0:
        pytest.skip(f"cannot make a folder read-only here ({' '.join(lock_cmd[:2])})")
    try:
        for output in ("decks", "decks/sub"):
            proc = cardgen(tmp_path, "build", "--format", "apkg", "-o", output)
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 1 and "Traceback" not in err, out + err
            first = out.splitlines()[0]
            assert first.startswith(f"{output}:1:1: B002 error: "), first
            assert re.search("not writable|Permission denied|not permitted", first), first
            assert snapshot(decks) == before
    finally:
        subprocess.run(unlock_cmd, check=True)
