"""Memory and time of reading a large lock file (issue 12's budget: a lock of 1,000 decks x 150
notes read with a peak RSS growth under ~60 MB beyond the file's size).

    .venv/bin/python bench/lock_memory.py                  # 1,000 decks x 150 notes
    .venv/bin/python bench/lock_memory.py --decks 100 --notes 150

Writes the lock (version 2, and the same lock as version 1) to a temp folder, then reads each in
a fresh process and reports the peak RSS growth while reading (`ru_maxrss` after reading minus
before, from /proc/self/status: the interpreter and cardgen are imported first), the time, and
the time of what a build then does with every deck (facts, digest, writing it out).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cardgen.lock import DeckLock, Entry, Lock, dumps  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from cardgen import lock as lockmod

def rss():
    # the peak RSS of this process (VmHWM: ru_maxrss would include the parent's, kept across
    # exec on Linux)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

path = Path(sys.argv[1])
before = rss()
start = time.perf_counter()
lock, diags = lockmod.read(path, path.name)
read_s = time.perf_counter() - start
after = rss()
assert lock is not None and not diags, diags
start = time.perf_counter()
facts = sum(len(lock.facts(d)) for d in lock)
digests = len({lock.digest(d) for d in lock})
facts_s = time.perf_counter() - start
start = time.perf_counter()
size = sum(len(c) for c in lockmod.chunks(lock))
write_s = time.perf_counter() - start
print(json.dumps({"decks": len(lock), "growth": after - before, "read_s": read_s,
                  "facts_s": facts_s, "write_s": write_s, "written": size, "facts": facts,
                  "digests": digests}))
"""


def make_lock(decks: int, notes: int) -> Lock:
    """A lock like a build of bench/corpus.py's sources makes: keys of about 90 characters, two
    fact fingerprints a note, 16-digit hashes."""
    lock = Lock({"cardgen": Entry("1c7704a9f0eca2f5", 1795698205)})
    for d in range(decks):
        deck_id = f"synthetic-source-{d:04d}-service-a-vs-service-b"
        entries = {
            f"{deck_id}/attribute-number-{n:03d}/service-a/forward": Entry(
                f"{(d * notes + n) * 7919:016x}",
                1795709405,
                facts=(f"{(d * notes + n) * 104729:016x}", f"{(d * notes + n) * 1299709:016x}"),
            )
            for n in range(notes)
        }
        lock.put(deck_id, DeckLock(entries, since=1795698205, source=f"../sources/{deck_id}.md"))
    return lock


def v1_text(lock: Lock) -> str:
    """The same lock as version 1 (one JSON document; the layout does not matter here)."""

    def entry(e: Entry) -> dict[str, object]:
        return {"hash": e.hash, "mod": e.mod, "facts": list(e.facts)}

    decks = {
        deck_id: {
            "notes": {k: entry(e) for k, e in deck.notes.items()},
            "removed": {},
            "since": deck.since,
            "source": deck.source,
        }
        for deck_id, deck in lock.decks.items()
    }
    models = {name: {"hash": e.hash, "mod": e.mod} for name, e in lock.models.items()}
    doc = {"decks": decks, "format": "cardgen-lock", "models": models, "version": 1}
    return json.dumps(doc, indent=1, ensure_ascii=False)


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decks", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=150)
    args = parser.parse_args()
    lock = make_lock(args.decks, args.notes)
    with tempfile.TemporaryDirectory() as tmp:
        v2 = Path(tmp) / "v2.lock"
        v2.write_bytes(dumps(lock))
        v1 = Path(tmp) / "v1.lock"
        v1.write_text(v1_text(lock), encoding="utf-8")
        del lock
        for name, path in (("version 2", v2), ("version 1 (migration)", v1)):
            size = path.stat().st_size
            r = measure(path)
            print(
                f"{name}: {args.decks} decks x {args.notes} notes, file {size / 1e6:.1f} MB; "
                f"peak RSS growth reading {r['growth'] / 1e6:.1f} MB "
                f"({(r['growth'] - size) / 1e6:+.1f} MB beyond the file); "
                f"read {r['read_s']:.2f} s; "
                f"facts+digest of every deck {r['facts_s']:.2f} s; chunks {r['write_s']:.2f} s"
            )


if __name__ == "__main__":
    main()
