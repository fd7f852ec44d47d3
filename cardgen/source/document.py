"""Markdown study source -> `Document` (facts) plus located diagnostics: the token walk.

markdown-it-py tokens are walked once, heading by heading; each block goes to the reader of its
kind (`tables`, `traps`, `scenarios`, `images`), and what no reader takes becomes the
description (before the first `##`) or a section's note. Line numbers come from token maps. The
parser never raises on bad content: every problem becomes a `Diagnostic`, and parsing goes on so
that a file's problems are all reported at once.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it.token import Token

from cardgen.diagnostics import Diagnostic, diag
from cardgen.markdown import MAX_NESTING, markdown
from cardgen.model import Document, Loc, Note
from cardgen.source.files import normalise_text, read_text, text_problem
from cardgen.source.frontmatter import FrontMatter, read_front_matter
from cardgen.source.images import collect_images
from cardgen.source.paths import name_problem
from cardgen.source.scenarios import finish_scenarios, read_list
from cardgen.source.state import ParseState, Section, block_end
from cardgen.source.tables import read_table
from cardgen.source.traps import TRAP_ALERTS, add_trap, is_trap_heading
from cardgen.text import one_line, slugify


def parse_file(path: Path, shown: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one file; `shown` is how to name it in diagnostics (default: as given)."""
    name = shown if shown is not None else str(path)
    bad_name = name_problem(path, name)
    if bad_name is not None:
        return None, [bad_name]
    text, diags = read_text(path, name)
    if text is None:
        return None, diags
    doc, more = parse_text(text, name, path.parent)
    return doc, diags + more


def parse_text(
    text: str, path: str, base_dir: Path | None = None
) -> tuple[Document, list[Diagnostic]]:
    """Parse one source's text. `path` is how the file is named in diagnostics.

    Never raises on content: problems come back as diagnostics, sorted by line and column.
    `base_dir` is the folder that image paths are resolved in (None: images are not checked
    on disk).
    """
    text = normalise_text(text)
    too_big = text_problem(text, path)
    if too_big is not None:
        return _empty_document(path), [too_big]
    lines = text.split("\n")
    st = ParseState(path=path, lines=lines, base_dir=base_dir)
    try:
        tokens = markdown().parse(text)
    except RecursionError:  # pragma: no cover - maxNesting keeps the parser flat
        return _empty_document(path), [diag(Loc(path), "P130", "input nests too deeply")]

    fm, fm_diags, tokens = read_front_matter(tokens, lines, path)
    st.diags.extend(fm_diags)
    for sec in _sections(st, tokens):
        body = "\n\n".join(p for p in sec.parts if p)
        if sec.kind in ("preamble", "description"):
            if body:
                st.description.append(body)
        elif body:
            st.notes.append(Note(sec.title, body, sec.loc))

    doc = _assemble(st, fm)
    st.diags.sort(key=lambda d: (d.loc.line, d.loc.col))
    return doc, st.diags


def _sections(st: ParseState, tokens: list[Token]) -> list[Section]:
    """Walk the tokens after the front matter: each heading opens a section, each other block
    is read into `st` by `_block` (what no reader takes is kept in its section's parts).

    The first `# H1` is the title and opens the description; a heading with a trap word opens a
    trap section, which lasts until a heading of its level or above.
    """
    section = Section("", 0, Loc(st.path, 1, 1), "preamble")
    sections: list[Section] = []
    trap_level = 0  # heading level of the enclosing trap section, 0 when none
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        end = block_end(tokens, i)
        if tok.type != "heading_open":
            _block(st, section, tokens[i:end])
            i = end
            continue
        level = int(tok.tag[1:])
        inline = next((t for t in tokens[i:end] if t.type == "inline"), None)
        heading = one_line(inline.content) if inline else ""
        if inline is not None:
            collect_images(st, inline, tok.map)
        sections.append(section)
        if level == 1 and not st.title and heading:
            st.title = heading
            st.title_loc = st.loc(tok)
            section = Section(heading, 1, st.loc(tok), "description")
            trap_level = 0
        else:
            if trap_level and level <= trap_level:
                trap_level = 0
            if is_trap_heading(heading):
                trap_level = trap_level or level
            section = Section(heading, level, st.loc(tok), "trap" if trap_level else "other")
        i = end
    sections.append(section)
    return sections


def _block(st: ParseState, section: Section, block: list[Token]) -> None:
    """One top-level block (not a heading): a table, an alert, a list or a paragraph."""
    tok = block[0]
    deepest = 0
    for t in block:
        deepest = max(deepest, t.level)
        if t.type == "inline":
            collect_images(st, t, t.map or tok.map)
    if deepest >= MAX_NESTING - 1 and not st.nesting_warned:
        st.nesting_warned = True
        st.diags.append(
            diag(
                st.loc(tok),
                "P130",
                f"content is nested more than {MAX_NESTING} levels deep; what lies deeper is not "
                "read (after a deep list, nothing more of the file is): flatten it",
            )
        )
    if tok.type == "table_open":
        read_table(st, block)
        return
    if tok.type == "alert_open":
        if tok.info.upper() in TRAP_ALERTS:
            paras = [t for t in block if t.type == "inline" and t.map]
            add_trap(st, "\n\n".join(t.content for t in paras), st.loc(tok))
        else:
            section.parts.append(st.raw(tok.map))
        return
    if tok.type in ("bullet_list_open", "ordered_list_open"):
        leftovers: list[str] = []
        read_list(st, section, block, "", leftovers)
        if leftovers:
            section.parts.append("\n".join(leftovers))
        return
    if tok.type == "paragraph_open" and section.kind == "trap":
        add_trap(st, block[1].content, st.loc(tok))
        return
    section.parts.append(st.raw(tok.map))


def _assemble(st: ParseState, fm: FrontMatter) -> Document:
    """The `Document` of a finished walk (P020 no title, P021 no facts at all)."""
    stem = Path(st.path).stem
    if not st.title:
        st.diags.append(
            diag(Loc(st.path, 1, 1), "P020", "no `# Title` heading; using the file name")
        )
    title = st.title or stem
    subjects = [s for c in st.comparisons for s in c.subjects]
    scenarios = finish_scenarios(st, subjects)
    if not (st.comparisons or st.traps or scenarios):
        st.diags.append(
            diag(Loc(st.path, 1, 1), "P021", "no comparison table, trap or scenario found")
        )
    return Document(
        path=st.path,
        id=fm.id or slugify(stem) or "deck",
        title=title,
        deck=fm.deck or title,
        tags=fm.tags,
        source=fm.source,
        description="\n\n".join(st.description),
        comparisons=tuple(st.comparisons),
        traps=tuple(st.traps),
        scenarios=tuple(scenarios),
        notes=tuple(st.notes),
        images=tuple(st.images),
        lint_ignore=fm.lint_ignore,
        loc=st.title_loc or Loc(st.path, 1, 1),
        meta_locs=tuple(fm.locs.items()),
        lint_ignore_locs=fm.lint_ignore_locs,
        front_matter_error=fm.failed,
    )


def _empty_document(path: str) -> Document:
    """The document of a source that could not be read at all."""
    stem = Path(path).stem
    return Document(path=path, id=slugify(stem) or "deck", title=stem, deck=stem)
