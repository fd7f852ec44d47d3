"""`cardgen watch` end to end: a real `cardgen watch --sync` process, real file edits, a real
Anki collection (issue 17, point 2)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cardgen.watch import sources_to_build
from cardgen.writers.apkg import guid

from .conftest import anki_collection, fixture_text, write_source

pytest.importorskip("watchfiles")
pytest.importorskip("anki.collection")

WAIT = 60.0  # seconds for a line to come (the machine is shared; the bench measures speed)


class Lines:
    """The lines a process prints, read by a thread, waited for with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        stdout = proc.stdout
        threading.Thread(target=lambda: [self.queue.put(x) for x in stdout], daemon=True).start()

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r}; saw:\n{''.join(self.seen)}")


def test_sources_to_build() -> None:
    a, b = Path("s/a.md"), Path("s/b.md")
    assert sources_to_build([b, a, a], lambda p: True) == [a, b]
    assert sources_to_build([a, Path("s/img/x.png")], lambda p: True) is None  # an image
    assert sources_to_build([a], lambda p: False) is None  # a source is gone


@pytest.mark.slow
def test_watch_rebuilds_on_save_keeps_going_after_errors_and_syncs(here: Path) -> None:
    source = write_source(here, "sources/demo.md", fixture_text("build/demo.md"))
    write_source(
        here, "sources/other.md", fixture_text("build/demo.md").replace("id: demo", "id: other")
    )
    with anki_collection(here / "collection.anki2"):
        pass
    apkg = here / "decks" / "demo.apkg"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cardgen", "watch", "--sync", "--collection", "collection.anki2"],
        cwd=here,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = Lines(proc)
    try:
        first = lines.wait_for("Anki: ")
        assert "demo: 17 new" in first and "Anki: 34 new, 0 updated, 0 removed" in first, first
        assert "Backed up the collection to" in "".join(lines.seen)
        lines.wait_for("Watching sources")
        time.sleep(1.1)  # the next build's clock must pass the first one's second
        before = apkg.read_bytes()
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("Pay per request made", "Pay per call made"), "utf-8")
        line = lines.wait_for(" 3 changed")
        assert "demo: 0 new, 3 changed, 0 removed" in line and "other" not in line, line
        assert "Anki: 0 new, 3 updated, 0 removed" in line, line
        assert apkg.read_bytes() != before
        good = apkg.read_bytes()
        source.write_text("---\nid: [demo\n---\n# Broken\n", "utf-8")  # a content error
        line = lines.wait_for("kept the last good outputs")
        assert "sources/demo.md: 1 error(s)" in line, line
        assert any("sources/demo.md:" in seen and "error" in seen for seen in lines.seen[:-1])
        assert apkg.read_bytes() == good
        time.sleep(1.1)
        source.write_text(text.replace("Pay per request made", "Pay per use"), "utf-8")
        line = lines.wait_for(" 3 changed")  # it kept going
        assert "Anki: 0 new, 3 updated" in line, line
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
    lines.wait_for("Stopped watching.")
    assert proc.returncode == 0, "".join(lines.seen)
    assert "Traceback" not in "".join(lines.seen)
    assert "backup" not in "".join(lines.seen[2:]).lower()  # one backup per session
    with anki_collection(here / "collection.anki2") as col:
        nid = col.db.scalar("select id from notes where guid = ?", guid("demo/pricing/compare"))
        assert "Pay per use" in " ".join(col.get_note(nid).fields)
