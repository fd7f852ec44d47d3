"""The evidence splits rest on: where else on the page a phrase occurs, and which words the
table's surely split labels use.

`Corpus` holds every segment of the page (a table cell, a line of content) as the cores of its
tokens and answers "how often, and followed by what" for a phrase, leaving out the segments the
phrase under judgement comes from. `Vocab` holds the words of a table's sure labels.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cardgen.importer.words import core, is_caps, tokens

Stats = tuple[int, Counter[str], Counter[str]]


class Corpus:
    """Every segment of the page (a table cell, a line) as normalised tokens, for phrase counts."""

    def __init__(self) -> None:
        self.segments: list[tuple[str, ...]] = []
        self.lower_words: set[str] = set()  # words seen written in lower or Title Case
        self.index: dict[str, list[tuple[int, int]]] = {}  # word -> (segment, position)
        self._stats: dict[tuple[str, ...], Stats] = {}
        self.breaks: set[tuple[int, int]] = set()  # (segment, position) of clause ends
        self._follow: dict[tuple[str, ...], Counter[str]] = {}

    def add(self, text: str) -> int:
        """Add a segment; returns its number (to exclude it from counts later)."""
        raw = [t for t, _, _ in tokens(text) if core(t)]
        toks = tuple(core(t) for t in raw)
        sid = len(self.segments)
        self.segments.append(toks)
        self._stats.clear()
        self._follow.clear()
        # where a sentence or clause ends after a word (`Pools.`, `DynamoDB,`): what follows
        # there does not continue a name
        self.breaks.update((sid, i) for i, t in enumerate(raw) if re.search(r"[.,;:!?)]$", t))
        for i, t in enumerate(toks):
            self.index.setdefault(t, []).append((sid, i))
            if not is_caps(t):
                self.lower_words.add(t.lower())
        return sid

    def _occurrences(
        self, phrase: tuple[str, ...], sids: Iterable[int]
    ) -> Iterable[tuple[str, str]]:
        """(word before, word after) of each occurrence of `phrase` in the given segments."""
        n = len(phrase)
        for sid in sids:
            toks = self.segments[sid]
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == phrase:
                    yield (toks[i - 1] if i else "", toks[i + n] if i + n < len(toks) else "")

    def _phrase_stats(self, phrase: tuple[str, ...]) -> Stats:
        """Occurrences of `phrase` on the whole page, with the words before and after them."""
        cached = self._stats.get(phrase)
        if cached is not None:
            return cached
        total, before, after = 0, Counter[str](), Counter[str]()
        n = len(phrase)
        for sid, start in self._starts(phrase):
            toks = self.segments[sid]
            total += 1
            before[toks[start - 1] if start else ""] += 1
            after[toks[start + n] if start + n < len(toks) else ""] += 1
        self._stats[phrase] = (total, before, after)
        return total, before, after

    def followers(self, phrase: Sequence[str], exclude: Iterable[int] = ()) -> Counter[str]:
        """The word after each occurrence of `phrase` outside the excluded segments (`""` at
        the end of a segment or of a clause)."""
        key = tuple(p for p in (core(x) for x in phrase) if p)
        if not key:
            return Counter()
        n = len(key)
        everywhere = self._follow.get(key)
        if everywhere is None:
            everywhere = self._follow[key] = Counter(
                self._follower(sid, i, n) for sid, i in self._starts(key)
            )
        out = everywhere.copy()
        for sid in set(exclude):
            toks = self.segments[sid]
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == key:
                    out[self._follower(sid, i, n)] -= 1
        return +out

    def _starts(self, key: tuple[str, ...]) -> Iterable[tuple[int, int]]:
        """(segment, position) of each occurrence of `key`, found through its rarest word."""
        n = len(key)
        j = min(range(n), key=lambda x: len(self.index.get(key[x], ())))
        for sid, i in self.index.get(key[j], ()):
            start = i - j
            if start >= 0 and self.segments[sid][start : start + n] == key:
                yield sid, start

    def _follower(self, sid: int, start: int, n: int) -> str:
        toks = self.segments[sid]
        end = start + n
        return "" if end >= len(toks) or (sid, end - 1) in self.breaks else toks[end]

    def count(
        self,
        phrase: Sequence[str],
        exclude: Iterable[int] = (),
        not_before: str | None = None,
        not_after: str | None = None,
    ) -> int:
        """Occurrences of `phrase` (case-sensitive, whole words) outside the excluded segments.

        `not_before`: skip occurrences preceded by this word; `not_after`: followed by it.
        """
        key = tuple(p for p in (core(x) for x in phrase) if p)
        if not key:
            return 0
        total, before, after = self._phrase_stats(key)
        if not total:
            return 0
        nb = core(not_before) if not_before is not None else None
        na = core(not_after) if not_after is not None else None
        hits = total - (before[nb] if nb else 0) - (after[na] if na else 0)
        if nb and na:  # occurrences with both neighbours were subtracted twice
            hits += sum(
                1
                for b, a in self._occurrences(key, range(len(self.segments)))
                if b == nb and a == na
            )
        for b, a in self._occurrences(key, set(exclude)):
            if (nb and b == nb) or (na and a == na):
                continue
            hits -= 1
        return hits


@dataclass(frozen=True)
class Vocab:
    """The words of a table's surely split labels, minus those of the row at hand."""

    counts: Counter[str]
    own: set[str]

    def __contains__(self, word: object) -> bool:
        return self.counts.get(str(word), 0) - (word in self.own) > 0
