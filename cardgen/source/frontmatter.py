"""Front matter: the YAML block between `---` lines at the top of a source -> `FrontMatter`.

Reads the known keys (`KNOWN_KEYS`) and reports P010-P013 about them; the YAML itself is read by
`safe_yaml`, which refuses what could cost time or memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it.token import Token

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc
from cardgen.source.safe_yaml import At, compose
from cardgen.text import one_line, quote, slugify

MAX_FRONT_MATTER_BYTES = 64 * 1024  # figures in docs/source-format.md#limits
KNOWN_KEYS = ("deck", "tags", "source", "id", "lint")

_FM_KEY_LINE = re.compile(r"^[A-Za-z_][\w-]*[ \t]*:")
_YAML_NULL = "tag:yaml.org,2002:null"
_YAML_NOT_TEXT = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true/false",
}


@dataclass
class FrontMatter:
    """The known keys as read (empty when absent or refused), and where each was written."""

    deck: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    id: str = ""
    lint_ignore: tuple[str, ...] = ()  # as written (trimmed): L100 echoes an entry unchanged
    lint_ignore_locs: tuple[Loc, ...] = ()  # where each entry was written
    locs: dict[str, Loc] = field(default_factory=dict)  # where each known key was written
    failed: bool = False  # the front matter could not be read at all (P010, P011 not a mapping)


def read_front_matter(
    tokens: list[Token], lines: list[str], path: str
) -> tuple[FrontMatter, list[Diagnostic], list[Token]]:
    """The front matter of a token stream (empty when there is none), its problems, and the
    tokens after it. A `---` on line 1 followed by a `key:` line but never closed is P010."""
    if tokens and tokens[0].type == "front_matter":
        tok = tokens[0]
        fm, diags = parse_front_matter(tok.content, path, (tok.map[0] + 2) if tok.map else 2)
        return fm, diags, tokens[1:]
    fm = FrontMatter()
    if lines[0].rstrip() == "---" and len(lines) > 1 and _FM_KEY_LINE.match(lines[1]):
        fm.failed = True
        opened = diag(
            Loc(path, 1, 1), "P010", "front matter opened on line 1 is never closed by `---`"
        )
        return fm, [opened], tokens
    return fm, [], tokens


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
    node, problem = compose(text, at)
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
            _read_text_key(fm, key, value_node, loc, diags)
        elif key == "tags":
            _read_tags(fm, value_node, loc, diags)
        elif key == "lint":
            _read_lint(fm, value_node, loc, at, diags)
    return fm, diags


def _read_text_key(
    fm: FrontMatter, key: str, value_node: yaml.Node, loc: Loc, diags: list[Diagnostic]
) -> None:
    """`deck`, `source` or `id`: one non-empty line of text (a deck path, a slug for the id)."""
    value = _scalar(value_node)
    if value is None or not value.strip():
        diags.append(diag(loc, "P011", f"`{key}` must be a non-empty string"))
        return
    value = one_line(value)
    if key == "deck":
        parts = [p.strip() for p in value.split("::")]
        if any(not p for p in parts):
            diags.append(diag(loc, "P011", "`deck` has an empty part between `::`"))
            return
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
            return
        fm.id = slug


def _read_tags(fm: FrontMatter, value_node: yaml.Node, loc: Loc, diags: list[Diagnostic]) -> None:
    """`tags`: one string or a list of them, each non-empty; kept once each, in order."""
    tags = _scalars(value_node)
    if tags is None or not all(t.strip() for t in tags):
        diags.append(diag(loc, "P011", "`tags` must be a list of non-empty strings"))
        return
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
        return
    fm.tags = tuple(dict.fromkeys(one_line(t) for t in tags))


def _read_lint(
    fm: FrontMatter, value_node: yaml.Node, loc: Loc, at: At, diags: list[Diagnostic]
) -> None:
    """`lint`: a mapping whose one key, `ignore`, lists lint codes (checked later, by lint)."""
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
        diags.append(diag(loc, "P011", "`lint` must be a mapping like {ignore: [L101, L102]}"))
        return
    kept = [(c.strip(), where) for c, where in zip(ignore, ignore_locs) if c.strip()]
    fm.lint_ignore = tuple(c for c, _ in kept)
    fm.lint_ignore_locs = tuple(where for _, where in kept)


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
