"""Markdown study source -> `Document` (facts) plus located diagnostics.

markdown-it-py lives here (and in `render`). Line numbers come from token maps. The parser never
raises on bad content: every problem becomes a `Diagnostic`, and parsing goes on so that a file's
problems are all reported at once.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it.token import Token

from cardgen.diagnostics import Diagnostic, diag
from cardgen.markdown import MAX_NESTING, bold_spans, markdown
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
from cardgen.text import one_line, plain_label, quote, slugify

# Limits that bound time and memory on hostile input (figures in docs/source-format.md#limits).
MAX_SOURCE_BYTES = 1024 * 1024  # 1 MiB, about 70 x the Cognito source
MAX_SOURCE_LINES = 20_000
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_YAML_DEPTH = 16
MAX_TABLE_COLUMNS = 32  # attribute + subjects + tip

TIP_HEADERS = frozenset({"tip", "tips", "exam tip", "exam tips", "note", "notes", "why it matters"})
TRAP_WORDS = ("trap", "gotcha", "pitfall")
TRAP_ALERTS = frozenset({"WARNING", "CAUTION"})
KNOWN_KEYS = ("deck", "tags", "source", "id", "lint")

_EXPLICIT_ID = re.compile(r"\{#([A-Za-z0-9][A-Za-z0-9_.-]*)\}")
_LEADING_BOLD = re.compile(r"^(\*\*|__)(?P<title>(?:(?!\1).)+?)\1")
_FM_KEY_LINE = re.compile(r"^[A-Za-z_][\w-]*[ \t]*:")
_YAML_NULL = "tag:yaml.org,2002:null"


# --------------------------------------------------------------------------------------------
# Small text helpers (all linear in the length of their input: no backtracking regexes on
# whitespace runs, which made a long run of spaces in a cell take quadratic time)


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
        out.append((text.strip(), col + (len(text) - len(stripped) if stripped else 0)))
    return out


def _strip_id(text: str) -> tuple[str, str]:
    """`Name {#id}` -> (`Name`, `id`); the id is lower-cased; ("", "") parts when absent."""
    m = _EXPLICIT_ID.search(text)
    if not m:
        return text.strip(), ""
    before, after = text[: m.start()].strip(), text[m.end() :].strip()
    return f"{before} {after}".strip(), m.group(1).lower()


def split_tagline(cell: str) -> tuple[str, str]:
    """`Name — tagline` -> (`Name`, `tagline`): split at the first em dash with blanks around."""
    i = cell.find("—")
    while i != -1:
        if 0 < i < len(cell) - 1 and cell[i - 1].isspace() and cell[i + 1].isspace():
            return cell[:i].strip(), cell[i + 1 :].strip()
        i = cell.find("—", i + 1)
    return cell.strip(), ""


def split_arrow(text: str) -> tuple[str, str] | None:
    """`prompt → answer` (or `->`) split at the first arrow outside code spans; None if none."""
    n = len(text)
    no_close_from: dict[int, int] = {}  # backtick run length -> position with no closer after
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            j = i
            while j < n and text[j] == "`":
                j += 1
            close = _closing_backticks(text, j, j - i, no_close_from)
            i = close if close >= 0 else j
            continue
        if ch == "→":
            return text[:i].strip(), text[i + 1 :].strip()
        if ch == "-" and i + 1 < n and text[i + 1] == ">":
            return text[:i].strip(), text[i + 2 :].strip()
        i += 1
    return None


def _closing_backticks(text: str, start: int, run: int, no_close_from: dict[int, int]) -> int:
    """Index just past the backtick run of exactly `run` ticks that closes a code span, or -1."""
    if run in no_close_from and start >= no_close_from[run]:
        return -1
    ticks = "`" * run
    k = text.find(ticks, start)
    while k != -1:
        end = k + run
        if (end >= len(text) or text[end] != "`") and text[k - 1] != "`":
            return end
        while end < len(text) and text[end] == "`":
            end += 1
        k = text.find(ticks, end)
    no_close_from[run] = start
    return -1


# --------------------------------------------------------------------------------------------
# Reading files


def read_text(path: Path, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """Read a source as text: BOM stripped, line endings normalised; never raises.

    Only regular files are read (a FIFO or a device would block or never end), and never more
    than `MAX_SOURCE_BYTES` + 1 bytes.
    """
    loc = Loc(shown, 1, 1)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return None, [diag(loc, "P001", "not a regular file")]
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        return None, [diag(loc, "P001", "no such file or directory")]
    except IsADirectoryError:
        return None, [diag(loc, "P001", "is a directory, expected a .md file")]
    except OSError as exc:
        return None, [diag(loc, "P001", f"cannot read file: {exc.strerror or exc}")]
    if len(data) > MAX_SOURCE_BYTES:
        size = max(info.st_size, len(data))
        return None, [
            diag(loc, "P003", f"file is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
        ]
    if b"\x00" in data:
        if looks_utf16(data):
            return None, [diag(loc, "P002", "file is UTF-16 text; save it as UTF-8")]
        return None, [diag(loc, "P002", "file looks binary (contains NUL bytes)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            diag(Loc(shown, line, col), "P002", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        ]
    return normalise_text(text), []


def normalise_text(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_utf16(data: bytes) -> bool:
    """A byte-order mark of UTF-16, or text whose every other byte is NUL (ASCII as UTF-16)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    if len(sample) < 4:
        return False
    return any(sample[i::2].count(0) * 10 >= len(sample[i::2]) * 9 for i in (0, 1))


