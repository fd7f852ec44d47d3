"""Facts -> cards. Pure functions, one builder per kind of fact; no I/O, no third-party imports.

A card's `key` is its identity in Anki (the writer derives the note GUID from it). Keys are built
from slugs of the deck id, the row id (attribute or explicit `{#id}`), the subject id and the card
kind -- never from the text of a value -- so editing a value updates the same note.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from cardgen.model import (
    CARD_KINDS,
    Card,
    CardKind,
    Comparison,
    Document,
    Row,
    Scenario,
    Subject,
    Trap,
)
from cardgen.text import sentences, slugify

KINDS = CARD_KINDS
# What an identify card shows where its value names a subject: a row of empty boxes reads as "a
# name goes here", unlike Anki's own cloze marker `[...]`, and, unlike a word such as "this
# service", it never reads as part of the sentence. DejaVu (the PDF font) has the glyph.
MASK = "▢▢▢"
BARE_ANSWERS = frozenset(
    {"yes", "no", "none", "n/a", "na", "-", "—", "true", "false", "x", "✓", "✗"}
)
_WORD = re.compile(r"\w", re.UNICODE)


def tag(text: str) -> str:
    """An Anki tag: no spaces (they separate tags), no empty parts."""
    return re.sub(r"\s+", "-", text.strip()).strip("-") or "untagged"


def normalise_value(value: str) -> str:
    """Value reduced for equality: no emphasis, no punctuation at the ends, folded case."""
    v = re.sub(r"[*_`]", "", value).strip().lower()
    return re.sub(r"\s+", " ", v).strip(" .;:!")


def is_bare(value: str) -> bool:
    """A bare YES / NO / None answer (alone, without explanation)."""
    return normalise_value(value) in BARE_ANSWERS


def name_variants(name: str) -> list[str]:
    """Ways a text may name a subject: the name, its singular, and its trailing multi-word parts
    ("Cognito User Pools" -> "User Pools", "User Pool")."""
    words = name.split()
    variants: set[str] = set()
    for start in range(len(words)):
        tail = words[start:]
        if start and len(tail) < 2:
            break
        phrase = " ".join(tail)
        variants.add(phrase)
        if phrase.lower().endswith("s") and len(phrase) > 3:
            variants.add(phrase[:-1])
    return sorted(variants, key=len, reverse=True)


def mask_subjects(text: str, subjects: Sequence[Subject]) -> str:
    """Replace every way `text` names one of `subjects` with a mask."""
    pattern = mask_pattern(tuple(s.name for s in subjects))
    return pattern.sub(MASK, text) if pattern else text


@lru_cache(maxsize=256)
def mask_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The pattern of every way to name one of `names`; one compiled pattern per set of subject
    names (a table's rows share it)."""
    variants = sorted({v for n in names for v in name_variants(n)}, key=len, reverse=True)
    if not variants:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(v) for v in variants) + r")(?!\w)", re.IGNORECASE
    )


def names_subject(text: str, subject: Subject) -> bool:
    return mask_subjects(text, [subject]) != text


def identify_reason(row: Row, index: int, subjects: Sequence[Subject]) -> str:
    """Why the identify card for `row.values[index]` is not made, or "" when it is answerable."""
    value = row.values[index]
    if not value.strip():
        return "the value is empty"
    if is_bare(value):
        return "the value is a bare YES / NO / None"
    mine = normalise_value(value)
    if any(normalise_value(v) == mine for j, v in enumerate(row.values) if j != index):
        return "another subject has the same value"
    masked = mask_subjects(value, subjects)
    left = masked.replace(MASK, "")
    if len(_WORD.findall(left)) < 3:
        return "the value is little more than the subject's name"
    return ""


def _row_keys(doc: Document) -> dict[tuple[int, int], str]:
    """Key part per (comparison index, row index): the row id, prefixed by the comparison id when
    two tables of one document share a row id."""
    counts = Counter(r.id for c in doc.comparisons for r in c.rows)
    keys: dict[tuple[int, int], str] = {}
    for ci, comp in enumerate(doc.comparisons):
        for ri, row in enumerate(comp.rows):
            keys[(ci, ri)] = f"{comp.id}/{row.id}" if counts[row.id] > 1 else row.id
    return keys


def deck_tag(deck_id: str) -> str:
    """The tag every note of a deck carries: under `cardgen::deck::`, so that no subject or
    front-matter tag can be the same (`tag:cardgen::deck::<id>` finds exactly that deck's)."""
    return f"cardgen::deck::{tag(deck_id)}"


def _base_tags(doc: Document) -> tuple[str, ...]:
    return ("cardgen", deck_tag(doc.id), *(tag(t) for t in doc.tags))


def _subject_id(doc: Document, name: str) -> str:
    """The subject's id (its `{#id}` when it has one: a tag that survives renaming it)."""
    for comp in doc.comparisons:
        for subject in comp.subjects:
            if subject.name == name:
                return subject.id
    return slugify(name)


