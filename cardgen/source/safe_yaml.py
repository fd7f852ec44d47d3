"""YAML text -> a tree of nodes, safely: the guard between hostile front matter and PyYAML.

Anchors and aliases are refused (so an alias bomb cannot expand), there is one document at most,
and nesting is bounded (PyYAML's own composer recurses once per level and overflows the stack on
`[[[[…]]]]`). Nothing is ever constructed into Python objects, so no tag, however exotic, runs
code or a conversion (a 5,000-digit integer stays text). Every refusal is a P010 or P013
diagnostic; what the keys mean is `frontmatter`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import yaml

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc
from cardgen.text import one_line

MAX_YAML_DEPTH = 16

# Where a YAML mark (libyaml's or PyYAML's: both have `line` and `column`, 0-based) is in the
# file; None stands for the front matter's first line.
At = Callable[[Any], Loc]

# libyaml's event parser when PyYAML has it (about 10 x faster); the pure-Python one otherwise.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The plain-scalar tag (int, bool, null, str...) that YAML 1.1 gives a value as written.
# (types-PyYAML leaves `Resolver.resolve` untyped; this is the signature it is called with.)
_resolve_scalar: Callable[[type[yaml.ScalarNode], str, tuple[bool, bool]], str] = (
    yaml.resolver.Resolver().resolve
)


def compose(text: str, at: At) -> tuple[yaml.Node | None, Diagnostic | None]:
    """YAML text -> node tree (None for an empty text), or the first problem found.

    libyaml is only a fast path: when it finds a problem, the pure-Python parser reads the text
    again, so what is accepted and what is reported do not depend on how PyYAML was installed.
    """
    node, problem = _compose_with(text, at, _YAML_LOADER)
    if problem is not None and _YAML_LOADER is not yaml.SafeLoader:
        return _compose_with(text, at, yaml.SafeLoader)
    return node, problem


class _Tree:
    """The node tree being built from the event stream, without recursion."""

    def __init__(self) -> None:
        self.root: yaml.Node | None = None
        self.stack: list[yaml.Node] = []  # the open sequences and mappings, outermost first
        self.pending: list[yaml.Node | None] = []  # per open mapping: a key waiting for its value
        self.documents = 0

    def attach(self, node: yaml.Node) -> None:
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif self.pending[-1] is None:
            self.pending[-1] = node
        else:
            parent.value.append((self.pending[-1], node))
            self.pending[-1] = None

    def open(self, node: yaml.Node) -> None:
        self.attach(node)
        self.stack.append(node)
        self.pending.append(None)

    def close(self) -> None:
        self.stack.pop()
        self.pending.pop()


def _compose_with(text: str, at: At, loader: Any) -> tuple[yaml.Node | None, Diagnostic | None]:
    """YAML text -> node tree, built here from `loader`'s event stream (see the module doc)."""
    tree = _Tree()
    try:
        for ev in yaml.parse(text, Loader=loader):
            problem = _take(tree, ev, at)
            if problem is not None:
                return None, problem
    except yaml.YAMLError as exc:
        return None, diag(
            at(_error_mark(exc, len(text))),
            "P010",
            f"front matter is not valid YAML: {_yaml_message(exc)}",
        )
    return tree.root, None


def _take(tree: _Tree, ev: yaml.Event, at: At) -> Diagnostic | None:
    """Add one event to the tree; the problem when the event is refused."""
    if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
        return diag(
            at(ev.start_mark),
            "P013",
            "YAML anchors and aliases are not allowed in front matter",
        )
    if isinstance(ev, yaml.DocumentStartEvent):
        tree.documents += 1
        if tree.documents > 1:
            return diag(at(ev.start_mark), "P010", "front matter holds more than one YAML document")
    elif isinstance(ev, yaml.ScalarEvent):
        tag = ev.tag
        if tag is None or tag == "!":
            tag = _resolve_scalar(yaml.ScalarNode, ev.value, ev.implicit)
        value = _text_value(ev.value)
        if value is None:
            return diag(
                at(ev.start_mark),
                "P010",
                "front matter holds a lone surrogate escape (\\ud800-\\udfff): not valid Unicode",
            )
        start, end = _marks(ev)
        tree.attach(yaml.ScalarNode(tag, value, start, end, ev.style))
    elif isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
        if len(tree.stack) >= MAX_YAML_DEPTH:
            return diag(
                at(ev.start_mark),
                "P010",
                f"front matter nests deeper than {MAX_YAML_DEPTH} levels",
            )
        kind = yaml.SequenceNode if isinstance(ev, yaml.SequenceStartEvent) else yaml.MappingNode
        start, end = _marks(ev)
        tree.open(kind(ev.tag or "", [], start, end, ev.flow_style))
    elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
        tree.close()
    return None


def _marks(ev: yaml.Event) -> tuple[yaml.error.Mark | None, yaml.error.Mark | None]:
    """An event's start and end marks, typed as the node classes declare them (libyaml's own
    mark class has the same fields, and nodes only carry their marks)."""
    return cast("yaml.error.Mark | None", ev.start_mark), cast(
        "yaml.error.Mark | None", ev.end_mark
    )


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


def _yaml_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if not problem:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return one_line(str(problem))
