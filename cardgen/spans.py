"""Markdown -> plain JSON "spans" for the Typst templates (no Typst syntax is ever built here).

A span is a small dict: ``{"t": text}`` plus style flags ``"b"`` (bold), ``"i"`` (italic),
``"c"`` (code), ``"u"`` (underline, used for revealed cloze deletions); ``{"br": 1}`` is a line
break and ``{"blank": n, "w": chars}`` is cloze deletion number *n* shown as a blank. The
templates render ``t`` as a string, so characters such as ``# $ @ < > [ ] \\ *`` stay literal.

Parsing goes through the one configured MarkdownIt instance (`cardgen.markdown.markdown()`). Table
cells spell line breaks as ``<br>``; raw HTML is off in the parser, so ``<br>`` arrives as text and
is turned into a break here (inside code spans it stays literal). Very long words get zero-width
break opportunities so that a cell or a card can always wrap them instead of overflowing.
"""

from __future__ import annotations

import re
from typing import Any

from cardgen.markdown import markdown

Span = dict[str, Any]
Block = dict[str, Any]

ZWSP = "\u200b"
SHY = "\u00ad"
LONG_WORD = 16  # words at least this long get break opportunities
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"\S{" + str(LONG_WORD) + ",}")
_SOFT_POINTS = re.compile(r"(?<=[/._\-:?&=,;|\\])|(?<=[a-z])(?=[A-Z])")


def breakable(text: str, *, code: bool = False) -> str:
    """Give words of `LONG_WORD` characters or more somewhere to break, so that a narrow table
    cell or card wraps them instead of overflowing: a zero-width space after punctuation and at
    camelCase humps, then soft hyphens between the characters of any piece still that long (the
    templates break lines with Knuth-Plass, which uses a hyphen only when it must). In code a
    hyphen would read as part of the code, so zero-width spaces are used there instead."""
    joiner = ZWSP if code else SHY

    def fix(m: re.Match[str]) -> str:
        pieces = [p for p in _SOFT_POINTS.split(m.group(0)) if p]
        return ZWSP.join(joiner.join(p) if len(p) >= LONG_WORD else p for p in pieces)

    return _WORD.sub(fix, text)


def _push(out: list[Span], span: Span) -> None:
    """Append, merging with the previous span when the styles are equal."""
    if "t" in span and not span["t"]:
        return
    if out and "t" in span and "t" in out[-1]:
        prev = out[-1]
        if {k: v for k, v in prev.items() if k != "t"} == {
            k: v for k, v in span.items() if k != "t"
        }:
            prev["t"] += span["t"]
            return
    out.append(span)


def _style(t: str, bold: int, italic: int, code: bool = False, underline: bool = False) -> Span:
    span: Span = {"t": t}
    if bold:
        span["b"] = 1
    if italic:
        span["i"] = 1
    if code:
        span["c"] = 1
    if underline:
        span["u"] = 1
    return span


def _walk(children: list[Any], bold: bool, italic: bool, cloze: str | None) -> list[Span]:
    """Inline tokens -> spans. `cloze`: None (plain), "blank" or "reveal" for top-level bold."""
    out: list[Span] = []
    b = 1 if bold else 0
    i = 1 if italic else 0
    strong_depth = 0
    blank_no = 0
    blank_chars = 0
    for tok in children:
        typ = tok.type
        in_deletion = cloze is not None and strong_depth > 0
        if typ == "strong_open":
            strong_depth += 1
            if cloze is not None and strong_depth == 1:
                blank_no += 1
                blank_chars = 0
            b += 1
            continue
        if typ == "strong_close":
            strong_depth -= 1
            b -= 1
            if cloze == "blank" and strong_depth == 0:
                out.append({"blank": blank_no, "w": blank_chars})
            continue
        if typ == "em_open":
            i += 1
            continue
        if typ == "em_close":
            i -= 1
            continue
        if typ in ("softbreak",):
            text_parts: list[str | None] = [" "]
        elif typ == "hardbreak":
            text_parts = [None]
        elif typ == "code_inline":
            if cloze == "blank" and in_deletion:
                blank_chars += len(tok.content)
                continue
            _push(
                out,
                _style(
                    breakable(tok.content, code=True),
                    b,
                    i,
                    code=True,
                    underline=cloze == "reveal" and in_deletion,
                ),
            )
            continue
        elif typ in ("text", "text_special", "html_inline"):
            pieces = _BR.split(tok.content)
            text_parts = []
            for n, piece in enumerate(pieces):
                if n:
                    text_parts.append(None)
                text_parts.append(piece)
        elif typ == "image":
            text_parts = [tok.content or ""]
        else:  # link_open/close, s_open/close and anything else: keep only the text inside
            continue
        for part in text_parts:
            if cloze == "blank" and in_deletion:
                blank_chars += len(part or "")
                continue
            if part is None:
                out.append({"br": 1})
            else:
                _push(
                    out, _style(breakable(part), b, i, underline=cloze == "reveal" and in_deletion)
                )
    return out


