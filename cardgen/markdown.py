"""The one configured Markdown parser, and what every stage reads with it.

One MarkdownIt instance parses sources (`cardgen.source`), renders note fields (`cardgen.render`)
and breaks PDF text into spans (`cardgen.spans`), so all of them see the same syntax. Token maps
(`token.map`, 0-based lines) are where every line number of a diagnostic comes from.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

MAX_NESTING = 20  # lists / block quotes deeper than this are not read (P130)


def _make_md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "alerts": True, "maxNesting": MAX_NESTING})
    md.enable("table")
    md.use(front_matter_plugin)
    return md


_MD = _make_md()
# A second instance, used only to recover the source of bold spans: without `text_join`, escapes
# and entities stay separate tokens that remember how they were written.
_MD_SOURCE = _make_md().disable("text_join")


def markdown() -> MarkdownIt:
    """The one configured parser (shared by every stage)."""
    return _MD


def bold_spans(text: str) -> list[str]:
    """The Markdown inside each top-level bold span of an inline text, in order."""
    spans: list[str] = []
    tokens = _MD_SOURCE.parseInline(text)
    children = tokens[0].children if tokens else []
    depth = 0
    current: list[str] = []
    links: list[Token] = []
    for child in children or ():
        if child.type == "strong_open":
            depth += 1
            if depth == 1:
                current = []
                continue
        elif child.type == "strong_close":
            depth = max(depth - 1, 0)
            if depth == 0:
                spans.append("".join(current).strip())
                continue
        if child.type == "link_open":
            links.append(child)
        if depth:
            current.append(_inline_source(child, links))
        if child.type == "link_close" and links:
            links.pop()
    return [s for s in spans if s]


def _inline_source(tok: Token, links: list[Token]) -> str:
    """An inline token written back as Markdown (close to the source; used inside bold spans)."""
    if tok.type == "text":
        return tok.content
    if tok.type == "text_special":
        return tok.markup or tok.content
    if tok.type == "code_inline":
        return f"{tok.markup}{tok.content}{tok.markup}"
    if tok.type in ("em_open", "em_close", "strong_open", "strong_close"):
        return tok.markup
    if tok.type in ("softbreak", "hardbreak"):
        return " "
    if tok.type == "link_open":
        return "<" if tok.markup == "autolink" else "["
    if tok.type == "link_close":
        opener = links[-1] if links else None
        if opener is None:
            return "]"
        if opener.markup == "autolink":
            return ">"
        return f"]({_destination(opener)})"
    if tok.type == "image":
        return f"![{tok.content}]({_destination(tok)})"
    return tok.content


def _destination(tok: Token) -> str:
    target = str(tok.attrs.get("href", tok.attrs.get("src", "")))
    title = str(tok.attrs.get("title", ""))
    return f'{target} "{title}"' if title else target
