"""Reading sources: files on disk -> `Document` (the facts model) and P-code diagnostics.

The public face of the reader (import from here); the modules behind it each do one step
(see docs/architecture.md):

- `paths`: finding sources under the paths given (`discover`) and naming them in messages;
- `files`: reading one file safely (size limits, encodings) into normalised text;
- `document`: the token walk, `parse_text` / `parse_file`: headings, sections, notes, and the
  assembled `Document`; it hands each block to the reader of its kind:
  `tables` (comparison tables), `traps` (trap paragraphs, items and alerts), `scenarios` (lists,
  `prompt → answer`, decision trees, linking answers to subjects), `images` (image references);
- `state`: the parse state those readers share;
- `frontmatter`: the YAML front matter's keys; `safe_yaml`: YAML -> nodes, refusing anything
  costly (aliases, deep nesting);
- `export`: `document_json`, the `cardgen show --json` contract.
"""

from __future__ import annotations

from cardgen.source.document import parse_file, parse_text
from cardgen.source.export import document_json
from cardgen.source.files import (
    MAX_SOURCE_BYTES,
    MAX_SOURCE_LINES,
    looks_utf16,
    normalise_text,
    read_text,
)
from cardgen.source.frontmatter import KNOWN_KEYS, MAX_FRONT_MATTER_BYTES
from cardgen.source.paths import (
    SOURCE_SUFFIXES,
    discover,
    name_problem,
    not_markdown,
    printable_path,
)
from cardgen.source.scenarios import split_arrow
from cardgen.source.tables import TIP_HEADERS, split_cells, split_tagline
from cardgen.source.traps import TRAP_WORDS

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
