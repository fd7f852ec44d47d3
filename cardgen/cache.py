"""The build cache: which sources a build may skip because their outputs are already built.

Per output folder, one JSON file in `$XDG_CACHE_HOME/cardgen/builds/` (default ~/.cache): for
each source (as named in diagnostics) the key of everything its outputs depend on — cardgen's
version and a digest of its own code, templates and fonts, the build options, the note types'
lock entry, the source's path and bytes — plus the digests of the images it used, of its deck's
entries in the lock as this build wrote them, and of each output file as written (`Entry`).
A later build skips the source only when all of these still match: the key, every image, the
deck's lock entries, and every output file on disk (hashed again). The cache is never needed for
correctness: delete it, or build with `--no-cache`, and every source is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cardgen.diagnostics import Diagnostic, Severity
from cardgen.fsutil import file_sha
from cardgen.model import Loc

CACHE_FORMAT = "cardgen-build-cache"
CACHE_VERSION = 1

Image = tuple[str, str, str]  # (path as the source gives it, resolved path, sha256)
Output = tuple[str, str, int]  # (file name in the output folder, sha256, size)


@dataclass(frozen=True)
class Entry:
    """What a build remembers of one source whose outputs are on disk as it built them."""

    key: str
    doc_id: str
    deck: str
    loc: Loc  # where the deck id was set
    deck_lock: str  # digest of the deck's lock entries ("": no .apkg built)
    load_diags: tuple[Diagnostic, ...]
    write_diags: tuple[Diagnostic, ...]
    outputs: tuple[Output, ...]
    report_outputs: tuple[str, ...]  # file names the build reports for the deck
    images: tuple[Image, ...]
    notes: int
    cards: int
    tombstones: int

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "doc_id": self.doc_id,
            "deck": self.deck,
            "loc": [self.loc.path, self.loc.line, self.loc.col],
            "deck_lock": self.deck_lock,
            "load_diags": [_diag_json(d) for d in self.load_diags],
            "write_diags": [_diag_json(d) for d in self.write_diags],
            "outputs": [list(o) for o in self.outputs],
            "report_outputs": list(self.report_outputs),
            "images": [list(im) for im in self.images],
            "notes": self.notes,
            "cards": self.cards,
            "tombstones": self.tombstones,
        }

    @classmethod
    def from_json(cls, e: Any) -> Entry | None:
        """An entry read back; None when it is not one (a damaged or older cache)."""
        try:
            images = tuple((str(a), str(b), str(c)) for a, b, c in e["images"])
            outputs = tuple((str(n), str(s), int(z)) for n, s, z in e["outputs"])
            if any(name != Path(name).name for name, _, _ in outputs):
                return None
            return cls(
                key=str(e["key"]),
                doc_id=str(e["doc_id"]),
                deck=str(e["deck"]),
                loc=Loc(*e["loc"]),
                deck_lock=str(e["deck_lock"]),
                load_diags=tuple(_diag_from(d) for d in e["load_diags"]),
                write_diags=tuple(_diag_from(d) for d in e["write_diags"]),
                outputs=outputs,
                report_outputs=tuple(str(n) for n in e["report_outputs"]),
                images=images,
                notes=int(e["notes"]),
                cards=int(e["cards"]),
                tombstones=int(e["tombstones"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _diag_json(d: Diagnostic) -> list[object]:
    return [d.loc.path, d.loc.line, d.loc.col, d.code, d.message, d.severity.value]


def _diag_from(item: Any) -> Diagnostic:
    path, line, col, code, message, severity = item
    return Diagnostic(Loc(path, line, col), code, message, Severity(severity))


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Digest of cardgen's version and of every file of the package (code, templates, CSS,
    fonts): any change to cardgen invalidates every cached deck."""
    import cardgen

    root = Path(cardgen.__file__).resolve().parent
    h = hashlib.sha256(f"cardgen {cardgen.__version__}\n".encode())
    for p in sorted(root.rglob("*")):
        if "__pycache__" in p.parts or not p.is_file() or p.suffix in (".pyc", ".pyo"):
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def options_fingerprint(**options: object) -> str:
    """Digest of cardgen's code and of the build options that shape every output."""
    text = json.dumps([code_fingerprint(), options], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_home(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "cardgen" / "builds"


class BuildCache:
    def __init__(self, path: Path, folder: str, entries: dict[str, Entry]) -> None:
        self.path = path
        self.folder = folder
        self.entries = entries

    @classmethod
    def open(cls, out_dir: Path, cache_dir: Path | None = None) -> BuildCache | None:
        try:
            where = str(out_dir.resolve())
            name = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:24]
            path = _cache_home(cache_dir) / f"{name}.json"
        except (OSError, RuntimeError):
            return None
        entries: dict[str, Entry] = {}
        try:
            data = json.loads(path.read_bytes())
            if (
                isinstance(data, dict)
                and data.get("format") == CACHE_FORMAT
                and data.get("version") == CACHE_VERSION
                and data.get("folder") == where
                and isinstance(data.get("entries"), dict)
            ):
                for shown, raw in data["entries"].items():
                    entry = Entry.from_json(raw)
                    if entry is not None:
                        entries[shown] = entry
        except (OSError, ValueError, RecursionError):
            pass
        return cls(path, where, entries)

    @staticmethod
    def source_key(file: Path, shown: str, options_fp: str) -> str | None:
        """Key of one source (None: not a regular file; it is built, and reports why)."""
        try:
            st = os.stat(file)
            if not stat.S_ISREG(st.st_mode):
                return None
            data = file.read_bytes()
            resolved = str(file.resolve())
        except (OSError, RuntimeError):
            return None
        h = hashlib.sha256(options_fp.encode())
        h.update(json.dumps([shown, resolved], ensure_ascii=False).encode("utf-8", "replace"))
        h.update(hashlib.sha256(data).digest())
        return h.hexdigest()

    def lookup(
        self,
        sources: list[tuple[str, str | None]],
        deck_digest: Callable[[str], str],
        out_dir: Path,
    ) -> list[Entry | None]:
        """The valid entry of each (shown, key), or None: the source must be built. Valid: same
        key, same lock entries for its deck, and every image and output still hashes as
        recorded."""
        candidates: list[Entry | None] = []
        for shown, key in sources:
            e = self.entries.get(shown) if key is not None else None
            ok = (
                e is not None
                and e.key == key
                and (not e.deck_lock or e.deck_lock == deck_digest(e.doc_id))
            )
            candidates.append(e if ok else None)

        def verify(e: Entry | None) -> bool:
            return e is not None and _on_disk(e, out_dir)

        with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
            valid = list(pool.map(verify, candidates))
        return [e if ok else None for e, ok in zip(candidates, valid)]

    def save(self, entries: dict[str, Entry]) -> None:
        if entries == self.entries:
            return
        data = {
            "format": CACHE_FORMAT,
            "version": CACHE_VERSION,
            "folder": self.folder,
            "entries": {shown: e.to_json() for shown, e in entries.items()},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".cache.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written only costs time


def _on_disk(e: Entry, out_dir: Path) -> bool:
    """Every image and output of an entry still hashes as recorded."""
    try:
        for path, resolved, sha in e.images:
            if str(Path(path).resolve()) != resolved or file_sha(Path(path)) != sha:
                return False
        for name, sha, size in e.outputs:
            p = out_dir / name
            st = os.stat(p)
            if not stat.S_ISREG(st.st_mode) or st.st_size != size or file_sha(p) != sha:
                return False
    except (OSError, RuntimeError, TypeError, ValueError):
        return False
    return True
