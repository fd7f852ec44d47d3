"""Markdown study source -> `Document` (facts) plus located diagnostics.

markdown-it-py lives here (and in `render`). Line numbers come from token maps. The parser never
raises on bad content: every problem becomes a `Diagnostic`, and parsing goes on so that a file's
problems are all reported at once.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from cardgen.diagnostics import Diagnostic, error, warning
from cardgen.model import (
    Comparison,
    Document,
    Image,
    Loc,
    Note,
    Row,
    Scenario,
    Subject,
    Trap,
)

MAX_SOURCE_BYTES = 8 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_NESTING = 20

TIP_HEADERS = frozenset({"tip", "tips", "exam tip", "exam tips", "note", "notes", "why it matters"})
TRAP_WORDS = ("trap", "gotcha", "pitfall")
TRAP_ALERTS = frozenset({"WARNING", "CAUTION"})
KNOWN_KEYS = ("deck", "tags", "source", "id", "lint")

_ARROW = re.compile(r"\s*(?:→|->)\s*")
_EXPLICIT_ID = re.compile(r"\s*\{#([A-Za-z0-9][A-Za-z0-9_.-]*)\}\s*")
_TAGLINE_SPLIT = re.compile(r"\s+—\s+")
_LEADING_BOLD = re.compile(r"^(\*\*|__)(?P<title>(?:(?!\1).)+?)\1")
_WS = re.compile(r"\s*\n\s*")


def _make_md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "alerts": True, "maxNesting": MAX_NESTING})
    md.enable("table")
    md.use(front_matter_plugin)
    return md


_MD = _make_md()


def markdown() -> MarkdownIt:
    """The one configured parser (shared with `render`)."""
    return _MD


# --------------------------------------------------------------------------------------------
# Small text helpers


def slugify(text: str) -> str:
    """ASCII slug: `Core Purpose` -> `core-purpose`; non-Latin text falls back to a short hash."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug and text.strip():
        slug = f"h{zlib.crc32(text.strip().encode('utf-8')):08x}"
    return slug


def one_line(text: str) -> str:
    """Trim and fold soft line breaks into single spaces."""
    return _WS.sub(" ", text.strip())


def plain_label(text: str) -> str:
    """A header cell reduced for comparison: no emphasis markers, lower case, no trailing colon."""
    return text.strip().strip("*_").strip().rstrip(":").strip().lower()


def split_cells(line: str) -> list[tuple[str, int]]:
    """Split a GFM table line into (cell text, 1-based column) pairs, honouring `\\|` escapes."""
    cells: list[tuple[str, int]] = []
    i = 0
    n = len(line)
    while i < n and line[i] in " \t":
        i += 1
    if i < n and line[i] == "|":
        i += 1
    start = i
    buf_start = start
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "|":
            cells.append((line[buf_start:i], buf_start + 1))
            buf_start = i + 1
        i += 1
    tail = line[buf_start:]
    if tail.strip() or not cells:
        cells.append((tail, buf_start + 1))
    out: list[tuple[str, int]] = []
    for text, col in cells:
        stripped = text.lstrip()
        out.append((text.strip(), col + (len(text) - len(stripped))))
    return out


def _strip_id(text: str) -> tuple[str, str]:
    m = _EXPLICIT_ID.search(text)
    if not m:
        return text.strip(), ""
    return (text[: m.start()] + " " + text[m.end() :]).strip(), m.group(1).lower()


# --------------------------------------------------------------------------------------------
# Reading files


