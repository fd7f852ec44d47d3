"""The writer interface: what every output format takes in, gives back and how it reports.

A format is one module (or package) under `cardgen/writers/` with a class that satisfies
`Writer`. The pipeline (`cardgen.pipeline`) reads and checks a source once, then hands every
writer the same `DeckInput`; a writer returns its files as bytes (it never writes to disk: the
build decides what changed and renames files into place) and its diagnostics (B codes), and owns
the escaping of its output syntax. Writers that keep state between builds (the `.apkg` writer
and the lock) receive it when they are made, and return it in `DeckOutput.lock`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from cardgen.diagnostics import Diagnostic
from cardgen.model import Card, Document

if TYPE_CHECKING:
    from cardgen.lock import DeckLock


@dataclass(frozen=True)
class DeckInput:
    """One source, read and checked once: everything a writer may use."""

    doc: Document
    cards: tuple[Card, ...]
    text: str  # the source as read (normalised): writers locate diagnostics in it
    media: Mapping[str, bytes] = field(default_factory=dict)  # image ref -> bytes, read once


@dataclass
class NoteCounts:
    """What an Anki package did to its deck's notes, compared with the lock."""

    notes: int = 0
    cards: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed_keys: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    tombstones: int = 0  # removed notes still carried in the package (tagged cardgen::removed)
    forgotten: int = 0  # tombstones dropped by --forget-removed


@dataclass
class DeckOutput:
    """What one writer made of one deck."""

    files: list[tuple[str, bytes]] = field(default_factory=list)  # (name in the output folder)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    counts: NoteCounts | None = None  # writers of Anki notes only
    lock: DeckLock | None = None  # the deck's new lock entries (writers that keep the lock)
    fixpoint: bool = True  # building again from what this build records gives the same bytes


class Writer(Protocol):
    """An output format."""

    format: ClassVar[str]  # the name `--format` takes: "apkg", "pdf"
    uses_media: ClassVar[bool]  # whether `DeckInput.media` must hold the source's images

    def file_names(self, doc_id: str) -> list[str]:
        """The files this writer makes for a deck, named in the output folder."""
        ...

    def write(self, deck: DeckInput) -> DeckOutput:
        """Make the deck's files in memory; never raises for bad content (diagnostics)."""
        ...
