"""Markdown texts -> HTML for Anki fields (escaping, `<br>`, math, code, images, clozes).

Everything goes through the one MarkdownIt instance of `cardgen.markdown.markdown()` (raw HTML
disabled, so `<script>` in a value is shown as text). On top of markdown-it's escaping, the output
is made inert for Anki itself: `{`, `}` and `[` become character references and `::` becomes
`&#58;&#58;`, so text such as `{{Front}}`, `{{c1::x}}` or `[sound:x.mp3]` shows as written and never
acts as template, cloze or media syntax. Only `cloze()` emits real `{{cN::…}}` deletions.

- `<br>` written in a text (GitHub tables have no other way to break a line) becomes a line break;
  no other HTML tag is honoured.
- `$…$` becomes MathJax `\\(…\\)` and `$$…$$` becomes `\\[…\\]` (Anki's delimiters). A `$` only
  opens math when followed by a non-space and closes when preceded by a non-space and not followed
  by a digit, so prices such as "$5 to $10" stay text; `\\$` is always a dollar sign.
- Fenced code is left-aligned and highlighted by Pygments (the fence's language, by any name
  Pygments knows; plain text otherwise): keywords, strings, comments and numbers get inline
  styles that name the note type's CSS variables (`var(--cg-k)`, `--cg-s`, `--cg-c`, `--cg-n`),
  so the colours stay in the CSS and night mode swaps them.
- Images are rewritten to their packed media names (`media`: reference as written -> file name);
  an image that is not packed is shown as its alt text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import cast

import pygments
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.style import Style
from pygments.token import Comment, Keyword, Name, Number, Operator, String
from pygments.util import ClassNotFound

from cardgen.markdown import bold_spans, markdown

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000-\ue003]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MATH_SLOT = re.compile("\ue000(\\d+)\ue001")
_CLOZE_OPEN = "\ue002"
_CLOZE_CLOSE = "\ue003"
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")


# --------------------------------------------------------------------------------------------
# Public API


def text(value: str) -> str:
    """Plain text (a name, a title) -> inert HTML, no Markdown."""
    return _inert(html.escape(_clean(value), quote=False))


def inline(source: str, media: Mapping[str, str] | None = None) -> str:
    """Inline Markdown (a table cell, a prompt, a trap text) -> HTML."""
    body, maths = _extract_math(_clean(source), block=False)
    tokens = markdown().parseInline(body, {})
    children = _prepare_inline(tokens[0].children or [] if tokens else [], media)
    out = _render_inline(children)
    return _restore_math(_inert(out), maths).strip()


def block(source: str, media: Mapping[str, str] | None = None) -> str:
    """Block Markdown (paragraphs, lists, code blocks) -> HTML."""
    src = _clean(source)
    if src.lstrip("\n").startswith("---"):
        src = "\n" + src  # never read as front matter
    body, maths = _extract_math(src, block=True)
    tokens = markdown().parse(body, {})
    prepared: list[Token] = []
    for tok in tokens:
        if tok.type in ("fence", "code_block"):
            lang = tok.info.strip().split()[0] if tok.info.strip() else ""
            prepared.append(_html_token(code_block(_restore_source(tok.content, maths), lang)))
            continue
        if tok.type == "inline":
            tok.children = _prepare_inline(tok.children or [], media)
        prepared.append(tok)
    out = markdown().renderer.render(prepared, markdown().options, {})
    return _restore_math(_inert(out), maths).strip()


def cloze(source: str, media: Mapping[str, str] | None = None) -> tuple[str, int]:
    """A trap text -> HTML whose top-level bold spans are Anki deletions `{{c1::…}}`, `{{c2::…}}`.

    Returns the HTML and the number of deletions: always one per bold span the parser found
    (`cardgen.markdown.bold_spans`), which is what the cards were built from. The content of
    each deletion is
    escaped like any other text (and its `:` encoded), so nothing inside it can end the deletion
    or add a hint.
    """
    out, count = _cloze(source, media, math=True)
    if count != len(bold_spans(source)):
        # Dollar signs tangled with the bold markers (`**$**$`): the parser's reading wins.
        out, count = _cloze(source, media, math=False)
    return out, count


def _cloze(source: str, media: Mapping[str, str] | None, math: bool) -> tuple[str, int]:
    if math:
        body, maths = _extract_math(_clean(source), block=False)
    else:
        body, maths = _clean(source), []
    tokens = markdown().parseInline(body, {})
    children = _prepare_inline(tokens[0].children or [] if tokens else [], media)
    marked: list[Token] = []
    depth = 0
    open_at = -1
    for child in children:
        if child.type == "strong_open":
            depth += 1
            if depth == 1:
                open_at = len(marked)
                marked.append(_html_token(_CLOZE_OPEN))
                continue
        elif child.type == "strong_close" and depth:
            depth -= 1
            if depth == 0:
                if open_at == len(marked) - 1 or _is_blank(marked[open_at + 1 :]):
                    marked[open_at] = Token("strong_open", "strong", 1, markup="**")
                    marked.append(Token("strong_close", "strong", -1, markup="**"))
                else:
                    marked.append(_html_token(_CLOZE_CLOSE))
                continue
        marked.append(child)
    if depth:  # unbalanced (cannot happen with markdown-it's pairing); keep text as bold
        marked = [
            Token("strong_open", "strong", 1, markup="**") if t.content == _CLOZE_OPEN else t
            for t in marked
        ]
    out = _render_inline(marked)
    out = _restore_math(_inert(out), maths).strip()
    count = 0

    def deletion(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        inner = m.group(1).strip().replace(":", "&#58;")
        return f"{{{{c{count}::{inner}}}}}"

    out = re.sub(f"{_CLOZE_OPEN}(.*?){_CLOZE_CLOSE}", deletion, out, flags=re.DOTALL)
    return out, count


def table(
    headers: Sequence[str], cells: Sequence[str], media: Mapping[str, str] | None = None
) -> str:
    """Values side by side: a header row of (Markdown) names over one row of (Markdown) values."""
    head = "".join(f"<th>{inline(h, media)}</th>" for h in headers)
    body = "".join(
        f'<td data-subject="{_inert(html.escape(_clean(h).replace("*", "")))}">'
        f"{inline(c, media) if c.strip() else '—'}</td>"
        for h, c in zip(headers, cells)
    )
    return (
        '<table class="cg-compare"><thead><tr>'
        + head
        + "</tr></thead><tbody><tr>"
        + body
        + "</tr></tbody></table>"
    )


# --------------------------------------------------------------------------------------------
# Escaping


def _clean(value: str) -> str:
    """Control characters (Anki's field separator \\x1f among them) and our private markers
    cannot reach a field."""
    return _CONTROL.sub("\ufffd", value.replace("\r\n", "\n"))


def _inert(out: str) -> str:
    """Make rendered HTML inert for Anki's template, cloze and media syntax."""
    out = out.replace("{", "&#123;").replace("}", "&#125;").replace("[", "&#91;")
    return out.replace("::", "&#58;&#58;").replace("&#58;:", "&#58;&#58;")


def _render_inline(tokens: Sequence[Token]) -> str:
    """Inline tokens -> HTML. The parser's renderer is an HTML renderer; markdown-it types it as
    a protocol that lacks `renderInline`."""
    renderer = cast(RendererHTML, markdown().renderer)
    return renderer.renderInline(tokens, markdown().options, {})


def _html_token(content: str) -> Token:
    tok = Token("html_inline", "", 0)
    tok.content = content
    return tok


def _is_blank(tokens: Sequence[Token]) -> bool:
    return all(t.type == "text" and not t.content.strip() for t in tokens)


def _prepare_inline(children: Sequence[Token], media: Mapping[str, str] | None) -> list[Token]:
    """`<br>` in text -> line breaks; image sources -> packed media names (or alt text)."""
    out: list[Token] = []
    for child in children:
        if child.type == "text" and _BR.search(child.content):
            parts = _BR.split(child.content)
            for i, part in enumerate(parts):
                if i:
                    out.append(_html_token("<br>"))
                if part:
                    t = Token("text", "", 0)
                    t.content = part
                    out.append(t)
            continue
        if child.type == "image":
            ref = str(child.attrs.get("src", ""))
            name = (media or {}).get(ref)
            if not name:
                alt = Token("text", "", 0)
                alt.content = child.content or ref
                out.append(alt)
                continue
            child.attrs["src"] = name
        out.append(child)
    return out


# --------------------------------------------------------------------------------------------
# Math


def _extract_math(src: str, block: bool) -> tuple[str, list[tuple[str, str]]]:
    """Replace `$…$` / `$$…$$` spans (outside code) with placeholders; return the MathJax HTML."""
    maths: list[tuple[str, str]] = []
    out: list[str] = []
    i = 0
    n = len(src)

    def slot(opening: str, tex: str, closing: str, original: str) -> str:
        maths.append((opening + _inert(html.escape(tex, quote=False)) + closing, original))
        return f"\ue000{len(maths) - 1}\ue001"

    while i < n:
        ch = src[i]
        if block and (i == 0 or src[i - 1] == "\n"):
            m = _FENCE.match(src, i)
            if m:
                end = _fence_end(src, i, m.group(1))
                out.append(src[i:end])
                i = end
                continue
        if ch == "\\" and i + 1 < n:
            out.append(src[i : i + 2])
            i += 2
            continue
        if ch == "`":
            run = _run_length(src, i, "`")
            close = _find_backticks(src, i + run, run)
            end = close + run if close >= 0 else i + run
            out.append(src[i:end])
            i = end
            continue
        if ch == "$":
            if src.startswith("$$", i):
                j = _find_unescaped(src, "$$", i + 2)
                if j > i + 2 and src[i + 2 : j].strip() and "**" not in src[i:j]:
                    out.append(slot("\\[", src[i + 2 : j].strip(), "\\]", src[i : j + 2]))
                    i = j + 2
                    continue
                out.append("$$")
                i += 2
                continue
            j = _inline_math_end(src, i)
            if j > 0:
                out.append(slot("\\(", src[i + 1 : j], "\\)", src[i : j + 1]))
                i = j + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out), maths


