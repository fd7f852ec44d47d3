"""A study folder of one's own: `cardgen init` and the settings file `cardgen.toml`.

`cardgen.toml` (or a `[tool.cardgen]` table in `pyproject.toml`) in the current folder or the
nearest folder above it holds the defaults of the commands run there; paths in it are relative
to its own folder, and options given on the command line win. Standard library only (`tomllib`;
on Python 3.10 its backport `tomli`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "cardgen.toml"
PYPROJECT = "pyproject.toml"

# setting -> (kind, what it sets); kinds: "path", "choice:<a>|<b>", "text"
SETTINGS: dict[str, tuple[str, str]] = {
    "sources": ("path", "the folder of the sources (default: sources)"),
    "output": ("path", "the folder of the decks, PDFs and lock file (default: decks)"),
    "paper": ("choice:a4|letter", "paper size of the PDFs (default: a4)"),
    "card-size": ("text", "cut-out card size: a8, a7, a6, a5, index, business or WxH"),
    "anki-profile": ("text", "the Anki profile `sync` and `watch --sync` write to"),
}


@dataclass(frozen=True)
class Settings:
    """The settings in force: from the file, else the defaults (`file` None: no file)."""

    file: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def path(self, name: str, default: Path) -> Path:
        value = self.values.get(name)
        if value is None or self.file is None:
            return default
        return _shown(self.file.parent / value)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return str(value) if value is not None else None


def _shown(path: Path) -> Path:
    """Relative to the current folder (as the user would type it: `../decks` from a folder
    below the settings file); absolute where no relative path leads (another drive)."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve()))
    except ValueError:
        return path.resolve()


def find_settings_file(start: Path | None = None) -> Path | None:
    """`cardgen.toml`, or a `pyproject.toml` with `[tool.cardgen]`, in `start` or above."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and re.search(
            r"^\[tool\.cardgen\]", pyproject.read_text(encoding="utf-8", errors="replace"), re.M
        ):
            return pyproject
    return None


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _check(name: str, value: Any) -> str | None:
    """Why `value` is not a valid `name` (None when it is)."""
    if name not in SETTINGS:
        return f"unknown setting {name!r}; known: {', '.join(SETTINGS)}"
    kind = SETTINGS[name][0]
    if not isinstance(value, str) or not value.strip():
        return f"{name} must be a non-empty string"
    if kind.startswith("choice:") and value.lower() not in kind[7:].split("|"):
        return f"{name} must be one of {kind[7:].replace('|', ', ')}, not {value!r}"
    return None


def load_settings(start: Path | None = None) -> tuple[Settings, list[Diagnostic]]:
    """The settings of the folder `start` (default: the current one); B030 for a bad file."""
    path = find_settings_file(start)
    if path is None:
        return Settings(), []
    shown = str(_shown(path))
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(), [diag(Loc(shown), "B030", f"cannot read the settings: {exc}")]
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return Settings(), [diag(Loc(shown, line, col), "B030", f"not valid TOML: {message}")]
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("cardgen", {})
        data = table if isinstance(table, dict) else {}
    diags = [
        diag(Loc(shown, _line_of(text, k)), "B030", problem)
        for k, v in data.items()
        if (problem := _check(k, v)) is not None
    ]
    if diags:
        return Settings(), diags
    return Settings(path, dict(data)), []


# --------------------------------------------------------------------------------------------
# cardgen init

CONFIG_TEXT = """\
# cardgen settings for this study folder (cardgen's README: "Your own study folder").
# cardgen reads this file in this folder and in every folder below it; paths are relative to
# this file's folder. Options given on the command line win.

sources = "sources"   # your Markdown sources
output = "decks"      # the decks (.apkg), PDFs and the lock file cardgen.lock (commit it)
paper = "a4"          # a4 or letter
card-size = "a7"      # a8, a7, a6, a5, index (3x5in), business, or WxH in mm, cm or in

# The Anki profile that `cardgen sync` and `cardgen watch --sync` write to
# (default: the profile Anki opened last).
# anki-profile = "User 1"
"""

EXAMPLE_NAME = "http-vs-https.md"
EXAMPLE_TEXT = """\
---
id: http-vs-https
deck: Example::HTTP vs HTTPS
tags: [example, web]
source: cardgen's example source; replace it with your own
---

# HTTP vs HTTPS

A short example: each table row becomes cards, each trap a cloze card.

| Feature | HTTP | HTTPS | Exam tip |
|---|---|---|---|
| Default port | 80 | 443 | Ports are asked often |
| Encryption | None: plain text | TLS | |
| Certificate needed | No | Yes, from a certificate authority | |

## Traps

- **Padlock:** the padlock means the connection is **encrypted**, not that the site is **honest**.

## Decision tree

- A login form sends a password? → HTTPS.
"""


@dataclass
class InitResult:
    folder: Path
    made: list[Path] = field(default_factory=list)  # files and folders created
    kept: list[Path] = field(default_factory=list)  # already there, left alone


def init_workspace(folder: Path) -> InitResult:
    """Make a study folder: `cardgen.toml`, `sources/` with one short example (only when
    `sources/` has no Markdown yet), `decks/`. Nothing that exists is overwritten."""
    result = InitResult(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists():
        result.kept.append(config)
    else:
        config.write_text(CONFIG_TEXT, encoding="utf-8")
        result.made.append(config)
    for sub in ("sources", "decks"):
        path = folder / sub
        (result.kept if path.is_dir() else result.made).append(path)
        path.mkdir(exist_ok=True)
    sources = folder / "sources"
    if not any(p.suffix.lower() in (".md", ".markdown") for p in sources.iterdir()):
        example = sources / EXAMPLE_NAME
        example.write_text(EXAMPLE_TEXT, encoding="utf-8")
        result.made.append(example)
    return result
