"""Reading sources: files on disk -> `Document` (the facts model) and P-code diagnostics.

The public face of the reader; the modules behind it each do one step (see docs/architecture.md).
"""

from __future__ import annotations

from cardgen.source.document import (
    KNOWN_KEYS,
    MAX_FRONT_MATTER_BYTES,
    MAX_SOURCE_BYTES,
    MAX_SOURCE_LINES,
    SOURCE_SUFFIXES,
    TIP_HEADERS,
    TRAP_WORDS,
    discover,
    document_json,
    looks_utf16,
    name_problem,
    normalise_text,
    not_markdown,
    parse_file,
    parse_text,
    printable_path,
    read_text,
    split_arrow,
    split_cells,
    split_tagline,
)

__all__ = [
    "KNOWN_KEYS",
    "MAX_FRONT_MATTER_BYTES",
    "MAX_SOURCE_BYTES",
    "MAX_SOURCE_LINES",
    "SOURCE_SUFFIXES",
    "TIP_HEADERS",
    "TRAP_WORDS",
    "discover",
    "document_json",
    "looks_utf16",
    "name_problem",
    "normalise_text",
    "not_markdown",
    "parse_file",
    "parse_text",
    "printable_path",
    "read_text",
    "split_arrow",
    "split_cells",
    "split_tagline",
]
