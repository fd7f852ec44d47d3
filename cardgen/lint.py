"""Card-quality lint: which cards will be hard to learn, found before anyone studies them.

Pure functions over one document's facts and the cards built from them; no I/O, standard library
only (plus our own `cards` helpers). The rules follow SuperMemo's "20 rules of formulating
knowledge" (Wozniak 1999) where they can be checked mechanically; `docs/lint.md` documents each
rule with its rationale, threshold and a bad / good example.

Every rule has a code of its own in family L and reports a *warning* located at the line of the
fact the card comes from (`--strict` makes warnings fail). A rule is switched off for one file with
front matter `lint: {ignore: [L101]}` and for a run with `cardgen check --ignore L101`; an entry
may be a prefix (`L10` switches off L100-L109, `L` all of them) and may name one fact
(`L101:pricing-model`: that row only).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cardgen.cards import (
    MASK,
    identify_reason,
    is_bare,
    names_subject,
    normalise_value,
    scenario_keys,
    trap_keys,
)
from cardgen.diagnostics import Diagnostic, diag, sort_key
from cardgen.model import Card, Comparison, Document, Loc, Trap

# Thresholds (documented in docs/lint.md; change them there too).
MAX_ANSWER_WORDS = 20  # forward and scenario answers
MAX_CLOZE_WORDS = 6  # one cloze deletion
MAX_ITEMS = 5  # items of one enumeration

RULES: dict[str, str] = {
    "L100": "a `lint: ignore` entry names no rule or fact, or silences nothing",
    "L101": "answer too long to recall in one go (minimum information)",
    "L102": "answer enumerates more than five items",
    "L103": "two cards have the same or nearly the same prompt (interference)",
    "L104": "value names its own subject where masking cannot hide it",
    "L105": "row teaches nothing: all values the same, or all bare YES / NO",
    "L106": "trap has no cloze span (no card is made for it)",
    "L107": "one cloze hides most of its sentence",
    "L108": "source has no `source` attribution",
    "L109": "cloze answer shows elsewhere on its own card",
}

# Words that carry no content of their own: a cloze made only of them is never "given away".
_STOP = frozenset(
    (  # noqa: SIM905
        "a an and are as at be by can cannot do does for from has have in is it its no not of on"
        " only or the this to with without yes all any none never always must"
    ).split()
)


# Folded away when prompts are compared (L103): words a reader skims past. Negations, `and` /
# `or` and `without` are kept: they change what a prompt asks.
_FILLER = frozenset(
    (  # noqa: SIM905
        "a an the of in on at to for by with from per via vs versus is are does do which what"
    ).split()
)
_ABBREVIATIONS = {
    "max": "maximum",
    "min": "minimum",
    "avg": "average",
    "num": "number",
    "config": "configuration",
    "info": "information",
    "approx": "approximately",
    "sec": "second",
}


# --------------------------------------------------------------------------------------------
# Ignoring rules


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of an ignore list: `L101` (a code or a prefix such as `L10` or `L`) switches the
    rule off everywhere; `L101:pricing-model` only for one fact, named by its id (a row's id, the
    slug of its attribute or its `{#id}`; `trap/<slug of the title>`; `scenario/<slug>`)."""

    raw: str
    code: str  # upper case
    fact: str  # lower case; "" for every fact

    @classmethod
    def parse(cls, text: str) -> IgnoreEntry:
        code, _, fact = text.strip().partition(":")
        return cls(text.strip(), code.strip().upper(), fact.strip().lower())

    @property
    def known(self) -> bool:
        return bool(self.code) and any(c.startswith(self.code) for c in RULES)

    def matches(self, code: str, fact: str) -> bool:
        return self.known and code.startswith(self.code) and (not self.fact or self.fact == fact)


def unknown_codes(patterns: Iterable[str]) -> list[str]:
    """The entries of an ignore list that select no lint rule (`L10` and `L` are valid)."""
    return [p for p in patterns if not IgnoreEntry.parse(p).known]


def fact_ids(doc: Document) -> dict[Loc, str]:
    """The id of the fact at each location, as `lint: ignore` entries name it."""
    ids: dict[Loc, str] = {}
    for comp in doc.comparisons:
        for row in comp.rows:
            ids[row.loc] = row.id
    for key, trap in zip(trap_keys(doc.traps), doc.traps):
        ids[trap.loc] = f"trap/{key}"
    for key, sc in zip(scenario_keys(doc.scenarios), doc.scenarios):
        ids[sc.loc] = f"scenario/{key}"
    return ids