def text_problem(text: str, path: str) -> Diagnostic | None:
    """P003 when a text is over the size limits (checked before markdown-it sees it); P002 when
    it cannot be encoded as UTF-8."""
    loc = Loc(path, 1, 1)
    if len(text) > MAX_SOURCE_BYTES:
        return diag(
            loc,
            "P003",
            f"source is at least {len(text):,} bytes; the limit is {MAX_SOURCE_BYTES:,}",
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate (text decoded with surrogateescape)
        line = text.count("\n", 0, exc.start) + 1
        col = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        return diag(Loc(path, line, col), "P002", "text holds a lone surrogate: not valid Unicode")
    if size > MAX_SOURCE_BYTES:
        return diag(loc, "P003", f"source is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")
    lines = text.count("\n") + 1
    if lines > MAX_SOURCE_LINES:
        return diag(loc, "P003", f"source has {lines:,} lines; the limit is {MAX_SOURCE_LINES:,}")
    return None


# --------------------------------------------------------------------------------------------
# Front matter


@dataclass
class FrontMatter:
    deck: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    id: str = ""
    lint_ignore: tuple[str, ...] = ()  # as written (trimmed): L100 echoes an entry unchanged
    lint_ignore_locs: tuple[Loc, ...] = ()  # where each entry was written
    locs: dict[str, Loc] = field(default_factory=dict)  # where each known key was written
    failed: bool = False  # the front matter could not be read at all (P010, P011 not a mapping)


def _yaml_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if not problem:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return one_line(str(problem))


# libyaml's event parser when PyYAML has it (about 10 x faster); the pure-Python one otherwise.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()


def _compose(text: str, at: Any) -> tuple[yaml.Node | None, Diagnostic | None]:
    """YAML text -> node tree (see `_compose_with`).

    libyaml is only a fast path: when it finds a problem, the pure-Python parser reads the text
    again, so what is accepted and what is reported do not depend on how PyYAML was installed.
    """
    node, problem = _compose_with(text, at, _YAML_LOADER)
    if problem is not None and _YAML_LOADER is not yaml.SafeLoader:
        return _compose_with(text, at, yaml.SafeLoader)
    return node, problem


def _text_value(value: str) -> str | None:
    """A scalar's text with JSON-style surrogate pairs (`\\ud83d\\ude00`) joined into their
    character; None when a lone surrogate is left (not valid Unicode)."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return value.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return None


def _compose_with(text: str, at: Any, loader: Any) -> tuple[yaml.Node | None, Diagnostic | None]:
    """YAML text -> node tree, built here from the event stream, without recursion.

    Anchors and aliases are refused (so an alias bomb cannot expand) and nesting is bounded
    (PyYAML's own composer recurses once per level and overflows the stack on `[[[[…]]]]`).
    Nothing is ever constructed into Python objects, so no tag, however exotic, runs code or a
    conversion (a 5,000-digit integer stays text).
    """
    root: yaml.Node | None = None
    stack: list[yaml.Node] = []
    pending: list[yaml.Node | None] = []  # per open mapping: a key waiting for its value
    documents = 0

    def attach(node: yaml.Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif pending[-1] is None:
            pending[-1] = node
        else:
            parent.value.append((pending[-1], node))
            pending[-1] = None

    try:
        for ev in yaml.parse(text, Loader=loader):
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                return None, diag(
                    at(ev.start_mark),
                    "P013",
                    "YAML anchors and aliases are not allowed in front matter",
                )
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    return None, diag(
                        at(ev.start_mark), "P010", "front matter holds more than one YAML document"
                    )
            elif isinstance(ev, yaml.ScalarEvent):
                tag = ev.tag
                if tag is None or tag == "!":
                    tag = _RESOLVER.resolve(yaml.ScalarNode, ev.value, ev.implicit)
                value = _text_value(ev.value)
                if value is None:
                    return None, diag(
                        at(ev.start_mark),
                        "P010",
                        "front matter holds a lone surrogate escape (\\ud800-\\udfff): "
                        "not valid Unicode",
                    )
                attach(yaml.ScalarNode(tag, value, ev.start_mark, ev.end_mark, ev.style))
            elif isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= MAX_YAML_DEPTH:
                    return None, diag(
                        at(ev.start_mark),
                        "P010",
                        f"front matter nests deeper than {MAX_YAML_DEPTH} levels",
                    )
                kind = (
                    yaml.SequenceNode
                    if isinstance(ev, yaml.SequenceStartEvent)
                    else yaml.MappingNode
                )
                node = kind(ev.tag or "", [], ev.start_mark, ev.end_mark, ev.flow_style)
                attach(node)
                stack.append(node)
                pending.append(None)
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop()
                pending.pop()
    except yaml.YAMLError as exc:
        return None, diag(
            at(_error_mark(exc, len(text))),
            "P010",
            f"front matter is not valid YAML: {_yaml_message(exc)}",
        )
    return root, None


def _error_mark(exc: yaml.YAMLError, size: int) -> Any:
    """Where a YAML error is: the problem's mark, unless the problem only showed at the start of
    a later line or at the end of the text (a key line without its colon, an unclosed `[` or
    quote); then the place the construct began (`context_mark`), which is the line to fix."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if context is not None and (
        problem is None
        or (problem.line > context.line and (problem.column == 0 or problem.index >= size))
    ):
        return context
    return problem or context


def _scalar(node: yaml.Node) -> str | None:
    """A scalar node's text as written (never converted), or None for null / non-scalars."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _YAML_NULL:
        return None
    return str(node.value)


def _scalars(node: yaml.Node) -> list[str] | None:
    """A scalar or a flat sequence of scalars as a list of texts; None for anything else."""
    one = _scalar(node)
    if one is not None:
        return [one]
    if isinstance(node, yaml.SequenceNode):
        items = [_scalar(n) for n in node.value]
        if all(i is not None for i in items):
            return [i for i in items if i is not None]
    return None


_YAML_NOT_TEXT = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true/false",
}


def _not_text(node: yaml.Node) -> str | None:
    """`a number (5)` / `true/false (yes)` for the first unquoted scalar of a scalar or flat
    sequence that YAML reads as a number or a boolean (`tags: 5`, `tags: [a, true]`), else None.
    Such a value is most likely a slip, so it is refused rather than taken as its text."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in items:
        what = _YAML_NOT_TEXT.get(item.tag) if isinstance(item, yaml.ScalarNode) else None
        if what is not None:
            return f"{what} ({item.value})"
    return None


def parse_front_matter(
    text: str, path: str, first_line: int
) -> tuple[FrontMatter, list[Diagnostic]]:
    """Parse front matter YAML; `first_line` is the file line of the YAML's first line."""
    fm = FrontMatter()
    diags: list[Diagnostic] = []

    def at(mark: Any) -> Loc:
        if mark is None:
            return Loc(path, first_line, 1)
        return Loc(path, first_line + mark.line, mark.column + 1)

    if len(text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        fm.failed = True
        return fm, [
            diag(at(None), "P010", f"front matter is over {MAX_FRONT_MATTER_BYTES:,} bytes")
        ]
    node, problem = _compose(text, at)
    if problem is not None:
        fm.failed = True
        return fm, [problem]
    if node is None:
        return fm, diags
    if not isinstance(node, yaml.MappingNode):
        fm.failed = True
        return fm, [diag(at(None), "P011", "front matter must be a mapping of keys to values")]
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        loc = at(key_node.start_mark)
        key = _scalar(key_node)
        if key not in KNOWN_KEYS:
            known = ", ".join(KNOWN_KEYS)
            shown = quote(key) if key is not None else "(not a plain name)"
            diags.append(diag(loc, "P012", f"unknown front-matter key {shown} (known: {known})"))
            continue
        if key in seen:
            diags.append(diag(loc, "P011", f"`{key}` is given twice (first on line {seen[key]})"))
            continue
        seen[key] = loc.line
        fm.locs[key] = loc
        if key in ("deck", "source", "id"):
            value = _scalar(value_node)
            if value is None or not value.strip():
                diags.append(diag(loc, "P011", f"`{key}` must be a non-empty string"))
                continue
            value = one_line(value)
            if key == "deck":
                parts = [p.strip() for p in value.split("::")]
                if any(not p for p in parts):
                    diags.append(diag(loc, "P011", "`deck` has an empty part between `::`"))
                    continue
                fm.deck = "::".join(parts)
            elif key == "source":
                fm.source = value
            else:
                slug = slugify(value)
                if slug != value:
                    diags.append(
                        diag(
                            loc,
                            "P011",
                            f"`id` must be lower case letters, digits and dashes (try {slug!r})",
                        )
                    )
                    continue
                fm.id = slug
        elif key == "tags":
            tags = _scalars(value_node)
            if tags is None or not all(t.strip() for t in tags):
                diags.append(diag(loc, "P011", "`tags` must be a list of non-empty strings"))
                continue
            odd = _not_text(value_node)
            if odd is not None:
                diags.append(
                    diag(
                        loc,
                        "P011",
                        f"`tags` must be a list of non-empty strings: {odd} is not a string; "
                        "quote it to make it a tag",
                    )
                )
                continue
            fm.tags = tuple(dict.fromkeys(one_line(t) for t in tags))
        elif key == "lint":
            ignore: list[str] | None = None
            ignore_locs: list[Loc] = []
            if isinstance(value_node, yaml.MappingNode):
                for k, v in value_node.value:
                    if _scalar(k) == "ignore":
                        ignore = _scalars(v)
                        items = v.value if isinstance(v, yaml.SequenceNode) else [v]
                        ignore_locs = [at(n.start_mark) for n in items]
                    else:
                        diags.append(
                            diag(
                                at(k.start_mark),
                                "P012",
                                f"unknown `lint` key {quote(_scalar(k) or '?')} (known: ignore)",
                            )
                        )
            if ignore is None:
                diags.append(
                    diag(loc, "P011", "`lint` must be a mapping like {ignore: [L101, L102]}")
                )
                continue
            kept = [(c.strip(), where) for c, where in zip(ignore, ignore_locs) if c.strip()]
            fm.lint_ignore = tuple(c for c, _ in kept)
            fm.lint_ignore_locs = tuple(where for _, where in kept)
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
    nesting_warned: bool = False
    rows_by_comparison: dict[str, dict[str, int]] = field(default_factory=dict)

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
    st = _State(path=path, lines=lines, base_dir=base_dir)
    try:
        tokens = markdown().parse(text)
    except RecursionError:  # pragma: no cover - maxNesting keeps the parser flat
        return _empty_document(path), [diag(Loc(path), "P130", "input nests too deeply")]

    fm = FrontMatter()
    if tokens and tokens[0].type == "front_matter":
        tok = tokens[0]
        fm, fm_diags = parse_front_matter(tok.content, path, (tok.map[0] + 2) if tok.map else 2)
        st.diags.extend(fm_diags)
        tokens = tokens[1:]
    elif lines[0].rstrip() == "---" and len(lines) > 1 and _FM_KEY_LINE.match(lines[1]):
        st.diags.append(
            diag(Loc(path, 1, 1), "P010", "front matter opened on line 1 is never closed by `---`")
        )
        fm.failed = True

    section = _Section("", 0, Loc(path, 1, 1), "preamble")
    sections: list[_Section] = []
    trap_level = 0  # heading level of the enclosing trap section, 0 when none
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            end = _block_end(tokens, i)
            inline = next((t for t in tokens[i:end] if t.type == "inline"), None)
            heading = one_line(inline.content) if inline else ""
            if inline is not None:
                _collect_images(st, inline, tok.map)
            sections.append(section)
            if level == 1 and not st.title and heading:
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
            i = end
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
    st.diags.sort(key=lambda d: (d.loc.line, d.loc.col))
    return doc, st.diags


def _block(st: _State, section: _Section, tokens: list[Token], i: int, end: int) -> None:
    tok = tokens[i]
    block = tokens[i:end]
    deepest = 0
    for t in block:
        deepest = max(deepest, t.level)
        if t.type == "inline":
            _collect_images(st, t, t.map or tok.map)
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
        _list(st, section, block, "", leftovers)
        if leftovers:
            section.parts.append("\n".join(leftovers))
        return
    if tok.type == "paragraph_open" and section.kind == "trap":
        _trap(st, block[1].content, st.loc(tok))
        return
    section.parts.append(st.raw(tok.map))


def _list(st: _State, section: _Section, block: list[Token], context: str, out: list[str]) -> int:
    """Traps or scenarios from one list; returns how many scenarios it gave.

    In a trap section every item (with whatever it nests) is one trap. Elsewhere an item whose
    own text has an arrow is a scenario; nested items are read the same way, with the text of
    the items above them as the start of their prompt (a decision tree written as a nested list).
    Items that give no scenario are kept, as written, in `out` (the section's note).
    """
    found = 0
    for item in _list_items(block):
        item_open = item[0]
        if section.kind == "trap":
            inlines = [t.content.strip() for t in item if t.type == "inline"]
            _trap(st, "\n\n".join(t for t in inlines if t), st.loc(item_open))
            continue
        own_level = item_open.level + 2
        own = "\n\n".join(
            t.content.strip()
            for t in item
            if t.type == "inline" and t.level == own_level and t.content.strip()
        )
        split = split_arrow(one_line(own))
        mine: list[str] = []
        nested = 0
        if split is not None:
            prompt, answer = split
            prompt = f"{context} {prompt}".strip() if prompt else ""
            st.scenarios.append((prompt, answer, st.loc(item_open)))
            nested_context = prompt
        else:
            nested_context = f"{context} {one_line(own)}".strip()
        j = 1
        while j < len(item):
            t = item[j]
            if (
                t.type in ("bullet_list_open", "ordered_list_open")
                and t.level == item_open.level + 1
            ):
                k = _block_end(item, j)
                nested += _list(st, section, item[j:k], nested_context, mine)
                j = k
            else:
                j += 1
        if split is None and not nested:
            out.append(st.raw(item_open.map))
        else:
            out.extend(mine)
        found += nested + (split is not None)
    return found


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
        ref = unquote(str(child.attrs.get("src", "")))
        loc = st.loc(m)
        shown = quote(ref)
        if not ref.strip():
            st.diags.append(diag(loc, "P120", "image has an empty path"))
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I) and not re.match(r"^[A-Za-z]:[\\/]", ref):
            st.diags.append(diag(loc, "P120", f"image {shown}: only local image files are packed"))
            continue
        if ref.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", ref):
            st.diags.append(diag(loc, "P120", f"image {shown}: absolute paths are not allowed"))
            continue
        if "\x00" in ref:
            st.diags.append(diag(loc, "P120", f"image {shown}: not a valid path"))
            continue
        if st.base_dir is None:
            st.images.append(Image(ref, ref, loc))
            continue
        try:
            base = st.base_dir.resolve()
            target = (base / ref).resolve()
            is_file = base in target.parents and target.is_file()
        except (OSError, RuntimeError, ValueError):
            st.diags.append(diag(loc, "P120", f"image {shown}: not a valid path"))
            continue
        if base not in target.parents:
            st.diags.append(diag(loc, "P120", f"image {shown} lies outside the source's folder"))
        elif not is_file:
            st.diags.append(diag(loc, "P120", f"image {shown} not found"))
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
            title, text = inner, rest.strip()[1:].strip()
    if not text:
        if title:
            st.diags.append(diag(loc, "P110", "trap has no text after its title"))
        else:
            st.diags.append(diag(loc, "P110", "trap has no text"))
        return
    st.traps.append(Trap(title, text, tuple(bold_spans(text)), loc))


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
    if ncols > MAX_TABLE_COLUMNS:
        st.diags.append(
            diag(
                loc,
                "P108",
                f"table has {ncols:,} columns; the limit is {MAX_TABLE_COLUMNS} "
                "(the table is skipped)",
            )
        )
        return
    cols = [c for _, c in header_raw] + [1] * ncols
    tip_cols = [j for j in range(1, ncols) if plain_label(header[j]) in TIP_HEADERS]
    if len(tip_cols) > 1:
        st.diags.append(
            diag(
                Loc(st.path, loc.line, cols[tip_cols[1]]),
                "P106",
                "more than one tip column ("
                + ", ".join(quote(header[j], 30) for j in tip_cols)
                + "); the first one is used",
            )
        )
    tip_col = tip_cols[0] if tip_cols else None
    subject_cols = [j for j in range(1, ncols) if j not in tip_cols]
    if not subject_cols:
        st.diags.append(
            diag(loc, "P100", "table has no subject column (only an attribute and tip columns)")
        )
        return
    subjects: list[Subject] = []
    seen_names: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for j in subject_cols:
        cell, explicit = _strip_id(header[j])
        name, tagline = split_tagline(cell)
        cell_loc = Loc(st.path, loc.line, cols[j])
        if not name:
            st.diags.append(diag(cell_loc, "P105", f"subject in column {j + 1} has no name"))
            name = f"Column {j + 1}"
        sid = explicit or slugify(name)
        if name.lower() in seen_names:
            st.diags.append(diag(cell_loc, "P103", f"duplicate subject {quote(name)} in one table"))
        elif sid in seen_ids:
            st.diags.append(
                diag(
                    cell_loc,
                    "P107",
                    f"subject {quote(name)} has the same id {sid!r} as "
                    f"{quote(seen_ids[sid])}; give one an explicit {{#id}}",
                )
            )
        seen_names.setdefault(name.lower(), name)
        seen_ids.setdefault(sid, name)
        subjects.append(Subject(name, tagline, sid))

    comp_id = "-vs-".join(s.id for s in subjects)
    # Rows of earlier tables with the same subjects: one fact may not be given twice.
    earlier = st.rows_by_comparison.setdefault(comp_id, {})
    rows: list[Row] = []
    row_names: dict[str, int] = {}
    row_ids: dict[str, tuple[str, int]] = {}
    for tr, cells in rows_tokens[1:]:
        line_no = tr.map[0] if tr.map else 0
        raw = split_cells(st.lines[line_no]) if tr.map else []
        row_loc = Loc(st.path, line_no + 1, 1)
        if raw and len(raw) != ncols:
            st.diags.append(
                diag(
                    row_loc,
                    "P101",
                    f"row has {len(raw)} cell{'s' if len(raw) != 1 else ''}, expected {ncols}",
                )
            )
        rcols = [c for _, c in raw] + [1] * ncols
        attribute, explicit = _strip_id(cells[0])
        if not attribute:
            st.diags.append(diag(row_loc, "P105", "row has an empty attribute cell"))
            continue
        rid = explicit or slugify(attribute)
        if attribute.lower() in row_names:
            st.diags.append(
                diag(
                    row_loc,
                    "P102",
                    f"duplicate attribute {quote(attribute)} "
                    f"(first on line {row_names[attribute.lower()]})",
                )
            )
            continue
        if rid in row_ids:
            other, other_line = row_ids[rid]
            st.diags.append(
                diag(
                    row_loc,
                    "P107",
                    f"attribute {quote(attribute)} has the same id {rid!r} as {quote(other)} "
                    f"(line {other_line}); give one an explicit {{#id}}",
                )
            )
            continue
        if rid in earlier:
            st.diags.append(
                diag(
                    row_loc,
                    "P102",
                    f"attribute {quote(attribute)} is already given on line {earlier[rid]}, "
                    "in an earlier table with the same subjects",
                )
            )
            continue
        row_names[attribute.lower()] = line_no + 1
        row_ids[rid] = (attribute, line_no + 1)
        values = tuple(cells[j].strip() for j in subject_cols)
        for k, (j, value) in enumerate(zip(subject_cols, values)):
            if not value:
                st.diags.append(
                    diag(
                        Loc(st.path, line_no + 1, rcols[j]),
                        "P104",
                        f"empty value for {quote(subjects[k].name, 40)} "
                        f"in row {quote(attribute, 40)}",
                    )
                )
        tip = cells[tip_col].strip() if tip_col is not None else ""
        rows.append(Row(attribute, tip, values, row_loc, rid))
    for row in rows:
        earlier[row.id] = row.loc.line
    st.comparisons.append(
        Comparison(tuple(subjects), tuple(rows), loc, _strip_id(header[0])[0], comp_id)
    )


def _link_subject(answer: str, subjects: Sequence[Subject]) -> str:
    """The subject whose name the answer starts with (the longest), else the one whose explicit
    `{#id}` it starts with (`→ SNS, …` for `Amazon SNS {#sns}`); "" when none."""
    plain = answer.lstrip("*_` ").lower()
    for s in sorted(subjects, key=lambda s: len(s.name), reverse=True):
        name = s.name.lower()
        if plain.startswith(name):
            after = plain[len(name) : len(name) + 1]
            if not after or not after.isalnum():
                return s.name
    words = slugify(plain)
    for s in sorted(subjects, key=lambda s: len(s.id), reverse=True):
        if s.id and s.id != slugify(s.name) and (words + "-").startswith(s.id + "-"):
            return s.name
    return ""


def _assemble(st: _State, fm: FrontMatter) -> Document:
    stem = Path(st.path).stem
    if not st.title:
        st.diags.append(
            diag(Loc(st.path, 1, 1), "P020", "no `# Title` heading; using the file name")
        )
    title = st.title or stem
    subjects = [s for c in st.comparisons for s in c.subjects]
    scenarios: list[Scenario] = []
    for prompt, answer, loc in st.scenarios:
        if not prompt or not answer:
            st.diags.append(diag(loc, "P111", "scenario needs text on both sides of the arrow"))
            continue
        scenarios.append(Scenario(prompt, answer, _link_subject(answer, subjects), loc))
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
    stem = Path(path).stem
    return Document(path=path, id=slugify(stem) or "deck", title=stem, deck=stem)


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


# --------------------------------------------------------------------------------------------
# Finding sources


SOURCE_SUFFIXES = (".md", ".markdown")


def printable_path(name: str) -> str:
    """A path as text that can always be printed: bytes that are not UTF-8 (kept by Python as
    lone surrogates) are shown as `\\xff` escapes."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def name_problem(path: Path, shown: str | None = None) -> Diagnostic | None:
    """P007 when a path's name is not valid UTF-8 (the file's text may be fine, but its name
    becomes the deck id and is printed): the user has to rename it."""
    name = str(path) if shown is None else shown
    for text in (name, str(path)):
        printable = printable_path(text)
        if printable != text:
            return diag(
                Loc(printable_path(name)),
                "P007",
                "file name is not valid UTF-8; rename it (letters, digits, dashes)",
            )
    return None


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """Expand paths into (file, root) pairs: directories give their `*.md` (and `*.markdown`,
    any case) files, sorted, skipping hidden files and folders; a file given by name must be one
    too.

    A file found in a directory that resolves outside it (a symlink out) is an error; so is a
    directory with no sources (P005), a file given by name that is not Markdown (P006) and a
    name that is not valid UTF-8 (P007).

    A file reached twice (named twice, or by name and through its folder) is read once, where it
    was first seen: the same source must not clash with itself (P022).
    """
    found: list[tuple[Path, Path]] = []
    diags: list[Diagnostic] = []
    taken: set[Path] = set()

    def add(f: Path, root: Path, real: Path) -> None:
        if real not in taken:
            taken.add(real)
            found.append((f, root))

    for p in paths:
        if p.is_dir():
            root = p.resolve()
            candidates = sorted(f for f in p.rglob("*.*") if f.suffix.lower() in SOURCE_SUFFIXES)
            seen = 0
            for f in candidates:
                if any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                seen += 1
                bad_name = name_problem(f)
                if bad_name is not None:
                    diags.append(bad_name)
                    continue
                try:
                    real = f.resolve(strict=True)
                except (OSError, RuntimeError):
                    diags.append(diag(Loc(str(f)), "P001", "cannot be resolved (broken symlink?)"))
                    continue
                if root not in real.parents:
                    diags.append(
                        diag(Loc(str(f)), "P004", "source resolves outside its folder (symlink)")
                    )
                    continue
                add(f, p, real)
            if not seen:
                diags.append(
                    diag(
                        Loc(printable_path(str(p))),
                        "P005",
                        f"no sources found in {printable_path(str(p))} "
                        f"(no {' or '.join(SOURCE_SUFFIXES)} files)",
                    )
                )
        elif p.exists():
            bad_name = name_problem(p)
            if bad_name is not None:
                diags.append(bad_name)
            elif p.suffix.lower() not in SOURCE_SUFFIXES:
                diags.append(not_markdown(p))
            else:
                try:
                    real = p.resolve(strict=True)
                except (OSError, RuntimeError):
                    real = p.absolute()
                add(p, p.parent, real)
        else:
            diags.append(diag(Loc(printable_path(str(p))), "P001", "no such file or directory"))
    return found, diags


def not_markdown(path: Path, shown: str | None = None) -> Diagnostic:
    """P006: a file given by name that is not a Markdown source (`.md`, `.markdown`)."""
    return diag(
        Loc(printable_path(str(path) if shown is None else shown)),
        "P006",
        "not a Markdown source: a source's name ends in .md (or .markdown)",
    )


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
