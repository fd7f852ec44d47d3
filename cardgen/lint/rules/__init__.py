"""The lint rules, one function per code, and the one table the runner walks.

A rule is a function `(ctx: Context) -> Iterable[Diagnostic]` that reports only its own code. Its
code's severity, one-line summary and docs anchor are in `cardgen.diagnostics.REGISTRY`; every
registered L code but L100 (the runner's own, about `lint: ignore` entries) has exactly one
function here (tests/test_diagnostics.py and tests/test_lint.py keep the two in step).

To add a rule: register its code in `cardgen/diagnostics.py`, write its module here, add it to
`TABLE`, and document it in docs/lint.md and docs/diagnostics.md with a bad and a good example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cardgen.diagnostics import Diagnostic
from cardgen.lint.context import Context
from cardgen.lint.rules.answer_length import answer_too_long
from cardgen.lint.rules.attribution import no_attribution
from cardgen.lint.rules.clozes import cloze_given_away, cloze_hides_sentence, no_cloze
from cardgen.lint.rules.empty_rows import row_teaches_nothing
from cardgen.lint.rules.enumeration import too_many_items
from cardgen.lint.rules.guessable import cloze_guessable
from cardgen.lint.rules.interference import same_prompts
from cardgen.lint.rules.self_naming import names_own_subject

Rule = Callable[[Context], Iterable[Diagnostic]]

TABLE: dict[str, Rule] = {
    "L101": answer_too_long,
    "L102": too_many_items,
    "L103": same_prompts,
    "L104": names_own_subject,
    "L105": row_teaches_nothing,
    "L106": no_cloze,
    "L107": cloze_hides_sentence,
    "L108": no_attribution,
    "L109": cloze_given_away,
    "L110": cloze_guessable,
}

__all__ = ["TABLE", "Rule"]
