"""`cardgen watch`: rebuild the sources that changed, each time a file is saved.

The only module that imports `watchfiles` (an optional extra, `cardgen[watch]`). It knows which
files matter and which sources a batch of changes touches; the build is `cardgen.build`'s, the
printing and the syncing are the command line's (`on_rebuild`).

Timing: watchfiles gathers the changes of one save (an editor's temp file, rename and chmod)
until `step` ms (50) pass without another, and yields them at the latest after `debounce` ms.
So a single save is seen about 50 ms after it, whatever the debounce; the debounce only bounds
the wait while changes keep coming (a sync tool or an autosaving editor writing on): 300 ms here
instead of watchfiles' 1,600. bench/watch_latency.py measures save -> `.apkg` and -> note.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cardgen.build import BuildOptions, BuildResult, build

SOURCE_SUFFIXES = frozenset({".md", ".markdown"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
DEBOUNCE_MS = 300
STEP_MS = 50


class StopEvent(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class Rebuild:
    """One rebuild: the sources it built, the build's result and its duration."""

    sources: list[Path]
    result: BuildResult
    seconds: float
    first: bool = False  # the build when watching starts


def _roots(paths: Sequence[Path]) -> list[Path]:
    """What to watch: folders as given, a file's own folder."""
    roots = {(p if p.is_dir() else p.parent).resolve() for p in paths}
    return sorted(r for r in roots if not any(o != r and o in r.parents for o in roots))


def _wanted(paths: Sequence[Path], output: Path) -> Callable[[Path], bool]:
    files = {p.resolve() for p in paths if not p.is_dir()}
    folders = [p.resolve() for p in paths if p.is_dir()]
    out = output.resolve()

    def wanted(path: Path) -> bool:
        if out == path or out in path.parents:
            return False
        suffix = path.suffix.lower()
        if path in files:
            return True
        inside = any(f in path.parents for f in folders)
        return inside and (suffix in SOURCE_SUFFIXES or suffix in IMAGE_SUFFIXES)

    return wanted


def sources_to_build(
    changed: Iterable[Path], existing: Callable[[Path], bool]
) -> list[Path] | None:
    """The sources a batch of changed files asks to rebuild: the saved sources themselves, or
    None (rebuild everything) when an image changed or a source is gone."""
    chosen: set[Path] = set()
    for path in changed:
        if path.suffix.lower() not in SOURCE_SUFFIXES or not existing(path):
            return None
        chosen.add(path)
    return sorted(chosen)


def watch(
    paths: Sequence[Path],
    options: BuildOptions,
    on_rebuild: Callable[[Rebuild], None],
    *,
    stop: StopEvent | None = None,
    debounce_ms: int = DEBOUNCE_MS,
    step_ms: int = STEP_MS,
) -> None:
    """Build `paths` once, then again for every batch of saved changes until `stop` is set (or
    Ctrl-C). A build with errors writes nothing, so the last good outputs stay."""
    import watchfiles

    def run(sources: list[Path], first: bool = False) -> None:
        start = time.perf_counter()
        result = build(sources, options)
        on_rebuild(Rebuild(sources, result, time.perf_counter() - start, first))

    run(list(paths), first=True)
    wanted = _wanted(paths, options.output)
    here = Path.cwd()
    for changes in watchfiles.watch(
        *_roots(paths),
        debounce=debounce_ms,
        step=step_ms,
        stop_event=stop,
        raise_interrupt=False,
    ):
        changed = [Path(p) for _, p in changes]
        changed = [p for p in changed if wanted(p)]
        if not changed:
            continue
        chosen = sources_to_build(changed, Path.is_file)
        sources = list(paths) if chosen is None else [_relative(p, here) for p in chosen]
        run(sources)


def rebuild_line(rebuild: Rebuild) -> str:
    """One short line for a rebuild: its time, each changed deck's counts, its duration."""
    from cardgen.fsutil import display_path

    result = rebuild.result
    stamp = time.strftime("%H:%M:%S")
    took = f"({rebuild.seconds:.2f} s)"
    if result.errors:
        names = ", ".join(display_path(p) for p in rebuild.sources)
        return f"{stamp} {names}: {len(result.errors)} error(s); kept the last good outputs {took}"
    parts = [
        f"{d.doc_id}: {d.new} new, {d.changed} changed, {d.removed} removed"
        for d in result.decks
        if rebuild.first or d.new or d.changed or d.removed
    ]
    if not parts:
        parts = [f"{len(result.decks)} deck(s) unchanged"]
    return f"{stamp} " + "; ".join(parts) + f", {len(result.written)} file(s) written {took}"


def _relative(path: Path, base: Path) -> Path:
    """Shown as the user would name it: relative to the current folder when inside it."""
    try:
        return path.relative_to(base)
    except ValueError:
        return path