def _run_length(src: str, i: int, ch: str) -> int:
    j = i
    while j < len(src) and src[j] == ch:
        j += 1
    return j - i


def _find_backticks(src: str, start: int, run: int) -> int:
    j = start
    while True:
        j = src.find("`" * run, j)
        if j < 0:
            return -1
        length = _run_length(src, j, "`")
        if length == run:
            return j
        j += length


def _find_unescaped(src: str, needle: str, start: int) -> int:
    j = start
    while True:
        j = src.find(needle, j)
        if j < 0 or not _escaped(src, j):
            return j
        j += 1


def _escaped(src: str, j: int) -> bool:
    k = j - 1
    slashes = 0
    while k >= 0 and src[k] == "\\":
        slashes += 1
        k -= 1
    return slashes % 2 == 1


def _inline_math_end(src: str, i: int) -> int:
    """Index of the `$` closing inline math opened at i, or -1 (pandoc's tex_math_dollars)."""
    n = len(src)
    if i + 1 >= n or src[i + 1] in " \t\n$":
        return -1
    j = i + 1
    while j < n:
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n" and src.startswith("\n\n", j):
            return -1
        if c == "$":
            if src[j - 1] in " \t\n" or (j + 1 < n and src[j + 1].isdigit()):
                return -1
            if "**" in src[i:j] or "__" in src[i:j]:
                return -1  # `**$5** … **$x**`: the bold markers win, as the parser sees them
            return j
        j += 1
    return -1


