"""The command line: the only package that imports click, prints, or picks exit codes.

Exit codes: 0 success, 1 content errors (diagnostics), 2 bad usage. Heavy libraries (genanki,
typst, anki) are imported lazily inside commands so that `cardgen --help` stays fast. One module
per group of commands: `facts` (show, preview, check), `building` (build), `importing` (import),
`collection` (sync, watch, init); `common` holds the `cardgen` group and what they share.
"""

from __future__ import annotations

from cardgen.cli import building, collection, facts, importing  # noqa: F401  (registers commands)
from cardgen.cli.common import cli

__all__ = ["cli", "main"]


def main() -> None:  # pragma: no cover
    cli(prog_name="cardgen")