def _card(
    doc: Document,
    key: str,
    kind: CardKind,
    prompt: str,
    answer: str,
    extra: str,
    loc_source: Row | Trap | Scenario,
    subject: str = "",
    columns: tuple[tuple[str, str], ...] = (),
) -> Card:
    tags = list(_base_tags(doc))
    if subject:
        tags.append(tag(_subject_id(doc, subject)))
    tags.append(kind)
    return Card(
        key=f"{doc.id}/{key}",
        kind=kind,
        prompt=prompt,
        answer=answer,
        extra=extra,
        deck=doc.deck,
        deck_title=doc.title,
        source=doc.source,
        tags=tuple(dict.fromkeys(tags)),
        loc=loc_source.loc,
        subject=subject,
        columns=columns,
    )


def comparison_cards(doc: Document, comp: Comparison, row_keys: dict[int, str]) -> list[Card]:
    cards: list[Card] = []
    names = [s.name for s in comp.subjects]
    for ri, row in enumerate(comp.rows):
        rkey = row_keys[ri]
        for si, subject in enumerate(comp.subjects):
            value = row.values[si]
            if not value.strip():
                continue
            cards.append(
                _card(
                    doc,
                    f"{rkey}/{subject.id}/forward",
                    "forward",
                    f"{subject.name} — {row.attribute}?",
                    value,
                    row.tip,
                    row,
                    subject.name,
                )
            )
            if not identify_reason(row, si, comp.subjects):
                cards.append(
                    _card(
                        doc,
                        f"{rkey}/{subject.id}/identify",
                        "identify",
                        mask_subjects(value, comp.subjects),
                        subject.name,
                        f"{row.attribute}: which of {one_of(names)}?",
                        row,
                        subject.name,
                        columns=tuple(zip(names, row.values)),
                    )
                )
        if len(comp.subjects) > 1 and any(v.strip() for v in row.values):
            columns = tuple(zip(names, row.values))
            cards.append(
                _card(
                    doc,
                    f"{rkey}/compare",
                    "compare",
                    f"{row.attribute}: {' vs '.join(names)}",
                    "\n".join(f"{n}: {v}" for n, v in columns),
                    row.tip,
                    row,
                    columns=columns,
                )
            )
    return cards


def one_of(names: Sequence[str]) -> str:
    """ "A or B", "A, B or C": the choices a question offers."""
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def scenario_question(doc: Document) -> str:
    """What a scenario card asks for: "Which of A or B?" over the document's subjects (", or
    both?" when some scenario's answer links to no single subject), else "Which one?"."""
    names = list(dict.fromkeys(s.name for c in doc.comparisons for s in c.subjects))
    if not names:
        return "Which one?"
    if len(names) == 1:
        return f"{names[0]}: yes or no?"
    both = any(not s.subject for s in doc.scenarios)
    more = ("both" if len(names) == 2 else "several") if both else ""
    return f"Which of {one_of(names + [more] if more else names)}?"


_REFERS_BACK = re.compile(
    r"^\W*(?:\w+\W+){0,5}?(?:this|that|these|those|it|they|them|such|the answer)\b", re.I
)


def split_trap(text: str) -> tuple[str, str]:
    """A trap's text as (the sentences that carry a bold cloze span, the other sentences), each
    in source order, Markdown kept. A span that runs over a sentence end keeps both sentences;
    a sentence with a blank that refers back in its first words ("You MUST exchange that
    token…", "The answer is…") keeps the sentence before it, which says what it refers to."""
    bounds = sentences(text)
    spans = [(m.start(), m.end()) for m in re.finditer(r"\*\*.+?\*\*|__.+?__", text, re.S)]
    parts = [text[a:b].strip() for a, b in bounds]
    keep = [any(sa < b and a < sb for sa, sb in spans) for a, b in bounds]
    for i in range(1, len(parts)):
        if keep[i] and not keep[i - 1] and _REFERS_BACK.match(parts[i]):
            keep[i - 1] = True
    blanks = [p for p, k in zip(parts, keep) if k and p]
    rest = [p for p, k in zip(parts, keep) if not k and p]
    return " ".join(blanks), " ".join(rest)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r"[*_`]", "", text))


def trap_keys(traps: Sequence[Trap]) -> list[str]:
    """The traps' keys: a title's slug, else the first 8 words of the text; traps whose keys
    would be the same take more words of the text (`_text_keys`)."""
    return _text_keys([(t.title, _words(t.text), 0 if t.title else 8) for t in traps])


def scenario_keys(scenarios: Sequence[Scenario]) -> list[str]:
    """The scenarios' keys: the first 12 words of the prompt; scenarios whose keys would be
    the same take more words of the prompt, then of the answer (`_text_keys`)."""
    return _text_keys(
        [
            ("", _words(s.prompt) + _words(s.answer), min(12, len(_words(s.prompt))))
            for s in scenarios
        ]
    )


