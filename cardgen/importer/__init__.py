"""A study page pasted from the web (plain text) -> a Markdown source in format v1.

Pure: `import_page(text, path)` returns the Markdown text and located diagnostics (`I` codes,
line numbers of the pasted page); it prints nothing and touches no file. The generated source is
parsed back with `cardgen.source.parse_text` before it is returned, so a bug here shows up as an
`I011` error rather than as a broken source.

The stages, in the order `run` calls them over one `state.ImportState` (docs/import.md has the
rules each one follows):

- `page`: the page's bytes and lines, and what marks a line as residue (loading indicators,
  breadcrumbs, cookie banners, menus, share bars, bookkeeping, links to the next page);
- `tables`: pasted tables (pipe or tab-separated) found and read into rows (`find_tables`);
- `lines`: the other lines sorted into content and residue by what they say and where they
  stand (footer, trailing navigation, related links); the attribution line becomes the source;
- `tables` again: header cells split into subject name and tagline, first cells into label
  and exam tip (`cells`, on the page's `evidence`), unsure splits reported (`I002`, `I003`);
- `structure`: title, description, headings, note paragraphs, scenarios (`scenarios`), traps
  (`traps`) and unplaced text (`I004`);
- `emit`: the Markdown source, parsed back as a check (`I011`).

`words` holds the word lists and token shapes every stage shares.
"""

from __future__ import annotations

from dataclasses import replace

from cardgen.diagnostics import Diagnostic, diag
from cardgen.importer.emit import render, title_slug_of
from cardgen.importer.lines import classify, report_residue
from cardgen.importer.page import clean, decode_page, page_lines
from cardgen.importer.state import ImportState
from cardgen.importer.structure import structure
from cardgen.importer.tables import find_tables, register_table, resolve_table
from cardgen.importer.words import strip_emoji
from cardgen.model import Loc


def run(state: ImportState) -> str:
    """Run the import stages over the page in `state`; returns the Markdown source."""
    find_tables(state)
    classify(state)
    for t in state.tables:
        register_table(state, t)
    for t in state.tables:
        resolve_table(state, t)
    structure(state)
    report_residue(state)
    return render(state)


def title_slug(text: str) -> str:
    """The default file stem for a pasted page (from its title line)."""
    state = ImportState(path="", lines=page_lines(clean(text)), doc_id=None)
    find_tables(state)
    classify(state)
    first = state.tables[0].line if state.tables else None
    intro = [s for no, s in state.content if first is None or no < first]
    return title_slug_of(strip_emoji(intro[0])) if intro else "imported"


def import_page(
    text: str, path: str = "<stdin>", doc_id: str | None = None
) -> tuple[str, list[Diagnostic]]:
    """Turn a pasted study page into a format-v1 source. Returns (Markdown, diagnostics).

    `path` names the page in diagnostics (line numbers are the page's); `doc_id` is written as
    the front matter `id` (default: the slug of the title).
    """
    text = clean(text)
    if not text.strip():
        return "", [diag(Loc(path, 1, 1), "I010", "page is empty")]
    state = ImportState(path=path, lines=page_lines(text), doc_id=doc_id)
    markdown = run(state)
    diags = sorted(state.diags, key=lambda d: (d.loc.line, d.loc.col, d.code))
    return markdown, diags


def html_page(html: str, path: str) -> tuple[str | None, list[int], list[Diagnostic]]:
    """A saved HTML page as page text (see `importer.html`) and per text line the HTML line;
    None and an `I018` error when the `html` extra is not installed."""
    from cardgen.importer.html import HtmlSupportMissing, html_to_page

    try:
        text, source = html_to_page(html)
    except HtmlSupportMissing as exc:
        return None, [], [diag(Loc(path, 1, 1), "I018", str(exc))]
    return text, source, []


def on_html_lines(diags: list[Diagnostic], source: list[int]) -> list[Diagnostic]:
    """Diagnostics located on the page text moved to the HTML lines the text came from."""
    out = []
    for d in diags:
        line = source[d.loc.line - 1] if 0 < d.loc.line <= len(source) else 1
        out.append(replace(d, loc=replace(d.loc, line=line, col=1)))
    return sorted(out, key=lambda d: (d.loc.line, d.loc.col, d.code))


__all__ = [
    "decode_page",
    "html_page",
    "import_page",
    "on_html_lines",
    "title_slug",
    "title_slug_of",
]
