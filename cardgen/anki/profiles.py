"""Where Anki keeps a profile's collection, found the way Anki desktop finds it; standard library
only.

Anki's base folder holds one folder per profile (`<base>/<profile>/collection.anki2`) and
`prefs21.db`, an SQLite file whose table `profiles` maps each profile name (and `_global`) to a
pickled dict; `_global`'s key `last_loaded_profile_name` names the profile opened last
(ankitects/anki, `qt/aqt/profiles.py`). The base folder: `$ANKI_BASE` when set (as Anki's own
`-b`/`ANKI_BASE`), else per platform:

- Linux and other Unixes: `$XDG_DATA_HOME/Anki2`, by default `~/.local/share/Anki2`;
- macOS: `~/Library/Application Support/Anki2`;
- Windows: `%APPDATA%\\Anki2`.
"""

from __future__ import annotations

import io
import os
import pickle
import sqlite3
import sys
from pathlib import Path
from typing import Any

COLLECTION_FILE = "collection.anki2"
PREFS_FILE = "prefs21.db"


class ProfileError(Exception):
    """No collection can be named: the message says what to pass instead."""


def base_folder(env: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """Anki's base folder on this machine (or on `platform`, for tests)."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if env.get("ANKI_BASE"):
        return Path(env["ANKI_BASE"])
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Anki2"
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Anki2"
    data = env.get("XDG_DATA_HOME")
    return (Path(data) if data else home / ".local" / "share") / "Anki2"


class _Inert:
    """Stands in for any class a pickled profile names (window geometry and the like): the
    values cardgen reads are plain strings, and nothing in the file is ever run."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __setstate__(self, state: object) -> None:
        pass


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return _Inert


def _load(blob: bytes) -> dict[str, Any]:
    try:
        value = _SafeUnpickler(io.BytesIO(blob)).load()
    except Exception:  # a damaged or foreign entry: as if empty
        return {}
    return value if isinstance(value, dict) else {}


def read_prefs(base: Path) -> tuple[list[str], str | None]:
    """The profile names in `base/prefs21.db` and the one loaded last (None when unknown)."""
    path = base / PREFS_FILE
    if not path.is_file():
        return [], None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("select name, cast(data as blob) from profiles").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise ProfileError(f"cannot read Anki's profile list {path}: {exc}") from exc
    names = sorted(str(n) for n, _ in rows if n != "_global")
    last = None
    for name, data in rows:
        if name == "_global" and isinstance(data, bytes):
            value = _load(data).get("last_loaded_profile_name")
            last = value if isinstance(value, str) else None
    return names, last


def find_collection(profile: str | None = None, base: Path | None = None) -> Path:
    """The collection file of `profile` (default: the profile Anki loaded last)."""
    base = base or base_folder()
    names, last = read_prefs(base)
    if not names:
        names = sorted(p.parent.name for p in base.glob(f"*/{COLLECTION_FILE}"))
    if not names:
        raise ProfileError(
            f"no Anki profile found in {base}; start Anki once, or give the collection "
            "with --collection PATH"
        )
    if profile is None:
        if last in names:
            profile = last
        elif len(names) == 1:
            profile = names[0]
        else:
            raise ProfileError(
                f"which Anki profile? Found {', '.join(names)}; give one with --profile NAME"
            )
    match = [n for n in names if n.casefold() == profile.casefold()]  # Anki: collate nocase
    if not match:
        raise ProfileError(f"no Anki profile {profile!r} in {base} (found: {', '.join(names)})")
    path = base / match[0] / COLLECTION_FILE
    if not path.is_file():
        raise ProfileError(
            f"profile {match[0]!r} has no collection yet ({path}); open it in Anki once"
        )
    return path