# --------------------------------------------------------------------------------------------
# Text helpers: lint looks at the words a learner reads, not at Markdown syntax


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MARKERS = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)")
_TOKEN = re.compile(r"\w+", re.UNICODE)


_NEEDS_PLAIN = re.compile(r"[*_`\[<\n\t]|  ")


def plain(text: str) -> str:
    """Markdown inline text reduced to what a reader sees: no emphasis, code or link syntax."""
    if not _NEEDS_PLAIN.search(text):
        return text.strip()
    text = _LINK.sub(r"\1", text)
    text = _BR.sub(", ", text)
    text = _MARKERS.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def count_words(text: str) -> int:
    """Words as a reader counts them: whitespace-separated runs holding a letter or digit."""
    return sum(1 for w in plain(text).split() if any(ch.isalnum() for ch in w))


def count_items(text: str) -> int:
    """The most items one enumeration in `text` lists.

    The text is cut into clauses at `;`, `:`, `—`, `–`, `→` and sentence ends, outside brackets;
    the items of a clause are its comma-separated parts (a comma inside brackets or a number such
    as `10,000` does not count), plus one when the last part joins two with `and` / `or`.
    """
    s = plain(text)
    best = 1
    depth = 0
    commas: list[int] = []

    def close(end: int) -> None:
        nonlocal best
        if not commas:
            return
        n = len(commas) + 1
        last = s[commas[-1] + 1 : end].strip()
        if re.search(r"\s(?:and|or)\s", f" {last} ") and not re.match(r"(?:and|or)\s", last):
            n += 1
        best = max(best, n)

    for i, ch in enumerate(s):
        nxt = s[i + 1] if i + 1 < len(s) else " "
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif ch == "," and nxt.isspace():
            commas.append(i)
        elif ch in ";—–→" or (ch in ".!?:" and nxt.isspace()):
            close(i)
            commas = []
    close(len(s))
    return best


def _light(text: str) -> tuple[str, ...]:
    """A prompt's words, lower case (masks kept): what differs here, a reader sees."""
    return tuple(_TOKEN.findall(plain(text.replace(MASK, " masked ")).lower()))


def _folded(text: str) -> tuple[str, ...]:
    """A prompt's words with what a reader skims past folded away: plurals, articles and
    prepositions, common abbreviations (`Max` = `Maximum`)."""
    out = []
    for t in _light(text):
        if t not in _FILLER:
            out.append(_singular(_ABBREVIATIONS.get(t, t)))
    return tuple(out)


def _singular(word: str) -> str:
    """A stem shared by an English word's singular and plural (identities / identity -> identity,
    caches / cache -> cach, accesses / access -> access); only ever compared, never shown."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _quote(text: str, limit: int = 60) -> str:
    p = plain(text)
    return repr(p if len(p) <= limit else p[: limit - 1].rstrip() + "…")


# --------------------------------------------------------------------------------------------
# The rules


def lint(doc: Document, cards: Sequence[Card], ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Card-quality warnings for one document and its cards, sorted by location.

    `ignore` holds the entries switched off for this run (see `IgnoreEntry`); the document's own
    `lint_ignore` (front matter) applies too. A front-matter entry that names no rule or no fact,
    or that silences nothing, is itself reported (L100), so silencing cannot go stale unseen.
    """
    found: list[Diagnostic] = []
    found += _answer_length(doc, cards)
    found += _enumerations(cards)
    found += _interference(cards)
    identify = {(c.loc, c.subject): c for c in cards if c.kind == "identify"}
    for comp in doc.comparisons:
        found += _self_naming(comp, identify)
        found += _empty_rows(comp)
    for trap in doc.traps:
        found += _trap_clozes(trap)
    if not doc.source.strip() and not doc.front_matter_error and doc.meta_loc("source") is None:
        # An unreadable front matter (P010) or a refused `source:` (P011) is reported already:
        # nothing is known to be missing.
        found.append(
            diag(
                Loc(doc.path, 1, 1),
                "L108",
                "no `source:` in the front matter: cards cannot say where their facts come from",
            )
        )
    ids = fact_ids(doc)
    top = Loc(doc.path, 1, 1)
    entry_locs: dict[IgnoreEntry, Loc] = {}
    for i, p in enumerate(doc.lint_ignore):
        if p.strip():
            where = doc.lint_ignore_locs[i] if i < len(doc.lint_ignore_locs) else top
            entry_locs.setdefault(IgnoreEntry.parse(p), where)
    file_entries = list(entry_locs)
    run_entries = [IgnoreEntry.parse(p) for p in ignore if p.strip()]
    kept: list[Diagnostic] = []
    used: set[IgnoreEntry] = set()
    for d in sorted(set(found), key=sort_key):
        hits = [e for e in file_entries if e.matches(d.code, ids.get(d.loc, ""))]
        used.update(hits)
        if not hits:
            kept.append(d)
    known_facts = set(ids.values())
    for e in file_entries:
        if not e.known:
            problem = "names no lint rule (L101-L109)"
        elif e.fact and e.fact not in known_facts:
            problem = f"names no row, trap or scenario of this file ({e.fact!r})"
        elif e not in used:
            problem = "silences nothing here any more; remove it"
        else:
            continue
        kept.append(diag(entry_locs[e], "L100", f"`lint: ignore` entry {e.raw!r} {problem}"))
    kept = [d for d in kept if not any(e.matches(d.code, ids.get(d.loc, "")) for e in run_entries)]
    return sorted(kept, key=sort_key)


