"""L108 no source attribution: a file whose cards cannot say where their facts come from."""

from __future__ import annotations

from collections.abc import Iterator

from cardgen.diagnostics import Diagnostic, diag
from cardgen.lint.context import Context
from cardgen.model import Loc


def no_attribution(ctx: Context) -> Iterator[Diagnostic]:
    """L108: no `source:` in the front matter, reported at line 1. Quiet when the front matter
    could not be read (P010) or its `source:` was refused (P011): that is reported already, and
    nothing is known to be missing."""
    doc = ctx.doc
    if not doc.source.strip() and not doc.front_matter_error and doc.meta_loc("source") is None:
        yield diag(
            Loc(doc.path, 1, 1),
            "L108",
            "no `source:` in the front matter: cards cannot say where their facts come from",
        )
