"""Fonts beyond the bundled ones, for characters the bundled DejaVu lacks (CJK, Devanagari,
Arabic, ...): the files given with `--font FILE` first, then the fonts installed on the system.

They are searched only when the bundled faces lack a character (a source the bundled fonts
cover is built exactly as before, byte for byte). For each such character the first family that
has it is chosen, the user's files before the system's; among the system's, sans before serif,
proportional before monospaced, and for Han characters the regional forms of the document's
language (Japanese when the source has kana, Korean with hangul, else Simplified Chinese). The
families chosen go to Typst by name after DejaVu, and their files are the only extra fonts Typst
loads. No Typst here: the cmap and name tables are read directly.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cardgen.writers.pdf.glyphs import cmap_chars_at

SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Families the templates already name: a system copy of one (another width, another version)
# would take the bundled faces' place in Typst, so they are never a fallback.
BUNDLED_FAMILIES = frozenset({"DejaVu Sans", "DejaVu Sans Mono"})
_REGIONS = {"ja": " JP", "ko": " KR", "zh": " SC", "zh-hans": " SC", "zh-hant": " TC"}
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")


def system_dirs() -> list[Path]:
    """Where fonts are installed on Linux, macOS and Windows (those that exist)."""
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts"),
        home / "Library/Fonts",
    ]
    windir = os.environ.get("WINDIR")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    return [d for d in dirs if d.is_dir()]


def system_font_files() -> list[Path]:
    """Every font file installed on the system, in a fixed order."""
    out = []
    for d in system_dirs():
        for root, _dirs, files in os.walk(d):
            out += [Path(root) / f for f in files if f.lower().endswith(SUFFIXES)]
    return sorted(set(out))


def fonts_fingerprint(extra: tuple[str, ...]) -> str:
    """Digest of the fonts a PDF build may fall back to (the `--font` files and the system's:
    names, sizes, modification times): part of the build cache's key, so that installing a font
    rebuilds what it could change."""
    h = hashlib.sha256()
    for p in [Path(x) for x in extra] + system_font_files():
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Face:
    path: str
    family: str
    chars: frozenset[int]


def _offsets(data: bytes) -> list[int]:
    """Where each font's table directory starts: one for a .ttf/.otf, several in a collection."""
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        return list(struct.unpack_from(f">{count}I", data, 12))
    return [0]


def _table(data: bytes, base: int, tag: bytes) -> int | None:
    for i in range(struct.unpack_from(">H", data, base + 4)[0]):
        t, _sum, off, _len = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        if t == tag:
            return int(off)
    return None


def _family(data: bytes, base: int) -> str:
    """The face's family name (name ID 16, else 1), from a Windows Unicode record."""
    off = _table(data, base, b"name")
    if off is None:
        return ""
    count, strings = struct.unpack_from(">HH", data, off + 2)
    found: dict[int, str] = {}
    for i in range(count):
        pid, eid, _lang, nid, length, start = struct.unpack_from(">6H", data, off + 6 + 12 * i)
        if nid in (1, 16) and pid == 3 and eid in (0, 1, 10) and nid not in found:
            raw = data[off + strings + start : off + strings + start + length]
            found[nid] = raw.decode("utf-16-be", errors="replace")
    return found.get(16) or found.get(1, "")


@lru_cache(maxsize=256)
def _faces(path: str, size: int, mtime: int) -> tuple[Face, ...]:
    """The faces of one font file (cached by path, size and modification time)."""
    try:
        data = Path(path).read_bytes()
        return tuple(
            Face(path, _family(data, base), cmap_chars_at(data, base)) for base in _offsets(data)
        )
    except (OSError, struct.error, UnicodeError):
        return ()


def faces_of(path: Path) -> tuple[Face, ...]:
    try:
        st = path.stat()
    except OSError:
        return ()
    return _faces(str(path), st.st_size, st.st_mtime_ns)


def language_of(text: str) -> str:
    """The language whose forms Han characters take: "ja" with kana, "ko" with hangul, "zh"
    with Han alone, "" otherwise."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    return "zh" if _HAN.search(text) else ""


class Fallback:
    """The fonts searched after the bundled ones (see the module docstring)."""

    def __init__(self, extra: tuple[str, ...] = (), lang: str = "") -> None:
        self.extra = extra
        self.region = _REGIONS.get(lang.lower(), "")
        self._faces: list[Face] | None = None
        self.chosen: dict[str, None] = {}  # families used, in the order first needed

    def faces(self) -> list[Face]:
        if self._faces is None:
            user = [f for p in self.extra for f in faces_of(Path(p))]
            system = [f for p in system_font_files() for f in faces_of(p)]
            user = [f for f in user if f.family not in BUNDLED_FAMILIES]
            system = [f for f in system if f.family not in BUNDLED_FAMILIES]
            self._faces = user + sorted(system, key=self._rank)
        return self._faces

    def _rank(self, face: Face) -> tuple[int, int, int, str, str]:
        name = face.family
        return (
            0 if self.region and name.endswith(self.region) else 1,
            1 if "Mono" in name else 0,
            1 if "Serif" in name else 0,
            name,
            face.path,
        )

    def family_for(self, ch: str) -> str | None:
        """The first family that has `ch` (and remember it), or None when no font has it."""
        cp = ord(ch)
        for face in self.faces():
            if cp in face.chars and face.family:
                self.chosen.setdefault(face.family, None)
                return face.family
        return None

    def files(self) -> tuple[str, ...]:
        """The files holding the chosen families (all their weights and styles)."""
        wanted = set(self.chosen)
        return tuple(sorted({f.path for f in self.faces() if f.family in wanted}))


def font_dir(files: tuple[str, ...]) -> Path:
    """A folder holding (links to) exactly `files`, for Typst, which searches folders only:
    one per set of files, under the system's temporary folder, made once."""
    digest = hashlib.sha256("\0".join(files).encode()).hexdigest()[:20]
    home = (
        Path(tempfile.gettempdir()) / f"cardgen-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    target = home / digest
    if target.is_dir():
        return target
    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=home))
    for n, f in enumerate(files):
        link = work / f"{n}-{Path(f).name}"
        try:
            link.symlink_to(f)
        except OSError:  # no symlinks (Windows without the privilege): a copy
            shutil.copyfile(f, link)
    try:
        work.rename(target)
    except OSError:  # another process made it first
        shutil.rmtree(work, ignore_errors=True)
    return target