def _text_keys(items: Sequence[tuple[str, list[str], int]]) -> list[str]:
    """Keys of (title, words, n): the slug of the title followed by the first n words. Items
    whose keys are the same take one more word each until they differ, so that a key is the
    item's own and not its position: reordering or removing one of several items that open
    alike (a decision tree's branches share the question above them; traps share a title)
    moves no history to another. Only items the same throughout are told apart by position
    (`_unique`)."""
    titles = [title for title, _, _ in items]
    words = [w for _, w, _ in items]
    n = [min(k, len(w)) for _, w, k in items]
    while True:
        keys = [slugify(" ".join([t, *w[:k]])) for t, w, k in zip(titles, words, n)]
        groups: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        grow = [
            i
            for members in groups.values()
            if len(members) > 1
            for i in members
            if n[i] < len(words[i])
        ]
        if not grow:
            return _unique(keys)
        for i in grow:
            n[i] += 1


def _unique(keys: Iterable[str]) -> list[str]:
    """Make keys unique without ever reusing another item's key: a repeat gets the first free
    `-N` suffix that is neither taken nor some other item's own key ("a", "a", "a-2" ->
    "a", "a-3", "a-2"), so an item keeps its key when an earlier duplicate is added or removed
    only where that is possible at all."""
    keys = list(keys)
    own = set(keys)
    used: set[str] = set()
    out = []
    for k in keys:
        candidate, n = k, 1
        while candidate in used or (candidate != k and candidate in own):
            n += 1
            candidate = f"{k}-{n}"
        used.add(candidate)
        out.append(candidate)
    return out


def trap_cards(doc: Document) -> list[Card]:
    cards: list[Card] = []
    keys = trap_keys(doc.traps)
    for key, trap in zip(keys, doc.traps):
        if not trap.clozes:
            continue  # lint L106 reports it: a cloze note needs a deletion
        cards.append(_card(doc, f"trap/{key}", "cloze", trap.text, "", trap.title, trap))
    return cards


def scenario_cards(doc: Document) -> list[Card]:
    keys = scenario_keys(doc.scenarios)
    return [
        _card(doc, f"scenario/{key}", "scenario", s.prompt, s.answer, "", s, s.subject)
        for key, s in zip(keys, doc.scenarios)
    ]


def build_cards(doc: Document) -> list[Card]:
    """All cards of one document, in source order within each kind."""
    row_keys = _row_keys(doc)
    cards: list[Card] = []
    for ci, comp in enumerate(doc.comparisons):
        cards.extend(
            comparison_cards(doc, comp, {ri: row_keys[(ci, ri)] for ri in range(len(comp.rows))})
        )
    cards.extend(trap_cards(doc))
    cards.extend(scenario_cards(doc))
    return cards


# --------------------------------------------------------------------------------------------
# Study order

STUDY_GAP = 10  # cards of one fact are at least this many cards apart in the new-card queue
_KIND_RANK: dict[CardKind, int] = {
    "forward": 0,
    "cloze": 0,
    "scenario": 0,
    "identify": 1,
    "compare": 2,
}


def study_order(cards: Sequence[Card], counts: Sequence[int], gap: int = STUDY_GAP) -> list[int]:
    """The order of the notes in a package (indices into `cards`; `counts`: each note's number
    of cards), so that Anki's new-card queue never shows two cards of one fact (a table row, a
    trap, a scenario) within `gap` cards of each other where the deck allows it.

    Anki, with its default deck options, shows new cards by template first ("card type, then
    order gathered"): every note's first card in note order, then the second cards of the cloze
    notes that have one, in the same order, and so on. Within one fact cards go forward first,
    then identify, then compare (the row's whole picture last). Greedy: at each place the fact
    with the most cards still to show whose last card is more than `gap` places back; facts
    with more cards (clozes with several blanks) count them all, so that their first cards come
    early and their later ones are far from them; when no fact is that far back, the one shown
    longest ago."""
    groups: dict[object, list[int]] = {}
    for i, card in enumerate(cards):
        groups.setdefault(card.loc, []).append(i)
    queues = {g: sorted(m, key=lambda i: (_KIND_RANK[cards[i].kind], i)) for g, m in groups.items()}
    left = {g: sum(counts[i] for i in m) for g, m in queues.items()}
    first = {g: m[0] for g, m in queues.items()}
    last: dict[object, int] = {}
    order: list[int] = []
    for pos in range(len(cards)):
        live = [g for g, m in queues.items() if m]
        ready = [g for g in live if pos - last.get(g, -gap - 1) > gap]
        if ready:
            g = max(ready, key=lambda g: (left[g], -first[g]))
        else:
            g = min(live, key=lambda g: (last.get(g, -1), -left[g], first[g]))
        i = queues[g].pop(0)
        order.append(i)
        left[g] -= counts[i]
        last[g] = pos
    return order
