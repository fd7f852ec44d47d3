"""Cards -> the notes of an Anki package: fields as HTML, tags, media names; no genanki here.

Two note types (`pack.py` defines them): "cardgen Q/A" (forward, identify, compare, scenario
cards) with fields Context, Prompt, Answer, Extra, Source; "cardgen Cloze" (traps) with Text,
Context, Extra, Source. A note's `hash` is what the lock compares between builds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from cardgen import render
from cardgen.cards import deck_tag
from cardgen.model import Card, CardKind, Document, NoteModel

REMOVED_TAG = "cardgen::removed"
_CONTEXT: dict[CardKind, str] = {"compare": "Compare", "scenario": "Scenario"}


# --------------------------------------------------------------------------------------------
# Note contents


@dataclass(frozen=True)
class NoteContent:
    """One note as it goes into the package (fields are HTML)."""

    key: str
    model: NoteModel
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: int = 1  # cards the note makes (cloze deletions)

    @property
    def hash(self) -> str:
        data = json.dumps([self.model, self.fields, self.tags], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def anki_tag(tag: str) -> str:
    """Anki tags are separated by spaces: never one inside a tag."""
    return re.sub(r"[\s\u3000]+", "-", tag.strip()).strip("-")


def _tags(tags: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (anki_tag(x) for x in tags) if t))


def source_html(doc: Document) -> str:
    """Where a card comes from: the deck's title and the `source` attribution."""
    out = f'<span class="cg-title">{render.inline(doc.title)}</span>'
    if doc.source:
        out += f'<span class="cg-attribution">{render.inline(doc.source)}</span>'
    return out


def note_content(card: Card, doc: Document, media: Mapping[str, str] | None = None) -> NoteContent:
    return _note_content(card, source_html(doc), media, render.inline)


def note_contents(
    cards: Sequence[Card], doc: Document, media: Mapping[str, str] | None = None
) -> list[NoteContent]:
    """`note_content` of every card of one deck, the same bytes faster: the deck's source line
    is rendered once, and each distinct text once (a row's values appear on several cards)."""
    src = source_html(doc)
    memo: dict[str, str] = {}

    def inline(text: str, media: Mapping[str, str] | None = None) -> str:
        out = memo.get(text)
        if out is None:
            out = memo[text] = render.inline(text, media)
        return out

    return [_note_content(card, src, media, inline) for card in cards]


def _note_content(
    card: Card, src: str, media: Mapping[str, str] | None, inline: Callable[..., str]
) -> NoteContent:
    tags = _tags(card.tags)
    if card.kind == "cloze":
        text, count = render.cloze(card.prompt, media)
        if count == 0:  # cannot happen for cards from `cards.py`; a cloze note needs a deletion
            text, count = f"{{{{c1::{text}}}}}", 1
        context = inline(card.extra, media) if card.extra else ""
        return NoteContent(card.key, "cloze", (text, context, "", src), tags, max(count, 1))
    prompt = inline(card.prompt, media)
    extra = inline(card.extra, media) if card.extra else ""
    context = _CONTEXT.get(card.kind, "")
    if card.kind == "compare" and card.columns:
        answer = render.table([n for n, _ in card.columns], [v for _, v in card.columns], media)
    else:
        answer = inline(card.answer, media)
    if card.kind == "identify":
        context, extra = extra, ""
    return NoteContent(card.key, "qa", (context, prompt, answer, extra, src), tags)


def tombstone_content(key: str, model: NoteModel, cards: int, doc: Document) -> NoteContent:
    """A note whose fact left the source: it says so and carries the `cardgen::removed` tag.

    It goes into the package without cards (`PackNote.cardless`): where Anki has the note, the
    import updates its fields and tags and its cards stay (showing this text, for cloze notes
    with as many deletions as it ever had); where Anki lacks it (a fresh collection, or after the
    removal step), the import can only add a card-less note, which no study session shows."""
    src = source_html(doc)
    how = (
        "In Anki's browser, search <code>tag:cardgen&#58;&#58;removed</code>, "
        "select all, then Notes › Delete."
    )
    tags = _tags(["cardgen", deck_tag(doc.id), REMOVED_TAG])
    if model == "cloze":
        deletions = " ".join(f"{{{{c{i}::removed}}}}" for i in range(1, max(cards, 1) + 1))
        text = f'<span class="cg-removed">This fact was {deletions} from the source.</span>'
        return NoteContent(key, "cloze", (text, "Removed from the source", how, src), tags, cards)
    prompt = '<span class="cg-removed">This fact was removed from the source.</span>'
    return NoteContent(key, "qa", ("Removed from the source", prompt, how, "", src), tags)


# --------------------------------------------------------------------------------------------
# Media


def media_names(images: Mapping[str, bytes]) -> dict[str, str]:
    """Image reference as written -> packed file name: `cardgen-<sha256 prefix><ext>`, so a changed
    image gets a new name (Anki never keeps a stale file under an old one)."""
    out: dict[str, str] = {}
    for ref, data in images.items():
        ext = PurePosixPath(ref.split("?")[0].split("#")[0]).suffix.lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,5}", ext):
            ext = ""
        out[ref] = f"cardgen-{hashlib.sha256(data).hexdigest()[:20]}{ext}"
    return out
