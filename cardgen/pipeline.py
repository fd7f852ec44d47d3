"""One source, start to end: read -> parse -> cards -> lint -> a writer's input.

Every command goes through here: `check` and `show` stop after linting, `build` (in a worker
process or in this one) goes on to the writers, and later front ends (preview, watch, sync) use
the same steps, so a source means the same thing to all of them. Nothing here prints, writes
files or picks exit codes. Checks that span sources (a deck id used twice, P022) are here too,
written once: `duplicate_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.cards import build_cards
from cardgen.diagnostics import Diagnostic, diag, sort_key
from cardgen.fsutil import display_path
from cardgen.lint import lint
from cardgen.model import Card, Document, Loc
from cardgen.source import discover, name_problem, parse_text, read_text
from cardgen.writers.base import DeckInput


@dataclass
class Checked:
    """One source read, parsed, made into cards and linted."""

    file: Path
    shown: str  # the path as diagnostics name it
    text: str | None = None  # None: the file could not be read
    doc: Document | None = None
    cards: tuple[Card, ...] = ()
    parse_diagnostics: list[Diagnostic] = field(default_factory=list)
    lint_diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.parse_diagnostics + self.lint_diagnostics

    @property
    def ok(self) -> bool:
        """Parsed, and no errors: writers may run."""
        return self.doc is not None and not any(d.is_error for d in self.diagnostics)

    @property
    def id_loc(self) -> Loc | None:
        """Where the deck id was set (front matter `id:`, else the document): P022, B012."""
        return None if self.doc is None else self.doc.meta_loc("id") or self.doc.loc


def parse_source(file: Path, shown: str | None = None) -> Checked:
    """Read and parse one file (no cards, no lint): what `show` needs."""
    name = shown if shown is not None else display_path(file)
    out = Checked(file, name)
    bad_name = name_problem(file, name)
    if bad_name is not None:
        out.parse_diagnostics = [bad_name]
        return out
    text, diags = read_text(file, name)
    out.parse_diagnostics = diags
    if text is None:
        return out
    out.text = text
    doc, more = parse_text(text, name, file.parent)
    out.doc = doc
    out.parse_diagnostics = diags + more
    return out


def check_source(file: Path, shown: str | None = None, ignore: Sequence[str] = ()) -> Checked:
    """Read, parse, build the cards and lint them (`ignore`: lint codes switched off)."""
    out = parse_source(file, shown)
    if out.doc is not None:
        out.cards = tuple(build_cards(out.doc))
        out.lint_diagnostics = lint(out.doc, list(out.cards), ignore)
    return out


def read_images(doc: Document) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The bytes of every image the source references (B003 when one cannot be read)."""
    media: dict[str, bytes] = {}
    diags: list[Diagnostic] = []
    for im in doc.images:
        if im.ref in media:
            continue
        try:
            media[im.ref] = Path(im.path).read_bytes()
        except OSError as exc:
            diags.append(diag(im.loc, "B003", f"cannot read image {im.ref!r}: {exc.strerror}"))
    return media, diags


def deck_input(checked: Checked, media: dict[str, bytes] | None = None) -> DeckInput:
    """What every writer gets for a source that checked `ok`."""
    assert checked.doc is not None and checked.text is not None
    return DeckInput(checked.doc, checked.cards, checked.text, media or {})


def duplicate_ids(
    decks: Iterable[tuple[str, Loc | None, str]],
) -> tuple[list[int], list[Diagnostic]]:
    """P022 across sources: of (deck id, where it was set, source shown) in source order, the
    first source keeps an id; returns the indexes kept and an error for each other one."""
    seen: dict[str, str] = {}
    kept: list[int] = []
    diags: list[Diagnostic] = []
    for i, (doc_id, loc, shown) in enumerate(decks):
        if not doc_id:
            continue
        if doc_id in seen:
            assert loc is not None
            diags.append(
                diag(
                    loc,
                    "P022",
                    f"deck id {doc_id!r} is also used by {seen[doc_id]}; set a unique `id:`",
                )
            )
            continue
        seen[doc_id] = shown
        kept.append(i)
    return kept, diags


@dataclass
class CheckResult:
    checked: list[Checked] = field(default_factory=list)  # sources kept (unique deck ids)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def check(paths: Sequence[Path], ignore: Sequence[str] = ()) -> CheckResult:
    """`cardgen check`: every source under `paths` read, parsed, carded and linted, then the
    checks that span sources; diagnostics sorted."""
    result = CheckResult()
    files, diags = discover(paths)
    result.diagnostics.extend(diags)
    every = [check_source(f, display_path(f), ignore) for f, _root in files]
    kept, dup = duplicate_ids((c.doc.id if c.doc else "", c.id_loc, c.shown) for c in every)
    kept_set = set(kept)
    for i, c in enumerate(every):
        result.diagnostics.extend(c.parse_diagnostics)
        if i in kept_set:
            result.diagnostics.extend(c.lint_diagnostics)
            result.checked.append(c)
    result.diagnostics.extend(dup)
    result.diagnostics.sort(key=sort_key)
    return result
