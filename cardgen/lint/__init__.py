"""Card-quality lint: which cards will be hard to learn, found before anyone studies them.

Pure functions over one document's facts and the cards built from them; no I/O, standard library
only (plus our own `cards` helpers). The rules follow SuperMemo's "20 rules of formulating
knowledge" (Wozniak 1999) where they can be checked mechanically; `docs/lint.md` documents each
rule with its rationale, threshold and a bad / good example.

Every rule has a code of its own in family L (registered in `cardgen.diagnostics.REGISTRY`) and
reports a *warning* located at the line of the fact the card comes from (`--strict` makes
warnings fail). Where things are:

- `runner`: `lint()` runs every rule, applies the ignore lists and reports stale entries (L100);
- `rules/`: one module per rule (the trap cloze rules together) and `rules.TABLE`, code -> rule;
- `context`: what a rule reads (the document, its cards, shared views of them);
- `words`: word and item counts, prompt folding (`plain` and `sentences` are in `cardgen.text`).
"""

from __future__ import annotations

from cardgen.lint.rules.answer_length import MAX_ANSWER_WORDS, MAX_CLOZE_WORDS
from cardgen.lint.rules.enumeration import MAX_ITEMS
from cardgen.lint.runner import IgnoreEntry, fact_ids, lint, unknown_codes
from cardgen.lint.words import count_items, count_words
from cardgen.text import plain

__all__ = [
    "MAX_ANSWER_WORDS",
    "MAX_CLOZE_WORDS",
    "MAX_ITEMS",
    "IgnoreEntry",
    "count_items",
    "count_words",
    "fact_ids",
    "lint",
    "plain",
    "unknown_codes",
]
