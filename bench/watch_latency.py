"""Latency of `cardgen watch --sync` (issue 17's target): from saving a one-row edit in a
20-row source to (1) the updated `.apkg` on disk (target <= 1 s) and (2) the updated note in a
closed Anki collection (target <= 2 s), medians over several saves.

    .venv/bin/python bench/watch_latency.py                 # 9 saves, watch's debounce (300 ms)
    .venv/bin/python bench/watch_latency.py --debounce 1600 # watchfiles' own default, to compare

One real `cardgen watch --sync --collection` process over a one-source corpus
(`bench/corpus.py`: 20 rows x 3 subjects, 148 cards); each save changes one value of the first
row (`corpus.edit_source`). (1) is the time until the package's bytes change (polled every 5
ms); (2) the time until watch prints its line, which it does after the collection was written
and closed. The collection is checked afterwards to hold the last edit.
"""

from __future__ import annotations

import argparse
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import edit_source, write_corpus  # noqa: E402


def _reader(proc: subprocess.Popen[str], out: queue.Queue[tuple[float, str]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        out.put((time.perf_counter(), line))


def _wait(lines: queue.Queue[tuple[float, str]], text: str, timeout: float = 120) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            at, line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if text in line:
            return at
        if "error" in line.lower():
            raise SystemExit(f"watch said: {line}")
    raise SystemExit(f"no line with {text!r} within {timeout} s")


def measure(work: Path, saves: int, debounce: int) -> tuple[list[float], list[float]]:
    from anki.collection import Collection

    source = write_corpus(work / "sources", 1)[0]
    Collection(str(work / "collection.anki2")).close()
    apkg = work / "decks" / f"{source.stem}.apkg"
    cmd = [sys.executable, "-m", "cardgen", "watch", "--sync", "--collection", "collection.anki2"]
    proc = subprocess.Popen(
        [*cmd, "--debounce", str(debounce)],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=_reader, args=(proc, lines), daemon=True).start()
    to_apkg: list[float] = []
    to_note: list[float] = []
    try:
        _wait(lines, "Watching")
        for revision in range(1, saves + 1):
            time.sleep(1.5)  # a quiet watcher, and the next second on the build's clock
            before = apkg.read_bytes()
            start = time.perf_counter()
            edit_source(source, revision)
            while apkg.read_bytes() == before:
                time.sleep(0.005)
            to_apkg.append(time.perf_counter() - start)
            to_note.append(_wait(lines, "Anki: 0 new, ") - start)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    col = Collection(str(work / "collection.anki2"))
    try:
        hits = col.find_notes(f'"revision {saves}"')
        assert hits, "the last edit is not in the collection"
    finally:
        col.close()
    return to_apkg, to_note


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=9)
    parser.add_argument("--debounce", type=int, default=300, help="watch --debounce, ms")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cardgen-watch-bench-") as tmp:
        to_apkg, to_note = measure(Path(tmp), args.saves, args.debounce)
    for name, values, target in (
        ("save -> .apkg on disk", to_apkg, 1.0),
        ("save -> note in the collection", to_note, 2.0),
    ):
        med = statistics.median(values)
        verdict = "ok" if med <= target else "OVER"
        print(
            f"{name}: median {med:.2f} s (min {min(values):.2f}, max {max(values):.2f}, "
            f"{len(values)} saves; target <= {target:.0f} s: {verdict})"
        )


if __name__ == "__main__":
    main()
