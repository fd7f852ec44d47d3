"""The facts model: frozen dataclasses, standard library only, nothing about output formats.

Texts are Markdown as written in the source (trimmed, table escapes resolved). Every fact carries
the `Loc` it came from (1-based line and column, from markdown-it-py token maps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

# The card kinds cardgen makes, and the two Anki note types that carry them. Every module names
# kinds through these types (mypy checks the spelling), never through free strings.
CardKind = Literal["forward", "identify", "compare", "cloze", "scenario"]
CARD_KINDS: tuple[CardKind, ...] = get_args(CardKind)
ROW_KINDS: tuple[CardKind, ...] = ("forward", "identify", "compare")  # made from table rows
NoteModel = Literal["qa", "cloze"]  # Anki note type: basic (front/back) or cloze


@dataclass(frozen=True, order=True)
class Loc:
    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Subject:
    name: str
    tagline: str = ""
    id: str = ""  # stable slug: explicit `{#id}` in the header cell, else slug of the name


@dataclass(frozen=True)
class Row:
    attribute: str
    tip: str
    values: tuple[str, ...]  # aligned with Comparison.subjects
    loc: Loc
    id: str = ""  # stable slug: explicit `{#id}` in the attribute cell, else slug of the attribute


@dataclass(frozen=True)
class Comparison:
    subjects: tuple[Subject, ...]
    rows: tuple[Row, ...]
    loc: Loc
    attribute_header: str = ""
    id: str = ""  # slug of the subjects' ids, joined; stable while the subjects stay


@dataclass(frozen=True)
class Trap:
    title: str
    text: str  # Markdown, without the title
    clozes: tuple[str, ...]  # the bold spans to hide, in order (Markdown inside the `**`)
    loc: Loc


@dataclass(frozen=True)
class Scenario:
    prompt: str
    answer: str
    subject: str  # the linked subject's name, or "" when the answer names none
    loc: Loc


@dataclass(frozen=True)
class Note:
    title: str
    text: str
    loc: Loc


@dataclass(frozen=True)
class Image:
    """An image a source references: `ref` as written, `path` resolved on disk."""

    ref: str
    path: str
    loc: Loc


@dataclass(frozen=True)
class Document:
    path: str
    id: str  # stable deck identity: front matter `id`, else the file stem
    title: str
    deck: str  # Anki deck path, `::` separates subdecks
    tags: tuple[str, ...] = ()
    source: str = ""
    description: str = ""
    comparisons: tuple[Comparison, ...] = ()
    traps: tuple[Trap, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    notes: tuple[Note, ...] = ()
    images: tuple[Image, ...] = ()
    lint_ignore: tuple[str, ...] = ()  # lint codes switched off for this file (front matter)
    loc: Loc = field(default_factory=lambda: Loc("", 1, 1))
    # Front matter: where each key was written (also a key whose value was refused), where each
    # `lint_ignore` entry was written (aligned with it), and whether the front matter could not
    # be read at all (then nothing is known about its keys).
    meta_locs: tuple[tuple[str, Loc], ...] = ()
    lint_ignore_locs: tuple[Loc, ...] = ()
    front_matter_error: bool = False

    def meta_loc(self, key: str) -> Loc | None:
        """Where front-matter `key` was written, or None."""
        return next((loc for k, loc in self.meta_locs if k == key), None)


@dataclass(frozen=True)
class Card:
    """One Anki note's worth of content, in Markdown; writers render it.

    `key` is the stable identity (never built from the text of values); `kind` is a
    `CardKind`. For `compare` cards, `columns` holds the (subject name, value) pairs shown side
    by side. For `cloze` cards, `prompt` is the trap text
    whose bold spans are the deletions and `answer` is empty.
    """

    key: str
    kind: CardKind
    prompt: str
    answer: str
    extra: str  # the row tip / trap title / context: Markdown, may be ""
    deck: str
    deck_title: str
    source: str
    tags: tuple[str, ...]
    loc: Loc
    subject: str = ""
    columns: tuple[tuple[str, str], ...] = ()