def read_text(path: Path, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """Read a source as text: BOM stripped, line endings normalised; never raises."""
    loc = Loc(shown, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            return None, [
                error(loc, "P003", f"file is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
            ]
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [error(loc, "P001", "no such file or directory")]
    except IsADirectoryError:
        return None, [error(loc, "P001", "is a directory, expected a .md file")]
    except OSError as exc:
        return None, [error(loc, "P001", f"cannot read file: {exc.strerror or exc}")]
    if b"\x00" in data:
        return None, [error(loc, "P002", "file looks binary (contains NUL bytes)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            error(Loc(shown, line, col), "P002", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        ]
    return normalise_text(text), []


def normalise_text(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------------------------
# Front matter


@dataclass
class FrontMatter:
    deck: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    id: str = ""
    lint_ignore: tuple[str, ...] = ()


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases, so an alias bomb cannot expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _AliasError(event.start_mark)
        return super().compose_node(parent, index)


class _AliasError(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__("alias")
        self.mark = mark


def parse_front_matter(
    text: str, path: str, first_line: int
) -> tuple[FrontMatter, list[Diagnostic]]:
    """Parse front matter YAML; `first_line` is the file line of the YAML's first line."""
    fm = FrontMatter()
    diags: list[Diagnostic] = []
    top = Loc(path, first_line, 1)
    if len(text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        return fm, [error(top, "P010", f"front matter is over {MAX_FRONT_MATTER_BYTES:,} bytes")]
    try:
        loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _AliasError as exc:
        loc = Loc(path, first_line + exc.mark.line, exc.mark.column + 1)
        return fm, [error(loc, "P013", "YAML anchors and aliases are not allowed in front matter")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = Loc(path, first_line + mark.line, mark.column + 1) if mark else top
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return fm, [error(loc, "P010", f"front matter is not valid YAML: {problem}")]
    if node is None:
        return fm, diags
    if not isinstance(node, yaml.MappingNode):
        return fm, [error(top, "P011", "front matter must be a mapping of keys to values")]
    for key_node, value_node in node.value:
        loc = Loc(path, first_line + key_node.start_mark.line, key_node.start_mark.column + 1)
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in KNOWN_KEYS:
            known = ", ".join(KNOWN_KEYS)
            diags.append(warning(loc, "P012", f"unknown front-matter key {key!r} (known: {known})"))
            continue
        try:
            value = yaml.SafeLoader("").construct_object(value_node, deep=True)
        except yaml.YAMLError as exc:  # pragma: no cover - compose already validated it
            diags.append(error(loc, "P010", f"front matter is not valid YAML: {exc}"))
            continue
        if key in ("deck", "source", "id"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                diags.append(error(loc, "P011", f"`{key}` must be a non-empty string"))
                continue
            value = value.strip()
            if key == "deck":
                parts = [p.strip() for p in value.split("::")]
                if any(not p for p in parts):
                    diags.append(error(loc, "P011", "`deck` has an empty part between `::`"))
                    continue
                fm.deck = "::".join(parts)
            elif key == "source":
                fm.source = one_line(value)
            else:
                slug = slugify(value)
                if slug != value:
                    diags.append(
                        error(
                            loc,
                            "P011",
                            f"`id` must be lower case letters, digits and dashes (try {slug!r})",
                        )
                    )
                    continue
                fm.id = slug
        elif key == "tags":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(
                isinstance(t, (str, int)) and str(t).strip() for t in value
            ):
                diags.append(error(loc, "P011", "`tags` must be a list of non-empty strings"))
                continue
            fm.tags = tuple(dict.fromkeys(str(t).strip() for t in value))
        elif key == "lint":
            ignore = value.get("ignore") if isinstance(value, dict) else None
            if isinstance(ignore, str):
                ignore = [ignore]
            if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
                diags.append(
                    error(loc, "P011", "`lint` must be a mapping like {ignore: [L101, L102]}")
                )
                continue
            fm.lint_ignore = tuple(c.strip().upper() for c in ignore)
    return fm, diags


# --------------------------------------------------------------------------------------------
# The document walk


@dataclass
class _Section:
    title: str
    level: int
    loc: Loc
    kind: str  # "preamble" | "description" | "trap" | "other"
    parts: list[str] = field(default_factory=list)


@dataclass
class _State:
    path: str
    lines: list[str]
    base_dir: Path | None
    diags: list[Diagnostic] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    scenarios: list[tuple[str, str, Loc]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    title: str = ""
    title_loc: Loc | None = None

    def loc(self, token_or_map: Token | Sequence[int] | None, col: int = 1) -> Loc:
        m = token_or_map.map if isinstance(token_or_map, Token) else token_or_map
        return Loc(self.path, (m[0] + 1) if m else 1, col)

    def raw(self, m: Sequence[int] | None) -> str:
        if not m:
            return ""
        return "\n".join(self.lines[m[0] : m[1]]).strip()


def _block_end(tokens: list[Token], i: int) -> int:
    """Index just past the block that opens at tokens[i] (nesting by `nesting`)."""
    depth = 0
    j = i
    while j < len(tokens):
        depth += tokens[j].nesting
        j += 1
        if depth <= 0:
            return j
    return j


def parse_text(
    text: str, path: str, base_dir: Path | None = None
) -> tuple[Document, list[Diagnostic]]:
    """Parse one source's text. `path` is how the file is named in diagnostics."""
    text = normalise_text(text)
    lines = text.split("\n")
    st = _State(path=path, lines=lines, base_dir=base_dir)
    try:
        tokens = _MD.parse(text)
    except RecursionError:  # pragma: no cover - maxNesting keeps the parser flat
        return _empty_document(path), [error(Loc(path), "P130", "input nests too deeply")]

    fm = FrontMatter()
    section = _Section("", 0, Loc(path, 1, 1), "preamble")
    sections: list[_Section] = []
    trap_level = 0  # heading level of the enclosing trap section, 0 when none
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "front_matter":
            fm, fm_diags = parse_front_matter(tok.content, path, (tok.map[0] + 2) if tok.map else 2)
            st.diags.extend(fm_diags)
            i += 1
            continue
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            heading = one_line(tokens[i + 1].content)
            _collect_images(st, tokens[i + 1], tok.map)
            sections.append(section)
            if level == 1 and not st.title:
                st.title = heading
                st.title_loc = st.loc(tok)
                section = _Section(heading, 1, st.loc(tok), "description")
                trap_level = 0
            else:
                if trap_level and level <= trap_level:
                    trap_level = 0
                if any(w in heading.lower() for w in TRAP_WORDS):
                    trap_level = trap_level or level
                kind = "trap" if trap_level else "other"
                section = _Section(heading, level, st.loc(tok), kind)
            i = _block_end(tokens, i)
            continue
        end = _block_end(tokens, i)
        _block(st, section, tokens, i, end)
        i = end
    sections.append(section)

    for sec in sections:
        body = "\n\n".join(p for p in sec.parts if p)
        if sec.kind in ("preamble", "description"):
            if body:
                st.description.append(body)
        elif body:
            st.notes.append(Note(sec.title, body, sec.loc))

    doc = _assemble(st, fm)
    return doc, st.diags


def _block(st: _State, section: _Section, tokens: list[Token], i: int, end: int) -> None:
    tok = tokens[i]
    block = tokens[i:end]
    for t in block:
        if t.type == "inline":
            _collect_images(st, t, t.map or tok.map)
    if tok.level >= MAX_NESTING - 1 or any(t.level >= MAX_NESTING - 1 for t in block):
        st.diags.append(
            warning(st.loc(tok), "P130", f"content nested deeper than {MAX_NESTING} levels is cut")
        )
    if tok.type == "table_open":
        _table(st, block)
        return
    if tok.type == "alert_open":
        if tok.info.upper() in TRAP_ALERTS:
            paras = [t for t in block if t.type == "inline" and t.map]
            _trap(st, "\n\n".join(t.content for t in paras), st.loc(tok))
        else:
            section.parts.append(st.raw(tok.map))
        return
    if tok.type in ("bullet_list_open", "ordered_list_open"):
        leftovers: list[str] = []
        for item_tokens in _list_items(block):
            item_open = item_tokens[0]
            inlines = [t for t in item_tokens if t.type == "inline"]
            item_text = "\n\n".join(t.content.strip() for t in inlines if t.content.strip())
            if section.kind == "trap":
                _trap(st, item_text, st.loc(item_open))
            elif section.kind != "description" and _ARROW.search(item_text):
                prompt, answer = _ARROW.split(one_line(item_text), maxsplit=1)
                st.scenarios.append((prompt.strip(), answer.strip(), st.loc(item_open)))
            else:
                leftovers.append(st.raw(item_open.map))
        if leftovers:
            section.parts.append("\n".join(leftovers))
        return
    if tok.type == "paragraph_open" and section.kind == "trap":
        _trap(st, block[1].content, st.loc(tok))
        return
    section.parts.append(st.raw(tok.map))


def _list_items(block: list[Token]) -> Iterable[list[Token]]:
    base = block[0].level + 1
    j = 1
    while j < len(block):
        t = block[j]
        if t.type == "list_item_open" and t.level == base:
            k = _block_end(block, j)
            yield block[j:k]
            j = k
        else:
            j += 1


def _collect_images(st: _State, inline: Token, m: Sequence[int] | None) -> None:
    for child in inline.children or ():
        if child.type != "image":
            continue
        ref = str(child.attrs.get("src", ""))
        loc = st.loc(m)
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I):
            st.diags.append(error(loc, "P120", f"image {ref!r}: remote images are not packed"))
            continue
        if ref.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", ref):
            st.diags.append(error(loc, "P120", f"image {ref!r}: absolute paths are not allowed"))
            continue
        if st.base_dir is None:
            st.images.append(Image(ref, ref, loc))
            continue
        base = st.base_dir.resolve()
        target = (base / ref).resolve()
        if base not in target.parents:
            st.diags.append(error(loc, "P120", f"image {ref!r} lies outside the source's folder"))
        elif not target.is_file():
            st.diags.append(error(loc, "P120", f"image {ref!r} not found"))
        else:
            st.images.append(Image(ref, str(target), loc))


def _trap(st: _State, markdown_text: str, loc: Loc) -> None:
    text = one_line(markdown_text)
    title = ""
    m = _LEADING_BOLD.match(text)
    if m:
        inner = m.group("title").strip()
        rest = text[m.end() :]
        if inner.endswith(":"):
            title, text = inner[:-1].strip(), rest.strip()
        elif rest.startswith(":"):
            title, text = inner, rest[1:].strip()
        elif re.match(r"^\s*[—–]\s", rest) or rest.strip() in ("—", "–"):
            title, text = inner, re.sub(r"^\s*[—–]\s*", "", rest)
    if not text:
        st.diags.append(error(loc, "P110", "trap has no text after its title"))
        return
    st.traps.append(Trap(title, text, tuple(bold_spans(text)), loc))


def bold_spans(text: str) -> list[str]:
    """The Markdown inside each top-level bold span of an inline text, in order."""
    spans: list[str] = []
    tokens = _MD.parseInline(text)
    children = tokens[0].children if tokens else []
    depth = 0
    current: list[str] = []
    for child in children or ():
        if child.type == "strong_open":
            depth += 1
            if depth == 1:
                current = []
                continue
        elif child.type == "strong_close":
            depth -= 1
            if depth == 0:
                spans.append("".join(current).strip())
                continue
        if depth:
            current.append(_inline_source(child))
    return [s for s in spans if s]


def _inline_source(tok: Token) -> str:
    if tok.type == "text":
        return tok.content
    if tok.type == "code_inline":
        return f"{tok.markup}{tok.content}{tok.markup}"
    if tok.type in ("em_open", "em_close", "strong_open", "strong_close"):
        return tok.markup
    if tok.type in ("softbreak", "hardbreak"):
        return " "
    if tok.type == "link_open":
        return "["
    if tok.type == "link_close":
        return "]"
    return tok.content


def _table(st: _State, block: list[Token]) -> None:
    table_open = block[0]
    loc = st.loc(table_open)
    header_line = st.lines[table_open.map[0]] if table_open.map else ""
    header_raw = split_cells(header_line)
    rows_tokens: list[tuple[Token, list[str]]] = []
    current: list[str] | None = None
    current_tr: Token | None = None
    for t in block:
        if t.type == "tr_open":
            current, current_tr = [], t
        elif t.type == "inline" and current is not None:
            current.append(t.content)
        elif t.type == "tr_close" and current is not None and current_tr is not None:
            rows_tokens.append((current_tr, current))
            current = None
    if not rows_tokens:
        return
    _, header = rows_tokens[0]
    ncols = len(header)
    cols = [c for _, c in header_raw] + [1] * ncols
    tip_cols = [j for j in range(1, ncols) if plain_label(header[j]) in TIP_HEADERS]
    if len(tip_cols) > 1:
        st.diags.append(
            error(
                Loc(st.path, loc.line, cols[tip_cols[1]]),
                "P106",
                f"more than one tip column ({', '.join(header[j] for j in tip_cols)})",
            )
        )
    tip_col = tip_cols[0] if tip_cols else None
    subject_cols = [j for j in range(1, ncols) if j not in tip_cols]
    if not subject_cols:
        st.diags.append(
            error(loc, "P100", "table has no subject column (only an attribute and tip columns)")
        )
        return
    subjects: list[Subject] = []
    seen_subjects: dict[str, str] = {}
    for j in subject_cols:
        cell, explicit = _strip_id(header[j])
        parts = _TAGLINE_SPLIT.split(cell, maxsplit=1)
        name = parts[0].strip()
        tagline = parts[1].strip() if len(parts) > 1 else ""
        cell_loc = Loc(st.path, loc.line, cols[j])
        if not name:
            st.diags.append(error(cell_loc, "P105", f"subject in column {j + 1} has no name"))
            name = f"Column {j + 1}"
        sid = explicit or slugify(name)
        for key in {name.lower(), sid}:
            if key in seen_subjects:
                st.diags.append(
                    error(
                        cell_loc,
                        "P103",
                        f"duplicate subject {name!r} (same as {seen_subjects[key]!r})",
                    )
                )
                break
        seen_subjects.setdefault(name.lower(), name)
        seen_subjects.setdefault(sid, name)
        subjects.append(Subject(name, tagline, sid))

    rows: list[Row] = []
    seen_rows: dict[str, int] = {}
    for tr, cells in rows_tokens[1:]:
        line_no = tr.map[0] if tr.map else 0
        raw = split_cells(st.lines[line_no]) if tr.map else []
        row_loc = Loc(st.path, line_no + 1, 1)
        if raw and len(raw) != ncols:
            st.diags.append(
                error(
                    row_loc,
                    "P101",
                    f"row has {len(raw)} cell{'s' if len(raw) != 1 else ''}, expected {ncols}",
                )
            )
        rcols = [c for _, c in raw] + [1] * ncols
        attribute, explicit = _strip_id(cells[0])
        if not attribute:
            st.diags.append(error(row_loc, "P105", "row has an empty attribute cell"))
            continue
        rid = explicit or slugify(attribute)
        for key in {rid, "a:" + attribute.lower()}:
            if key in seen_rows:
                st.diags.append(
                    error(
                        row_loc,
                        "P102" if not explicit else "P107",
                        f"duplicate attribute {attribute!r} (first on line {seen_rows[key]})",
                    )
                )
                break
        seen_rows.setdefault(rid, line_no + 1)
        seen_rows.setdefault("a:" + attribute.lower(), line_no + 1)
        values = tuple(cells[j].strip() for j in subject_cols)
        for j, value in zip(subject_cols, values):
            if not value:
                st.diags.append(
                    warning(
                        Loc(st.path, line_no + 1, rcols[j]),
                        "P104",
                        f"empty value for {subjects[subject_cols.index(j)].name!r} "
                        f"in row {attribute!r}",
                    )
                )
        tip = cells[tip_col].strip() if tip_col is not None else ""
        rows.append(Row(attribute, tip, values, row_loc, rid))
    comp_id = "-vs-".join(s.id for s in subjects)
    st.comparisons.append(
        Comparison(tuple(subjects), tuple(rows), loc, _strip_id(header[0])[0], comp_id)
    )


def _link_subject(answer: str, subjects: Sequence[Subject]) -> str:
    plain = answer.lstrip("*_` ").lower()
    for s in sorted(subjects, key=lambda s: len(s.name), reverse=True):
        name = s.name.lower()
        if plain.startswith(name):
            after = plain[len(name) : len(name) + 1]
            if not after or not after.isalnum():
                return s.name
    return ""


def _assemble(st: _State, fm: FrontMatter) -> Document:
    stem = Path(st.path).stem
    if not st.title:
        st.diags.append(
            warning(Loc(st.path, 1, 1), "P020", "no `# Title` heading; using the file name")
        )
    title = st.title or stem
    subjects = [s for c in st.comparisons for s in c.subjects]
    scenarios: list[Scenario] = []
    for prompt, answer, loc in st.scenarios:
        if not prompt or not answer:
            st.diags.append(error(loc, "P111", "scenario needs text on both sides of the arrow"))
            continue
        scenarios.append(Scenario(prompt, answer, _link_subject(answer, subjects), loc))
    if not (st.comparisons or st.traps or scenarios):
        st.diags.append(
            warning(Loc(st.path, 1, 1), "P021", "no comparison table, trap or scenario found")
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
    )


def _empty_document(path: str) -> Document:
    stem = Path(path).stem
    return Document(path=path, id=slugify(stem) or "deck", title=stem, deck=stem)


def parse_file(path: Path, shown: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one file; `shown` is how to name it in diagnostics (default: as given)."""
    name = shown if shown is not None else str(path)
    text, diags = read_text(path, name)
    if text is None:
        return None, diags
    doc, more = parse_text(text, name, path.parent)
    return doc, diags + more


# --------------------------------------------------------------------------------------------
# Finding sources


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """Expand paths into (file, root) pairs: directories give their `*.md` files, sorted.

    A file found in a directory that resolves outside it (a symlink out) is an error.
    """
    found: list[tuple[Path, Path]] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.rglob("*.md")):
                if any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                real = f.resolve()
                if root not in real.parents:
                    diags.append(
                        error(Loc(str(f)), "P004", "source resolves outside its folder (symlink)")
                    )
                    continue
                found.append((f, p))
        elif p.exists():
            found.append((p, p.parent))
        else:
            diags.append(error(Loc(str(p)), "P001", "no such file or directory"))
    return found, diags


def document_json(doc: Document) -> dict[str, Any]:
    """The `cardgen show --json` contract (keys may be added, never renamed)."""
    return {
        "path": doc.path,
        "id": doc.id,
        "title": doc.title,
        "deck": doc.deck,
        "tags": list(doc.tags),
        "source": doc.source,
        "description": doc.description,
        "comparisons": [
            {
                "line": c.loc.line,
                "id": c.id,
                "attribute_header": c.attribute_header,
                "subjects": [
                    {"name": s.name, "tagline": s.tagline, "id": s.id} for s in c.subjects
                ],
                "rows": [
                    {
                        "line": r.loc.line,
                        "id": r.id,
                        "attribute": r.attribute,
                        "tip": r.tip,
                        "values": list(r.values),
                    }
                    for r in c.rows
                ],
            }
            for c in doc.comparisons
        ],
        "traps": [
            {"line": t.loc.line, "title": t.title, "text": t.text, "clozes": list(t.clozes)}
            for t in doc.traps
        ],
        "scenarios": [
            {"line": s.loc.line, "prompt": s.prompt, "answer": s.answer, "subject": s.subject}
            for s in doc.scenarios
        ],
        "notes": [{"line": n.loc.line, "title": n.title, "text": n.text} for n in doc.notes],
        "images": [{"line": im.loc.line, "ref": im.ref} for im in doc.images],
    }