def _fence_end(src: str, i: int, marker: str) -> int:
    """End index (exclusive) of the fenced block starting at line index i."""
    nl = src.find("\n", i)
    if nl < 0:
        return len(src)
    pos = nl + 1
    closing = re.compile(r"[ ]{0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
    while pos < len(src):
        nl = src.find("\n", pos)
        line = src[pos : nl if nl >= 0 else len(src)]
        pos = (nl + 1) if nl >= 0 else len(src)
        if closing.match(line):
            return pos
    return len(src)


def _restore_math(out: str, maths: Sequence[tuple[str, str]]) -> str:
    """Placeholders -> MathJax (already inert inside; its delimiters are left for MathJax)."""
    if not maths:
        return out
    return _MATH_SLOT.sub(lambda m: maths[int(m.group(1))][0], out)


def _restore_source(code: str, maths: Sequence[tuple[str, str]]) -> str:
    """Code (an indented block) keeps its dollars exactly as written."""
    if not maths:
        return code
    return _MATH_SLOT.sub(lambda m: maths[int(m.group(1))][1], code)


# --------------------------------------------------------------------------------------------
# Code highlighting: Pygments lexes (the fence's language, by any name Pygments knows it by);
# the colours are the note type's CSS variables, which night mode swaps.


class _NoteTypeColours(Style):
    """Code colours as the note type's CSS variables (`anki.css`: `--cg-k` keyword, `--cg-s`
    string, `--cg-c` comment, `--cg-n` number; day and night values): no colour is fixed here,
    and other tokens (names, operators, punctuation) keep the text's own colour."""

    styles = {
        Keyword: "bold var(--cg-k)",
        Operator.Word: "bold var(--cg-k)",  # `and`, `not`, `in`
        Name.Tag: "var(--cg-k)",  # HTML/XML tags, JSON and YAML keys
        String: "var(--cg-s)",
        Comment: "italic var(--cg-c)",
        Number: "var(--cg-n)",
    }


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter[str]:
    """Spans only (the caller wraps them), with inline styles that name the CSS variables."""
    return HtmlFormatter(nowrap=True, noclasses=True, style=_NoteTypeColours)


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer | None:
    """The Pygments lexer for a fence's language name (`python`, `py`, `sh`, `json`, `c++`...),
    or None when Pygments knows no such language. The code is kept exactly as written."""
    if not lang:
        return None
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight(code: str, lang: str = "") -> str:
    """Code -> escaped HTML, its keywords, strings, comments and numbers in `<span style=…>`
    (see `_NoteTypeColours`); plain escaped text for a language Pygments does not know."""
    lexer = _lexer(lang)
    if lexer is None:
        return html.escape(code, quote=False)
    out = pygments.highlight(code, lexer, _formatter())
    if out.endswith("\n") and not code.endswith("\n"):
        out = out[:-1]  # the formatter ends the last line with one
    return out


def code_block(code: str, lang: str = "") -> str:
    """A left-aligned, highlighted code block."""
    lang_attr = f' data-lang="{html.escape(lang)}"' if lang else ""
    body = highlight(code.rstrip("\n"), lang)
    return f'<pre class="cg-code"{lang_attr}><code>{body}</code></pre>\n'
