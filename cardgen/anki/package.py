"""What a built `.apkg` holds, read back with the standard library: its notes' GUIDs, mod times,
note types and tags (what `sync` compares with the collection before writing anything)."""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REMOVED_TAG = "cardgen::removed"


@dataclass(frozen=True)
class PackageNote:
    guid: str
    mod: int
    mid: int  # note type id
    tags: tuple[str, ...]

    @property
    def removed(self) -> bool:
        """A marker of a fact that left the source (a tombstone)."""
        return REMOVED_TAG in self.tags


def package_notes(apkg: Path) -> dict[str, PackageNote]:
    """guid -> note, for every note in the package."""
    with zipfile.ZipFile(apkg) as zf, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collection.anki2"
        db.write_bytes(zf.read("collection.anki2"))
        con = sqlite3.connect(db)
        try:
            rows = con.execute("select guid, mod, mid, tags from notes").fetchall()
        finally:
            con.close()
    return {
        str(g): PackageNote(str(g), int(m), int(mid), tuple(str(t).split()))
        for g, m, mid, t in rows
    }