def _answer_length(doc: Document, cards: Sequence[Card]) -> list[Diagnostic]:
    """L101: a forward or scenario answer over MAX_ANSWER_WORDS words, or a cloze over
    MAX_CLOZE_WORDS. Identify answers are subject names; compare cards repeat the values that
    the forward cards already check."""
    out = []
    for card in cards:
        if card.kind not in ("forward", "scenario"):
            continue
        n = count_words(card.answer)
        if n > MAX_ANSWER_WORDS:
            what = (
                f"the value for {card.subject!r}"
                if card.kind == "forward"
                else f"the answer to scenario {_quote(card.prompt, 40)}"
            )
            out.append(
                diag(
                    card.loc,
                    "L101",
                    f"{what} has {n} words (limit {MAX_ANSWER_WORDS}): too long to recall in one "
                    "go; split it into smaller facts or keep only what must be recalled",
                )
            )
    for trap in doc.traps:
        for span in trap.clozes:
            n = count_words(span)
            if n > MAX_CLOZE_WORDS:
                out.append(
                    diag(
                        trap.loc,
                        "L101",
                        f"cloze {_quote(span, 40)} has {n} words (limit {MAX_CLOZE_WORDS}): "
                        "too long to recall in one go; bold only the key words",
                    )
                )
    return out


def _enumerations(cards: Sequence[Card]) -> list[Diagnostic]:
    """L102: a forward or scenario answer that lists more than MAX_ITEMS items."""
    out = []
    for card in cards:
        if card.kind not in ("forward", "scenario"):
            continue
        if card.answer.count(",") + card.answer.lower().count("<br") < MAX_ITEMS - 1:
            continue  # too few commas for more than MAX_ITEMS items (the cheap test first)
        n = count_items(card.answer)
        if n > MAX_ITEMS:
            what = f"the value for {card.subject!r}" if card.kind == "forward" else "the answer"
            out.append(
                diag(
                    card.loc,
                    "L102",
                    f"{what} lists {n} items (limit {MAX_ITEMS}): a set is hard to recall whole; "
                    "split it, or make the items that matter facts of their own",
                )
            )
    return out