def inline(text: str, *, bold: bool = False, italic: bool = False) -> list[Span]:
    """Inline Markdown (one cell, one title, one paragraph) -> spans."""
    if not text:
        return []
    tokens = markdown().parseInline(text)
    children = tokens[0].children if tokens else None
    return _walk(list(children or ()), bold, italic, None)


def cloze(text: str, *, reveal: bool) -> list[Span]:
    """A trap text whose top-level bold spans are the deletions: shown as numbered blanks
    (`reveal=False`, the card front) or bold and underlined (`reveal=True`, the back)."""
    tokens = markdown().parseInline(text)
    children = tokens[0].children if tokens else None
    return _walk(list(children or ()), False, False, "reveal" if reveal else "blank")


def plain(spans: list[Span]) -> str:
    """The text a reader sees (blanks as underscores), without break opportunities."""
    parts = []
    for s in spans:
        if "br" in s:
            parts.append("\n")
        elif "blank" in s:
            parts.append("_____")
        else:
            parts.append(s["t"])
    return "".join(parts).replace(ZWSP, "").replace(SHY, "")


def blocks(text: str) -> list[Block]:
    """Block Markdown (a description or a note) -> a flat list of blocks:
    ``{"k": "p" | "h" | "li" | "code" | "quote", "spans": [...], "depth": n, "marker": "•"}``."""
    out: list[Block] = []
    if not text.strip():
        return out
    tokens = markdown().parse(text)
    list_stack: list[list[Any]] = []  # [ordered, next number]
    quote = 0
    pending_marker: str | None = None
    for n, tok in enumerate(tokens):
        typ = tok.type
        if typ in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrGet("start") or 1) if typ == "ordered_list_open" else 0
            list_stack.append([typ == "ordered_list_open", start])
        elif typ in ("bullet_list_close", "ordered_list_close"):
            if list_stack:
                list_stack.pop()
        elif typ == "list_item_open":
            if list_stack:
                top = list_stack[-1]
                pending_marker = f"{top[1]}." if top[0] else "•"
                top[1] += 1
        elif typ in ("blockquote_open", "alert_open"):
            quote += 1
        elif typ in ("blockquote_close", "alert_close"):
            quote -= 1
        elif typ == "inline":
            prev = tokens[n - 1].type if n else ""
            kind = "h" if prev == "heading_open" else "p"
            block: Block = {
                "k": kind,
                "spans": inline(tok.content, bold=kind == "h"),
            }
            if pending_marker is not None:
                block["k"] = "li"
                block["marker"] = pending_marker
                block["depth"] = len(list_stack)
                pending_marker = None
            elif list_stack:
                block["k"] = "li"
                block["marker"] = ""
                block["depth"] = len(list_stack)
            if quote:
                block["quote"] = 1
            out.append(block)
        elif typ in ("fence", "code_block"):
            spans: list[Span] = []
            for k, line in enumerate(tok.content.rstrip("\n").split("\n")):
                if k:
                    spans.append({"br": 1})
                if line:
                    spans.append({"t": breakable(line, code=True), "c": 1})
            out.append({"k": "code", "spans": spans})
        elif typ == "table_open":
            pass  # rows arrive as inline tokens below (one block per cell); rare in notes
    return out
