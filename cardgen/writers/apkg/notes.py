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
from cardgen.cards import MASK, deck_tag, mask_pattern, scenario_question, split_trap
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
    """Where a card comes from: the deck's title and the `source` attribution, with a real " · "
    between them (the Browser and screen readers see the text, not the CSS)."""
    out = f'<span class="cg-title">{render.inline(doc.title)}</span>'
    if doc.source:
        out += f' · <span class="cg-attribution">{render.inline(doc.source)}</span>'
    return out


def note_content(card: Card, doc: Document, media: Mapping[str, str] | None = None) -> NoteContent:
    return _note_content(
        card, _Deck(source_html(doc), scenario_question(doc)), media, render.inline
    )


def note_contents(
    cards: Sequence[Card], doc: Document, media: Mapping[str, str] | None = None
) -> list[NoteContent]:
    """`note_content` of every card of one deck, the same bytes faster: the deck's source line
    is rendered once, and each distinct text once (a row's values appear on several cards)."""
    deck = _Deck(source_html(doc), scenario_question(doc))
    memo: dict[str, str] = {}

    def inline(text: str, media: Mapping[str, str] | None = None) -> str:
        out = memo.get(text)
        if out is None:
            out = memo[text] = render.inline(text, media)
        return out

    return [_note_content(card, deck, media, inline) for card in cards]


@dataclass(frozen=True)
class _Deck:
    source: str  # the Source field of every note
    scenario: str  # what a scenario card asks for ("Which of A or B?")


def _note_content(
    card: Card, deck: _Deck, media: Mapping[str, str] | None, inline: Callable[..., str]
) -> NoteContent:
    """The fields of one card's note. Q/A: Context (a small label above the question), Prompt
    (the question: the note's sort field, so the Browser's Question column), Answer, Extra (the
    row's exam tip; the template labels it) and Source (shown at the bottom of the back)."""
    tags = _tags(card.tags)
    src = deck.source
    if card.kind == "cloze":
        return _cloze_content(card, src, media, inline, tags)
    extra = inline(card.extra, media) if card.extra else ""
    context = _CONTEXT.get(card.kind, "")
    if card.kind == "compare" and card.columns:
        prompt = inline(card.prompt, media)
        answer = render.table([n for n, _ in card.columns], [v for _, v in card.columns], media)
    elif card.kind == "identify":
        prompt, answer = _identify(card, media, inline)
        extra = ""
    elif card.kind == "scenario":
        context = f"Scenario · {render.text(deck.scenario)}"
        prompt, answer = inline(card.prompt, media), inline(card.answer, media)
    else:
        prompt, answer = inline(card.prompt, media), inline(card.answer, media)
    return NoteContent(card.key, "qa", (context, prompt, answer, extra, src), tags)


_MASK_HTML = f'<span class="cg-mask" title="a name">{MASK}</span>'


def _identify(
    card: Card, media: Mapping[str, str] | None, inline: Callable[..., str]
) -> tuple[str, str]:
    """An identify card: the question ("Core Purpose: which of A or B?") is the headline, the
    value with its subjects' names masked is the clue under it; the back names the subject and
    shows the value again with the names filled in."""
    question = f'<div class="cg-headline">{inline(card.extra, media)}</div>'
    clue = inline(card.prompt, media).replace(MASK, _MASK_HTML)
    prompt = f'{question}<div class="cg-clue">{clue}</div>'
    value = next((v for n, v in card.columns if n == card.subject), "")
    answer = inline(card.answer, media)
    if value and MASK in card.prompt:
        filled = _mark_names(inline(value, media), [n for n, _ in card.columns])
        answer += f'<div class="cg-filled">{filled}</div>'
    return prompt, answer


def _mark_names(html_text: str, names: Sequence[str]) -> str:
    """`html_text` with every way it names one of `names` marked (text between tags only)."""
    pattern = mask_pattern(tuple(names))
    if pattern is None:
        return html_text
    parts = re.split(r"(<[^>]*>)", html_text)
    return "".join(
        p if p.startswith("<") else pattern.sub(lambda m: f'<b class="cg-fill">{m[0]}</b>', p)
        for p in parts
    )


def _cloze_content(
    card: Card,
    src: str,
    media: Mapping[str, str] | None,
    inline: Callable[..., str],
    tags: tuple[str, ...],
) -> NoteContent:
    """A trap's cloze note: Text holds its title and the sentences that carry a blank (the sort
    field: the Browser shows the title first); the sentences without one go to Extra, shown on
    the back. Context names the kind of card."""
    blanks, rest = split_trap(card.prompt)
    text, count = render.cloze(blanks or card.prompt, media)
    if count == 0:  # cannot happen for cards from `cards.py`; a cloze note needs a deletion
        text, count = f"{{{{c1::{text}}}}}", 1
    if card.extra:
        text = f'<div class="cg-trap-title">{inline(card.extra, media)}</div>{text}'
    extra = inline(rest, media) if rest and blanks else ""
    return NoteContent(card.key, "cloze", (text, "Exam trap", extra, src), tags, max(count, 1))


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
