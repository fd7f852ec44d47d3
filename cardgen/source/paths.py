"""Finding sources: paths given on the command line -> the Markdown files to read (`discover`),
and how a path is named in diagnostics (P004-P007).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc

SOURCE_SUFFIXES = (".md", ".markdown")


def printable_path(name: str) -> str:
    """A path as text that can always be printed: bytes that are not UTF-8 (kept by Python as
    lone surrogates) are shown as `\\xff` escapes."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def name_problem(path: Path, shown: str | None = None) -> Diagnostic | None:
    """P007 when a path's name is not valid UTF-8 (the file's text may be fine, but its name
    becomes the deck id and is printed): the user has to rename it."""
    name = str(path) if shown is None else shown
    for text in (name, str(path)):
        printable = printable_path(text)
        if printable != text:
            return diag(
                Loc(printable_path(name)),
                "P007",
                "file name is not valid UTF-8; rename it (letters, digits, dashes)",
            )
    return None


def not_markdown(path: Path, shown: str | None = None) -> Diagnostic:
    """P006: a file given by name that is not a Markdown source (`.md`, `.markdown`)."""
    return diag(
        Loc(printable_path(str(path) if shown is None else shown)),
        "P006",
        "not a Markdown source: a source's name ends in .md (or .markdown)",
    )


@dataclass
class _Found:
    """What `discover` has found so far: (file, root) pairs, each real file once."""

    pairs: list[tuple[Path, Path]] = field(default_factory=list)
    diags: list[Diagnostic] = field(default_factory=list)
    taken: set[Path] = field(default_factory=set)

    def add(self, f: Path, root: Path, real: Path) -> None:
        if real not in self.taken:
            self.taken.add(real)
            self.pairs.append((f, root))


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """Expand paths into (file, root) pairs: directories give their `*.md` (and `*.markdown`,
    any case) files, sorted, skipping hidden files and folders; a file given by name must be one
    too.

    A file found in a directory that resolves outside it (a symlink out) is an error; so is a
    directory with no sources (P005), a file given by name that is not Markdown (P006) and a
    name that is not valid UTF-8 (P007).

    A file reached twice (named twice, or by name and through its folder) is read once, where it
    was first seen: the same source must not clash with itself (P022).
    """
    found = _Found()
    for p in paths:
        if p.is_dir():
            _from_folder(p, found)
        elif p.exists():
            _from_file(p, found)
        else:
            found.diags.append(
                diag(Loc(printable_path(str(p))), "P001", "no such file or directory")
            )
    return found.pairs, found.diags


def _from_folder(p: Path, found: _Found) -> None:
    """The sources under folder `p` (P001, P004, P007 for those that cannot be read; P005 when
    there are none)."""
    root = p.resolve()
    candidates = sorted(f for f in p.rglob("*.*") if f.suffix.lower() in SOURCE_SUFFIXES)
    seen = 0
    for f in candidates:
        if any(part.startswith(".") for part in f.relative_to(p).parts):
            continue
        seen += 1
        bad_name = name_problem(f)
        if bad_name is not None:
            found.diags.append(bad_name)
            continue
        try:
            real = f.resolve(strict=True)
        except (OSError, RuntimeError):
            found.diags.append(diag(Loc(str(f)), "P001", "cannot be resolved (broken symlink?)"))
            continue
        if root not in real.parents:
            found.diags.append(
                diag(Loc(str(f)), "P004", "source resolves outside its folder (symlink)")
            )
            continue
        found.add(f, p, real)
    if not seen:
        found.diags.append(
            diag(
                Loc(printable_path(str(p))),
                "P005",
                f"no sources found in {printable_path(str(p))} "
                f"(no {' or '.join(SOURCE_SUFFIXES)} files)",
            )
        )


def _from_file(p: Path, found: _Found) -> None:
    """A file given by name, which must be a Markdown source with a UTF-8 name (P006, P007)."""
    bad_name = name_problem(p)
    if bad_name is not None:
        found.diags.append(bad_name)
    elif p.suffix.lower() not in SOURCE_SUFFIXES:
        found.diags.append(not_markdown(p))
    else:
        try:
            real = p.resolve(strict=True)
        except (OSError, RuntimeError):
            real = p.absolute()
        found.add(p, p.parent, real)