def _interference(cards: Sequence[Card]) -> list[Diagnostic]:
    """L103: two cards whose prompts a learner cannot tell apart at a glance: the same words
    (`_light`), or the same once case, punctuation, plurals, articles and prepositions, and
    common abbreviations are folded (`_folded`).

    Not compared: the forward cards of one row, whose prompts differ only by the subject they
    name, by design; compare cards, whose prompts are the attribute plus the table's subjects
    (their rows' forward cards are compared already). Identify cards of one row are compared (two
    values that read the same but answer different subjects). One warning per pair of facts.

    A prompt that folding shrinks to less than half its words (`Which is fast?` -> `fast`) is too
    short to judge by what is left: it only matches a prompt of the same words."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, card in enumerate(cards):
        if card.kind == "compare":
            continue
        light = _light(card.prompt)
        key = _folded(card.prompt)
        if key and 2 * len(key) < len(light):
            key = ("=",) + light  # only the same words match (`=` is never a word)
        if key:
            groups[key].append(i)
    out = []
    seen: set[tuple[Loc, Loc]] = set()
    for group in groups.values():
        for k, b in enumerate(group):
            for a in group[:k]:
                ca, cb = cards[a], cards[b]
                if ca.loc == cb.loc and not (ca.kind == cb.kind == "identify"):
                    continue
                first, second = sorted((ca, cb), key=lambda c: (c.loc, c.key))
                if (first.loc, second.loc) in seen:
                    continue
                seen.add((first.loc, second.loc))
                same = _light(ca.prompt) == _light(cb.prompt)
                where = (
                    f"line {first.loc.line}" if first.loc.line != second.loc.line else "this line"
                )
                out.append(
                    diag(
                        second.loc,
                        "L103",
                        f"{second.kind} prompt {_quote(second.prompt)} is "
                        f"{'the same as' if same else 'nearly the same as'} the {first.kind} "
                        f"prompt {_quote(first.prompt)} on {where}: learners cannot tell the two "
                        "cards apart; make the prompts differ, or merge the facts",
                    )
                )
                break  # one warning per card: against the first prompt it repeats
    return out


def _name_words(name: str) -> list[str]:
    return re.findall(r"[\w'’.-]*\w", name)


def _giveaway_words(comp: Comparison, index: int) -> list[str]:
    """Name-like words of subject `index` that no other subject's name shares -- acronyms and
    product names (`SQS`, `DynamoDB`, `EC2`) plus the initials of a name of three or more words:
    seeing one in a value points at that subject, and masking (which covers whole names and
    their multi-word tails) leaves it visible. Ordinary words (`User`, `Identity`) are left out:
    title-case phrases such as `User Migration` use them without naming the subject."""
    own = comp.subjects[index].name
    others = {
        w.lower() for j, s in enumerate(comp.subjects) if j != index for w in _name_words(s.name)
    }
    parts = _name_words(own)
    words = [w for w in parts if _is_proper(w) and w.lower() not in others]
    for start in range(len(parts)):
        tail = parts[start:]
        if len(tail) >= 3:
            acronym = "".join(w[0] for w in tail).upper()
            if acronym.lower() not in others:
                words.append(acronym)
    return list(dict.fromkeys(words))


def _is_proper(word: str) -> bool:
    """A word whose capitals are not sentence case (SQS, DynamoDB) or that holds a digit (EC2)."""
    return len(word) >= 2 and (
        any(ch.isupper() for ch in word[1:]) or any(ch.isdigit() for ch in word)
    )


def _found_word(text: str, word: str) -> bool:
    """`word` (or its plural) in `text`, case-sensitive and as a whole word."""
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"s?(?!\w)")
    return pattern.search(text) is not None


def _self_naming(comp: Comparison, identify: dict[tuple[Loc, str], Card]) -> list[Diagnostic]:
    """L104: a value that names its own subject where masking cannot help.

    Either the value is little more than the name (masked, nothing is left: the identify card is
    not made and the forward card answers with the name its prompt shows), or the masked
    identify prompt still holds a word that only that subject's name has ("SQS" in a value of
    "Amazon SQS", whose mask covers the whole name only). `identify` holds the identify cards
    by (row location, subject name)."""
    out = []
    giveaways = [_giveaway_words(comp, i) for i in range(len(comp.subjects))]
    for row in comp.rows:
        for i, subject in enumerate(comp.subjects):
            value = row.values[i]
            if not value.strip():
                continue
            card = identify.get((row.loc, subject.name))
            if card is None:
                if not names_subject(value, subject):
                    continue  # no identify card and no name: nothing to give away
                if identify_reason(row, i, comp.subjects).startswith("the value is little more"):
                    out.append(
                        diag(
                            row.loc,
                            "L104",
                            f"the value for {subject.name!r} in row {row.attribute!r} is little "
                            "more than its own subject's name: no identify card can be made and "
                            "the forward card gives its answer away; say what is specific instead",
                        )
                    )
                continue
            masked = plain(card.prompt)
            hits = [w for w in giveaways[i] if _found_word(masked, w)]
            if hits:
                out.append(
                    diag(
                        row.loc,
                        "L104",
                        f"the value for {subject.name!r} in row {row.attribute!r} says "
                        f"{hits[0]!r}, which masking leaves visible and which names its own "
                        "subject: the identify card gives itself away; reword the value",
                    )
                )
    return out


def _empty_rows(comp: Comparison) -> list[Diagnostic]:
    """L105: a row (of a table with two or more subjects, every value filled in) whose values
    are all the same, or all bare YES / NO / None."""
    out = []
    if len(comp.subjects) < 2:
        return out
    for row in comp.rows:
        if not all(v.strip() for v in row.values):
            continue
        if len({normalise_value(v) for v in row.values}) == 1:
            out.append(
                diag(
                    row.loc,
                    "L105",
                    f"every subject has the same value in row {row.attribute!r}: the compare "
                    "card shows no difference and no identify card is made; drop the row or "
                    "say how the subjects differ",
                )
            )
        elif all(is_bare(v) for v in row.values):
            out.append(
                diag(
                    row.loc,
                    "L105",
                    f"every value in row {row.attribute!r} is a bare YES / NO: forward cards are "
                    "coin flips and no identify card is made; add a few words (`YES — via …`)",
                )
            )
    return out


def _span_ranges(trap: Trap) -> list[tuple[int, int] | None]:
    """Where each cloze span sits in `trap.text` (start, end of the bold markup), in order;
    None where the parser's rebuilt span text is not found as written."""
    ranges: list[tuple[int, int] | None] = []
    pos = 0
    for span in trap.clozes:
        found = None
        for marker in ("**", "__"):
            k = trap.text.find(f"{marker}{span}{marker}", pos)
            if k >= 0 and (found is None or k < found[0]):
                found = (k, k + len(span) + 2 * len(marker))
        if found is None:
            k = trap.text.find(span, pos)
            found = (k, k + len(span)) if k >= 0 else None
        ranges.append(found)
        if found is not None:
            pos = found[1]
    return ranges


