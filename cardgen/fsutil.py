"""Files on disk: atomic writes, durable renames, the output folder's lock, temp-file cleanup.

Every output cardgen writes goes through a hidden temp file beside it
(`.<name>.<random>.cardgen-tmp`) that is made durable and then renamed into place, so a killed
or failed build never leaves a half-written file; a later build removes the temp files that a
killed one left behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

if sys.platform != "win32":
    import fcntl

TMP_SUFFIX = ".cardgen-tmp"


def display_path(path: Path) -> str:
    """How a path is named in diagnostics: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def temp_beside(path: Path) -> tuple[int, str]:
    """A new hidden temp file in `path`'s folder, named after it: (descriptor, path)."""
    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write via a temp file in the same folder, then `os.replace`: never a half-written file."""
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                fh.writelines(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit_temp(tmp: str, path: Path) -> None:
    """Make a temp file (written by a worker, not yet synced) durable, then rename it over
    `path`."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def sync_dir(folder: Path) -> None:
    """Make the renames in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path, keep: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    """Remove the temp files that killed builds left in `folder` (only while holding its lock:
    then no other build is writing them), except this build's own (`keep`: file names);
    returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name in keep:
            continue
        if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX):
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def lock_folder(
    folder: Path, exclusive: bool, on_wait: Callable[[Path], None] | None
) -> int | None:
    """An advisory lock (flock) on the folder itself: exclusive for a build, shared for
    `--check`; no extra file. Returns the descriptor that holds it (closing it releases it), or
    None where flock is unavailable (Windows, some network file systems)."""
    if sys.platform == "win32":  # pragma: no cover - builds into one folder are not serialised
        return None
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    for _ in range(10):
        fd = os.open(folder, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(folder)
                    on_wait = None
                fcntl.flock(fd, mode)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return None
            raise
        try:
            same = os.stat(folder).st_ino == os.fstat(fd).st_ino
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)  # the folder was removed or replaced while we waited: lock the new one
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
    raise OSError(errno.EAGAIN, "the folder keeps being replaced")


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def file_sha(path: Path) -> str:
    """sha256 of a file's bytes, "" when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


def holds(path: Path, chunks: Iterable[bytes]) -> bool:
    """Whether the file at `path` holds exactly these bytes (compared piece by piece: the lock
    of 1,000 decks is 23 MB, and neither it nor the file is read whole)."""
    try:
        with open(path, "rb") as fh:
            for chunk in chunks:
                if fh.read(len(chunk)) != chunk:
                    return False
            return fh.read(1) == b""
    except OSError:
        return False
