"""Splitting a table cell that runs two things together, on evidence from the rest of the page.

A header cell runs a subject's name and tagline together (`Amazon SQS Fully managed queues`),
a row's first cell an attribute label and an exam tip (`Routing Rules Path-based routing is
ALB-only`). Every word boundary is a candidate reading (and "no tail"); each is scored on how
the head reads as a Title Case label, how the tail starts, and whether the page uses the
phrases elsewhere (`evidence`). The best reading wins; one whose evidence is thin, or whose
runner-up is close, is `unsure` and reported by `tables`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cardgen.importer.evidence import Corpus, Vocab
from cardgen.importer.words import (
    CLAUSE_OPENERS,
    MAX_LABEL_WORDS,
    NOUN_OPENERS,
    NUMBER_WORDS,
    OPENERS,
    QUANTITY,
    QUOTES,
    SENTENCE_WORDS,
    TIP_LEADS,
    core,
    is_caps,
    kind,
    row_kind,
    tokens,
    word_count,
    wordset,
)
from cardgen.text import slugify

# A split whose best reading beats the runner-up by less than this is reported as unsure.
UNSURE_MARGIN = 2.0


@dataclass
class Split:
    head: str
    tail: str
    score: float
    strong: bool = True  # backed by evidence beyond capitalisation alone
    k: int = 0  # words in the head
    runner_up: Split | None = None
    # every reading of the cell, for a header whose name turns out to collide with another's
    cands: list[Split] = field(default_factory=list, repr=False)
    collided: str = ""  # the shorter name given up because other columns share it
    # a Title Case label of 2-3 words, then a tip opening `Word lower-case …`: the only other
    # reading moves the label's last word into the tip, which would then open with two
    # capitalised words the page never writes together; sure by its shape
    by_shape: bool = False

    @property
    def margin(self) -> float:
        return self.score - self.runner_up.score if self.runner_up else 99.0

    @property
    def unsure(self) -> bool:
        if self.by_shape:
            return False
        return not self.strong or self.margin < UNSURE_MARGIN


def _rank(cands: list[Split]) -> Split:
    """The best candidate; its runner-up is the next best, the nearest boundary on ties."""
    best = max(cands, key=lambda c: (c.score, -c.k))
    others = [c for c in cands if c is not best]
    if others:
        best.runner_up = max(others, key=lambda c: (c.score, -abs(c.k - best.k)))
    return best


def _label_penalty(words: Sequence[str]) -> float:
    """How little `words` read like a Title Case label or name (0 = perfectly)."""
    score = 0.0
    explained = _in_closed_brackets(words)
    for i, w in enumerate(words):
        if kind(w) == "low" and i not in explained:
            score -= 6
    for w in words[1:]:
        if core(w).lower() in CLAUSE_OPENERS and kind(w) == "cap":
            score -= 3
    last = words[-1]
    if kind(last) == "conn" or kind(last) == "sym":
        score -= 4
    if core(last).lower() in OPENERS - NOUN_OPENERS and kind(last) != "conn":
        score -= 4
    if re.search(r"[,;.!?]$", last) and not re.search(r"\d\.?$|\b[A-Za-z]\.$", last):
        score -= 5
    text = " ".join(words)
    if text.count("(") != text.count(")"):
        score -= 4
    if any(w[:1] in QUOTES for w in words):
        score -= 3
    if len(words) > 6:
        score -= len(words) - 6
    if last in ("a", "an", "the") and len(words) > 1:
        score -= 6  # a label never ends on an article (`Pod Names Pods of a`)
    return score


def _in_closed_brackets(words: Sequence[str]) -> set[int]:
    """Indices of the words inside a bracket that closes among `words`: lower-case words there
    explain a label (`Hashable (usable as dict key)`), they do not start a tip."""
    inside: set[int] = set()
    opened: int | None = None
    for i, w in enumerate(words):
        if opened is None and w.startswith("("):
            opened = i
        if opened is not None and w.endswith(")"):
            inside.update(range(opened, i + 1))
            opened = None
    return inside


def _boundaries(n: int) -> list[int]:
    """The head lengths considered for a cell of `n` words (the whole cell last)."""
    return [*range(1, min(n, MAX_LABEL_WORDS + 1)), n]


# --------------------------------------------------------------------------------------------
# Header cells: subject name and tagline


def split_header(cell: str, corpus: Corpus, exclude: Iterable[int]) -> Split:
    """Split `Name Tagline words` into name and tagline, on evidence from the rest of the page."""
    m = re.search(r"\s+[—–]\s+|\s+-\s+|:\s+", cell)
    if m and 0 < word_count(cell[: m.start()]) <= 5:
        before = cell[: m.start()].split()
        # an em or en dash is the format's own separator (`git merge — Joins two histories`)
        if "—" in m.group() or "–" in m.group() or not any(kind(w) == "low" for w in before):
            return Split(cell[: m.start()].strip(), cell[m.end() :].strip(), 99.0)
    toks = tokens(cell)
    words = [t for t, _, _ in toks]
    n = len(words)
    if not n:
        return Split("", "", 0.0)
    if n == 1:  # one word: nothing to split, no other reading
        return Split(cell.strip(), "", 99.0, True, 1)
    exclude = list(exclude)
    cands: list[Split] = []
    for k in _boundaries(n):
        name_words = words[:k]
        score = _label_penalty(name_words)
        if k < n:
            score, strong = _name_then_tagline(words, k, score, corpus, exclude)
            head, tail = cell[: toks[k - 1][2]].strip(), cell[toks[k][1] :].strip()
        else:
            if any(kind(w) == "low" for w in words):
                score -= 10
            else:
                score += 1
            strong = bool(corpus.count(name_words, exclude))
            if strong:
                score += 5
            score += 0.3 * k
            head, tail = cell.strip(), ""
        cands.append(Split(head, tail, score, strong, k))
    best = _rank(cands)
    best.cands = cands
    return best


def _name_then_tagline(
    words: list[str], k: int, score: float, corpus: Corpus, exclude: list[int]
) -> tuple[float, bool]:
    """The score (from the name's `score` as a label) and strength of a name of `k` words."""
    n = len(words)
    name_words = words[:k]
    nxt = words[k]
    # uses of the name elsewhere that are not followed by the tagline's first word; a use
    # followed by another capitalised word (`Amazon Aurora` for `Amazon`) shows a start of
    # longer names, not a name
    after = corpus.followers(name_words, exclude)
    seen = sum(c for w, c in after.items() if w != core(nxt) and kind(w) != "cap")
    prefix = sum(c for w, c in after.items() if w != core(nxt) and kind(w) == "cap")
    strong = bool(seen)
    if seen:
        score += 5 + min(seen, 5) * 0.2
    elif prefix:
        score += 1
    if corpus.count(words[: k + 1], exclude):
        score -= 2  # the page writes the next word with the name: it belongs to it
    if kind(nxt) == "low":
        score -= 2
    elif kind(nxt) == "conn":
        score -= 4
    if k + 1 < n and kind(words[k + 1]) in ("low", "conn"):
        score += 2
    if not any(kind(w) in ("low", "conn") for w in words[k:]):
        score -= 2
    score += 0.3 * k
    return score, strong


def _name_key(name: str) -> str:
    return slugify(name) or name.lower()


def distinct_names(splits: dict[int, Split]) -> None:
    """Lengthen subject names that came out the same in several header cells.

    Two columns are two subjects: a split that gives them the same name (`S3 Glacier` for
    `S3 Glacier Instant Retrieval …` and `S3 Glacier Deep Archive …`) cut the names short, and
    the page's use of the shared start (`S3 Glacier tiers compared`) was no evidence for it.
    Each such cell takes its best longer reading instead, unless its tagline already starts
    like a phrase (`Amazon S3 Object storage …` next to `Amazon S3 Glacier Archive …`) and the
    others can move away from it. A lengthened name rests on its form alone, so it is reported
    as unsure unless the page uses it elsewhere. Cells that are the same text stay as they are
    (renamed and reported as duplicates, `I013`).
    """
    for _ in range(MAX_LABEL_WORDS):
        groups: dict[str, list[int]] = {}
        for j, sp in splits.items():
            groups.setdefault(_name_key(sp.head), []).append(j)
        moved = False
        for group in groups.values():
            if len({f"{splits[j].head} {splits[j].tail}" for j in group}) < 2:
                continue  # one cell repeated: nothing tells the columns apart
            movable = [j for j in group if any(c.k > splits[j].k for c in splits[j].cands)]
            loose = [j for j in movable if not _tail_starts_phrase(splits[j].tail)]
            targets = loose if len(group) - len(loose) <= 1 else movable
            for j in targets:
                splits[j] = _lengthened(splits[j])
                moved = True
        if not moved:
            return


def shared_class_noun(splits: dict[int, Split]) -> None:
    """A capitalised word that every header cell has among its first words (`Ionic Bond
    Electrons transferred`, `Covalent Bond Electrons shared`, `Metallic Bond Sea of …`) is the
    class all the names share: it ends each name that stopped short of it."""
    cells = {j: f"{sp.head} {sp.tail}".split() for j, sp in splits.items()}
    if len(cells) < 2:
        return
    at: dict[int, int] = {}
    common: set[str] | None = None
    for words in cells.values():
        caps = {core(w) for w in words[1:4] if kind(w) == "cap" and not is_caps(w)}
        common = caps if common is None else common & caps
    if not common:
        return
    first = next(iter(cells.values()))
    noun = next(core(w) for w in first[1:4] if core(w) in common)  # the earliest
    for j, words in cells.items():
        at[j] = next(i for i in range(1, 4) if core(words[i]) == noun)
    before = {" ".join(cells[j][: at[j]]) for j in cells}
    if len(before) < len(cells):  # the names would not differ before the noun
        return
    for j, sp in list(splits.items()):
        if sp.k > at[j] + 1:
            continue
        if sp.k == at[j] + 1:  # the name already ends with the shared noun: confirmed
            sp.strong, sp.runner_up = True, None
            continue
        longer = next((c for c in sp.cands if c.k == at[j] + 1), None)
        if longer is not None:
            new = Split(longer.head, longer.tail, longer.score, True, longer.k)
            new.cands = sp.cands
            splits[j] = new


def _lengthened(old: Split) -> Split:
    """The best reading of a header cell with a longer name than `old`'s."""
    longer = sorted((c for c in old.cands if c.k > old.k), key=lambda c: (-c.score, c.k))
    best = longer[0]
    new = Split(best.head, best.tail, best.score, best.strong, best.k)
    new.cands, new.collided = old.cands, old.collided or old.head
    if len(longer) > 1:
        new.runner_up = longer[1]
    # the shorter name was no reading at all; what is left is form alone
    new.strong = best.strong and new.margin >= UNSURE_MARGIN
    return new


def _tail_starts_phrase(tail: str) -> bool:
    """A tagline that starts like a phrase: a capitalised word, then a lower-case one."""
    words = tail.split()
    return len(words) >= 2 and kind(words[0]) == "cap" and kind(words[1]) in ("low", "conn")


# --------------------------------------------------------------------------------------------
# First cells: attribute label and exam tip


@dataclass(frozen=True)
class _FirstCell:
    """A row's first cell under judgement, with what its readings are judged against."""

    cell: str
    toks: list[tuple[str, int, int]]
    words: list[str]
    corpus: Corpus
    exclude: list[int]
    names: list[list[str]]  # the subjects' names, as words
    colon_labels: bool  # most labels of the table end in a colon (`Pricing: …`)
    vocab: Vocab | None


def split_row(
    cell: str,
    corpus: Corpus,
    exclude: Iterable[int],
    subjects: Sequence[str],
    colon_labels: bool,
    vocab: Vocab | None = None,
) -> Split:
    """Split an attribute label from the exam tip run on after it in a row's first cell.

    Every word boundary is a candidate (and "no tip"). The label should read as a Title Case
    label; the tip should start like a sentence: a subject's name, a quote, a lead-in such as
    `Scenario:` or `Critical trap:`, an opener (`This`, `If`, `The`), a capitalised word
    followed by lower-case words, or a phrase that occurs elsewhere on the page. `vocab` holds
    the words of the table's other (surely split) labels: a label ending in one of them, or a
    tip not starting with one, reads more likely.
    """
    toks = tokens(cell)
    words = [t for t, _, _ in toks]
    if not words:
        return Split("", "", 0.0)
    names = [s.split() for s in subjects if s]
    fc = _FirstCell(cell, toks, words, corpus, list(exclude), names, colon_labels, vocab)
    cands: list[Split] = []
    for k in _boundaries(len(words)):
        score = _label_penalty(words[:k])
        if vocab and core(words[k - 1]).lower() in vocab:
            score += 1  # other rows' labels use this word too
        cands.append(_whole_label(fc, score) if k == len(words) else _label_and_tip(fc, k, score))
    best = _rank(cands)
    if _participle_before_name(fc, best):
        # `Reliability Lost TCP segments are sent again`: the word before the subject's name
        # may open the tip (`Lost TCP segments …`); report it with that reading as the other
        shorter = next((c for c in cands if c.k == best.k - 1), None)
        best.strong, best.by_shape, best.runner_up = False, False, shorter
    return best


# past participles that open a tip sentence as well as they end a label (`Lost`, `Built`)
_PARTICIPLES = wordset(
    """lost made built sent kept held given taken known done seen shown left found written
    paid sold bought run put set cut"""
)


def _participle_before_name(fc: _FirstCell, best: Split) -> bool:
    """Whether the label of `best` (2 words or more) ends in a past participle right before
    a tip that opens with a subject's name: then the participle may open the tip instead."""
    k = best.k
    if k < 2 or k >= len(fc.words) or not any(fc.words[k : k + len(n)] == n for n in fc.names):
        return False
    last = core(fc.words[k - 1]).lower()
    return last in _PARTICIPLES or (last.endswith("ed") and len(last) > 4)


def _whole_label(fc: _FirstCell, score: float) -> Split:
    """The reading of the whole cell as the label, with no tip."""
    words, cell, n = fc.words, fc.cell, len(fc.words)
    # lower-case words in brackets explain the label (`Membership test (x in c)`)
    unbracketed = re.sub(r"\([^()]*\)", " ", cell).split()
    lows = sum(1 for w in unbracketed if row_kind(w) == "low")
    # a short label in sentence case (`Data types`, `Max message size`): any tip cut from it
    # would start with a lower-case word
    plain = unbracketed or words
    sentence_case = (
        len(plain) <= 4
        and row_kind(plain[0]) in ("cap", "num")
        and all(row_kind(w) in ("low", "conn", "num") for w in plain[1:])
        and not re.search(r"[.!?:;,\"'“‘]", " ".join(plain))
    )
    if sentence_case:
        score += 1 + 6 * lows  # its lower-case words are no sign of a tip
        return Split(cell.strip(), "", score, True, n)
    score += 1 if not lows else -10
    if any(w.endswith(":") for w in words) or any(w[:1] in QUOTES for w in words):
        score -= 3
    return Split(cell.strip(), "", score, not lows, n)


def _label_and_tip(fc: _FirstCell, k: int, score: float) -> Split:
    """The reading of the first `k` words as the label and the rest as the tip."""
    lead_in, strong_lead_in = _tip_lead_in(fc, k)
    opening, strong_opening = _tip_opening(fc, k)
    phrase, strong_phrase, weak = _tip_phrase(fc, k)
    strong = (strong_lead_in or strong_opening or strong_phrase) and not weak
    head = fc.cell[: fc.toks[k - 1][2]].strip()
    tail = fc.cell[fc.toks[k][1] :].strip()
    # every part of the score is a whole number: the sum is the same in any order
    split = Split(head, tail, score + lead_in + opening + phrase, strong, k)
    split.by_shape = _sure_by_shape(fc, k)
    return split


def _sure_by_shape(fc: _FirstCell, k: int) -> bool:
    """`Rollout Order Deployments replace pods …`: a Title Case label of 2-3 words, a tip
    opening with a capitalised word then a lower-case one, and no use on the page of the
    label's last word with the tip's first."""
    words, n = fc.words, len(fc.words)
    if not 1 <= k <= 3 or n - k < 3:
        return False
    label, first, second = words[:k], words[k], words[k + 1]
    if k == 1 and row_kind(second) != "low":
        return False  # `Cause Anti-GAD antibodies …` but not `Ordering of messages …`
    return (
        all(kind(w) == "cap" and w[:1].isalpha() and not w.endswith(":") for w in label)
        and kind(first) == "cap"
        and not is_caps(first)
        and first[:1].isalpha()
        and row_kind(second) in ("low", "conn")
        and not fc.corpus.count([label[-1], first], fc.exclude)
    )


def _tip_lead_in(fc: _FirstCell, k: int) -> tuple[int, bool]:
    """How well the words from `k` on start a tip by the way it is led in: a quote, a bracket,
    a lead-in ending in a colon (`Scenario:`), a label ending in one. Returns (score, backed
    by evidence)."""
    words, n, label = fc.words, len(fc.words), fc.words[:k]
    first = words[k]
    shape = row_kind(first)
    score, strong = 0, False
    if first[:1] in QUOTES:
        score, strong = score + 5, True
    elif first[:1] in "([{":
        # a bracket after the label explains the label (`Hashable (usable as dict key)`);
        # a tip that is nothing but a bracket is no tip at all
        rest = " ".join(words[k:])
        score -= 10 if rest[-1:] in ")]}" and rest.count("(") <= 1 else 6
    elif shape in ("low", "sym", "conn"):
        score -= 8
    # a lead-in ending in a colon: `Scenario:` or `Critical trap:`
    colon_at = next((i for i in range(k, min(k + 3, n)) if words[i].endswith(":")), None)
    if colon_at is not None and shape == "cap":
        lead = words[k : colon_at + 1]
        if colon_at == k or all(row_kind(w) in ("low", "conn", "num") for w in lead[1:]):
            score, strong = score + 4, True
            if core(lead[0]).lower() in TIP_LEADS or colon_at == k:
                score += 1
    if label[-1].endswith(":"):
        if core(label[-1]).lower() in TIP_LEADS:
            score -= 8  # `Scenario:` opens the tip, it does not end the label
        else:
            score += 5 if fc.colon_labels else -5
            strong = strong or fc.colon_labels
    return score, strong


def _tip_opening(fc: _FirstCell, k: int) -> tuple[int, bool]:
    """How well the words from `k` on start a tip by their first words: a subject's name, an
    opener (`This`, `If`), a quantity, a lower-case word next. Returns (score, backed by
    evidence)."""
    words, n, label = fc.words, len(fc.words), fc.words[:k]
    first = words[k]
    nxt = words[k + 1] if k + 1 < n else ""
    nxt_lower = bool(nxt) and nxt[:1] not in "([{" and row_kind(nxt) in ("low", "conn")
    score, strong = 0, False
    if any(words[k : k + len(nm)] == nm for nm in fc.names):
        score, strong = score + 5, True
    elif fc.vocab and core(first).lower() in fc.vocab:
        score -= 1
    low_core = core(first).lower()
    if low_core in OPENERS or (low_core in NUMBER_WORDS and nxt_lower):
        score, strong = score + 3, True
    # a number with its unit, then words (`5 PiB accounts are …`): the quantity opens the tip;
    # a label does not end between a number and its unit (`Max Size 5 | PiB …`)
    quantity = QUANTITY.match(" ".join(words[k : k + 2]))
    numeric = row_kind(first) == "num"
    if quantity and numeric and k + 2 < n and row_kind(words[k + 2]) in ("low", "conn"):
        score, strong = score + 3, True
    if QUANTITY.fullmatch(f"{label[-1]} {first}"):
        score -= 4
    if nxt_lower:
        score += 2
    if not any(row_kind(w) == "low" for w in words[k:]):
        score -= 4
    return score, strong


def _tip_phrase(fc: _FirstCell, k: int) -> tuple[int, bool, bool]:
    """How well the words from `k` on start a tip, by the capitalised phrase they open with
    and the page's use of it. Returns (score, backed by evidence, never a sure split)."""
    words, n, label = fc.words, len(fc.words), fc.words[:k]
    score, strong = 0, False
    # the capitalised phrase the tip opens with, and whether the page uses it elsewhere
    j = k
    while j < n and j - k < 5 and row_kind(words[j]) in ("cap", "num"):
        j += 1
        if words[j - 1].endswith((":", ",", ";", ".")):
            break
    head = words[k:j] or [words[k]]
    sentence = j < n and row_kind(words[j]) in ("low", "conn")  # the head is a subject
    if sentence and fc.corpus.count(head, fc.exclude, not_before=label[-1]):
        score, strong = score + 2, True
    nxt = words[k + 1] if k + 1 < n else ""
    if nxt in ("/", "&", "+"):
        score -= 2  # `IP / Elastic IP` joins label words, a tip does not start so
    if fc.corpus.count([label[-1], *head], fc.exclude):
        score -= 2
    named = any(words[k : k + len(nm)] == nm for nm in fc.names)

    def technical(w: str) -> bool:  # an acronym or a lower-case name (`IOPS`, `gp3`)
        return is_caps(w) or row_kind(w) != kind(w)

    # one word, then two such terms (`Max IOPS gp3 gives …`): the first term may well belong
    # to the label; never a sure split
    weak = k == 1 and not named and technical(words[k]) and technical(nxt)
    return score, strong, weak


def reads_like_tip(text: str, subjects: Sequence[str]) -> bool:
    """Whether the text after a row's label reads like an exam tip (a sentence, a lead-in, a
    quote, an opener, a subject's name) rather than like one subject's value."""
    words = text.split()
    if not words:
        return False
    first = core(words[0]).lower()
    return (
        words[0][:1] in QUOTES
        or first in OPENERS
        or any(w.endswith(":") for w in words[:3])
        or any(core(w).lower() in SENTENCE_WORDS for w in words)
        or any(text.startswith(s) for s in subjects if s)
        or bool(re.search(r"[.!?]['\"’”)\]]*$", text))
        or len(words) > 12
    )