_SENTENCE_END = re.compile(r"[.!?]+['\"’”)\]]*\s+")


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds


def _content(span: str) -> bool:
    """A cloze answer worth protecting: some word of 3+ letters that is not a stop word."""
    return any(len(w) >= 3 and w.lower() not in _STOP for w in _TOKEN.findall(plain(span)))


def _variants_pattern(span: str) -> re.Pattern[str] | None:
    words = _TOKEN.findall(plain(span).lower())
    if not words:
        return None
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    parts = [re.escape(w) for w in words[:-1]] + [re.escape(last) + "s?"]
    return re.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)", re.IGNORECASE)


def _trap_clozes(trap: Trap) -> list[Diagnostic]:
    """L106 no cloze; L107 one cloze hiding most of its sentence; L109 a cloze whose answer the
    rest of its card (title and text, the other clozes shown) still says."""
    if not trap.clozes:
        return [
            diag(
                trap.loc,
                "L106",
                f"trap {_quote(trap.title or trap.text, 40)} has no **bold** span, so no cloze "
                "card is made for it; bold the words to recall",
            )
        ]
    out = []
    text = trap.text
    sentences = _sentences(text)
    for span, where in zip(trap.clozes, _span_ranges(trap)):
        if where is None:
            continue  # markup the span text does not round-trip to: nothing reliable to say
        start, end = where
        covered = [s for s in sentences if s[0] < end and start < s[1]] or [(0, len(text))]
        sentence = text[covered[0][0] : covered[-1][1]]
        hidden, total = count_words(span), count_words(sentence)
        if total and hidden * 2 > total:
            out.append(
                diag(
                    trap.loc,
                    "L107",
                    f"cloze {_quote(span, 40)} hides {hidden} of the {total} words of its "
                    "sentence: too little is left to cue the answer; bold fewer words",
                )
            )
        pattern = _variants_pattern(span)
        if pattern is None or is_bare(span) or not _content(span):
            continue
        rest = plain(f"{trap.title} . {text[:start]} … {text[end:]}")
        if pattern.search(rest):
            out.append(
                diag(
                    trap.loc,
                    "L109",
                    f"cloze {_quote(span, 40)} is hidden, but the rest of its card says it "
                    "again: the card gives its answer away; bold another span or none",
                )
            )
    return out


__all__ = [
    "MAX_ANSWER_WORDS",
    "MAX_CLOZE_WORDS",
    "MAX_ITEMS",
    "RULES",
    "count_items",
    "count_words",
    "lint",
    "plain",
    "unknown_codes",
]
