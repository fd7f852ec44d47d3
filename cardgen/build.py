"""Orchestration: read and validate every source first; writers run only when nothing failed.

No printing and no exit codes here (that is `cli`'s job): functions return result objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.diagnostics import Diagnostic, error, sort_key
from cardgen.model import Document
from cardgen.parse import discover, parse_file


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def display_path(path: Path) -> str:
    """How a path is named in diagnostics: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(paths: Sequence[Path]) -> Loaded:
    """Parse every source under `paths`; check what spans sources (duplicate deck ids)."""
    result = Loaded()
    files, diags = discover(paths)
    result.diagnostics.extend(diags)
    seen_ids: dict[str, Document] = {}
    for f, _root in files:
        doc, file_diags = parse_file(f, display_path(f))
        result.diagnostics.extend(file_diags)
        if doc is None:
            continue
        if doc.id in seen_ids:
            first = seen_ids[doc.id]
            result.diagnostics.append(
                error(
                    doc.loc,
                    "P022",
                    f"deck id {doc.id!r} is also used by {first.path}; set a unique `id:`",
                )
            )
            continue
        seen_ids[doc.id] = doc
        result.documents.append(doc)
    result.diagnostics.sort(key=sort_key)
    return result
