"""L105 a row that teaches nothing: every value the same, or every value a bare YES / NO."""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.cards import is_bare, normalise_value
from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context


def row_teaches_nothing(ctx: Context) -> Iterator[Diagnostic]:
    """L105: a row (of a table with two or more subjects, every value filled in) whose values
    are all the same, or all bare YES / NO / None."""
    for comp in ctx.doc.comparisons:
        if len(comp.subjects) < 2:
            continue
        for row in comp.rows:
            if not all(v.strip() for v in row.values):
                continue
            if len({normalise_value(v) for v in row.values}) == 1:
                yield diag(
                    row.loc,
                    "L105",
                    f"every subject has the same value in row {row.attribute!r}: the compare "
                    "card shows no difference and no identify card is made; drop the row or "
                    "say how the subjects differ",
                )
            elif all(is_bare(v) for v in row.values):
                yield diag(
                    row.loc,
                    "L105",
                    f"every value in row {row.attribute!r} is a bare YES / NO: forward cards are "
                    "coin flips and no identify card is made; add a few words (`YES — via …`)",
                )
