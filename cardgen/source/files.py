"""Reading one source file safely: bytes on disk -> normalised text, or a P001-P003 diagnostic.

Also the size limits that every source text is held to before markdown-it sees it
(`text_problem`), whether it came from a file or was handed to `parse_text` directly.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc

# Limits that bound time and memory on hostile input (figures in docs/source-format.md#limits).
MAX_SOURCE_BYTES = 1024 * 1024  # 1 MiB, about 70 x the Cognito source
MAX_SOURCE_LINES = 20_000


def read_text(path: Path, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """Read a source as text: BOM stripped, line endings normalised; never raises.

    Only regular files are read (a FIFO or a device would block or never end), and never more
    than `MAX_SOURCE_BYTES` + 1 bytes.
    """
    loc = Loc(shown, 1, 1)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return None, [diag(loc, "P001", "not a regular file")]
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        return None, [diag(loc, "P001", "no such file or directory")]
    except IsADirectoryError:
        return None, [diag(loc, "P001", "is a directory, expected a .md file")]
    except OSError as exc:
        return None, [diag(loc, "P001", f"cannot read file: {exc.strerror or exc}")]
    if len(data) > MAX_SOURCE_BYTES:
        size = max(info.st_size, len(data))
        return None, [
            diag(loc, "P003", f"file is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
        ]
    return _decode(data, shown)


def _decode(data: bytes, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """A file's bytes as normalised text, or P002 when they are binary, UTF-16 or not UTF-8."""
    loc = Loc(shown, 1, 1)
    if b"\x00" in data:
        if looks_utf16(data):
            return None, [diag(loc, "P002", "file is UTF-16 text; save it as UTF-8")]
        return None, [diag(loc, "P002", "file looks binary (contains NUL bytes)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            diag(Loc(shown, line, col), "P002", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        ]
    return normalise_text(text), []


def normalise_text(text: str) -> str:
    """A source's text without its byte-order mark, with every line ending as `\\n`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_utf16(data: bytes) -> bool:
    """A byte-order mark of UTF-16, or text whose every other byte is NUL (ASCII as UTF-16)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    if len(sample) < 4:
        return False
    return any(sample[i::2].count(0) * 10 >= len(sample[i::2]) * 9 for i in (0, 1))


def text_problem(text: str, path: str) -> Diagnostic | None:
    """P003 when a text is over the size limits (checked before markdown-it sees it); P002 when
    it cannot be encoded as UTF-8."""
    loc = Loc(path, 1, 1)
    if len(text) > MAX_SOURCE_BYTES:
        return diag(
            loc,
            "P003",
            f"source is at least {len(text):,} bytes; the limit is {MAX_SOURCE_BYTES:,}",
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate (text decoded with surrogateescape)
        line = text.count("\n", 0, exc.start) + 1
        col = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        return diag(Loc(path, line, col), "P002", "text holds a lone surrogate: not valid Unicode")
    if size > MAX_SOURCE_BYTES:
        return diag(loc, "P003", f"source is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
    lines = text.count("\n") + 1
    if lines > MAX_SOURCE_LINES:
        return diag(loc, "P003", f"source has {lines:,} lines; the limit is {MAX_SOURCE_LINES:,}")
    return None
