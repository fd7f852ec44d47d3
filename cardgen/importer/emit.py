"""Writing the source: front matter, the blocks as Markdown, and reading the result back.

Front matter (`id`, `deck` from the exam codes and subjects, `tags`, `source`), the title and
description, then the blocks in order: each table under `## Comparison` (unless a page heading
stands over it), note sections, `## Decision tree` lists, `## Exam traps` lists with the key
terms in bold, and `## Unplaced text` last. Page text is escaped so that it reads back as the
same text. The written source is parsed back (`self_check`): an error there is an importer bug
(`I011`), a source too large to build is the page's (`I014`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cardgen.importer.state import Block, BlockKind, ImportState, Table
from cardgen.importer.structure import UNPLACED_HEADING
from cardgen.importer.traps import trap_spans
from cardgen.importer.words import EXAM_CODE, word_count
from cardgen.source import TRAP_WORDS, parse_text
from cardgen.text import slugify

TIP_HEADER = "Exam tip"
TRAPS_HEADING = "Exam traps"
DECISION_HEADING = "Decision tree"

# What would start a block other than a paragraph (heading, quote, list, rule, fence, link def).
_BLOCK_START = re.compile(
    r"^(?:#{1,6}(?:\s|$)|>|[-+](?:\s|$)|\d{1,9}[.)](?:\s|$)|=+\s*$|-{3,}|~{3,}|\[[^\]]*\]:)"
)
_YAML_UNSAFE = re.compile(  # outside YAML's printable set, or a line break to YAML 1.1
    r"[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)

# --------------------------------------------------------------------------------------------
# Escaping


def esc(text: str, *, cell: bool = False, block_start: bool = True) -> str:
    """Escape what would change meaning in Markdown: emphasis markers, code ticks, block starts."""
    out = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)
    out = out.replace("*", r"\*").replace("`", r"\`")
    out = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\_", out)
    if cell:
        out = out.replace("|", "\\|")  # backslashes before it are doubled above
    if block_start and _BLOCK_START.match(out):
        m = re.match(r"^\d{1,9}", out)
        out = out[: m.end()] + "\\" + out[m.end() :] if m else "\\" + out
    return out


def yaml_scalar(value: str) -> str:
    """A YAML scalar that reads back as this string: plain when clearly safe (starts with a
    letter, no `: ` or ` #`, not a YAML 1.1 boolean or null), else JSON (= YAML double-quoted)."""
    plain_ok = (
        re.match(r"^[A-Za-z][^\n]*$", value)
        and value.isprintable()
        and not any(ch in value for ch in "\u0085\u2028\u2029\ufeff")
        and ": " not in value
        and " #" not in value
        and not value.endswith((":", " "))
        and value.lower() not in ("y", "n", "yes", "no", "true", "false", "on", "off", "null")
    )
    if plain_ok:
        return value
    # JSON is YAML double-quoted; keep readable text (emoji, accents) as it is and escape only
    # what YAML does not allow bare in a quoted scalar
    return _YAML_UNSAFE.sub(_yaml_escape, json.dumps(value, ensure_ascii=False))


def _yaml_escape(match: re.Match[str]) -> str:
    ch = ord(match.group())
    return f"\\u{ch:04x}" if ch <= 0xFFFF else f"\\U{ch:08x}"


# --------------------------------------------------------------------------------------------
# Front matter and title


def title_slug_of(title: str) -> str:
    """File stem and deck id for a page title: its main part, slugified, at most 60 characters."""
    head = re.split(r"\s+[—–|]\s+|:\s+", title, maxsplit=1)[0]
    slug = slugify(head if word_count(head) >= 2 else title) or "imported"
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug


def _deck_and_tags(state: ImportState) -> tuple[str, list[str]]:
    # an exam code anywhere in the attribution (`AZ-700 · 2026-03-01 · Contoso Learning`)
    codes = list(dict.fromkeys(p for p in state.source_parts if EXAM_CODE.match(p)))
    subjects = state.deck_subjects
    topic = " vs ".join(subjects) if len(subjects) >= 2 else state.title
    topic = topic.replace("::", ":")
    return "::".join([*codes, topic]), [slugify(c) for c in codes]


def _front_matter(state: ImportState) -> list[str]:
    """The front matter, the title and the description."""
    deck, tags = _deck_and_tags(state)
    doc_id = state.doc_id or title_slug_of(state.title)
    out = ["---", f"id: {yaml_scalar(doc_id)}", f"deck: {yaml_scalar(deck)}"]
    if tags:
        out.append("tags: [" + ", ".join(tags) + "]")
    if state.source:
        out.append(f"source: {yaml_scalar(state.source)}")
    out += ["---", "", f"# {esc(state.title, block_start=False)}", ""]
    for _, para in state.description:
        out += [esc(para), ""]
    return out


# --------------------------------------------------------------------------------------------
# The body


@dataclass
class _Writer:
    """The Markdown written so far, and where in it the next block goes."""

    state: ImportState
    out: list[str]
    expected_traps: list[tuple[str, str]] = field(default_factory=list)  # (title, text)
    unplaced: list[str] = field(default_factory=list)
    ntables: int = 0
    current: str = ""  # "trap" | "scenario" | "note" | "table" | "": what the output is in
    note_heading: str = ""  # the page heading whose section we are in
    pending_list: bool = False  # a list is open: a blank line must close it
    before: str = ""  # the kind of the block before this one
    after: str = ""  # the kind of the block after this one


def render(state: ImportState) -> str:
    """The source's Markdown; checked by parsing it back (`self_check`)."""
    w = _Writer(state, _front_matter(state))
    blocks = state.blocks
    for i, b in enumerate(blocks):
        w.after = blocks[i + 1].kind if i + 1 < len(blocks) else ""
        if w.pending_list and b.kind not in ("scenario", "trap"):
            w.out.append("")
            w.pending_list = False
        _EMIT[b.kind](w, b)
        w.before = b.kind
    if w.pending_list:
        w.out.append("")
    if w.unplaced:
        w.out += [f"## {UNPLACED_HEADING}", ""]
        for text in w.unplaced:
            w.out += [esc(text), ""]
    markdown = "\n".join(w.out).rstrip("\n") + "\n"
    self_check(state, markdown, w.expected_traps)
    return markdown


def _emit_table(w: _Writer, b: Block) -> None:
    if b.table is None:
        return
    w.ntables += 1
    if w.before != "heading":
        w.out += [f"## Comparison{'' if w.ntables == 1 else f' {w.ntables}'}", ""]
    w.out += table_lines(b.table)
    w.out.append("")
    w.current = "table"


def _emit_heading(w: _Writer, b: Block) -> None:
    text = b.text
    kind = "trap" if any(word in text.lower() for word in TRAP_WORDS) else "note"
    if kind == "note" and w.after == "trap":
        # a heading over traps (`Watch out`, `Common mistakes`): the parser reads a trap list
        # only under a heading that says "trap", and a heading of its own (`Exam traps`) under
        # it would leave the page's heading empty
        text, kind = f"{text} — {TRAPS_HEADING.lower()}", "trap"
    w.out += [f"## {esc(text, block_start=False)}", ""]
    w.current, w.note_heading = kind, b.text


def _emit_para(w: _Writer, b: Block) -> None:
    if w.current in ("trap", "table", ""):
        # back to the page's section after a run of traps: re-open it
        heading = f"{w.note_heading} (continued)" if w.note_heading else "Notes"
        w.out += [f"## {esc(heading, block_start=False)}", ""]
        w.current = "note"
    w.out += [esc(b.text), ""]


def _emit_unplaced(w: _Writer, b: Block) -> None:
    w.unplaced.append(b.text)


def _emit_scenario(w: _Writer, b: Block) -> None:
    if w.current in ("trap", "table", ""):
        if w.pending_list:
            w.out.append("")
        w.out += [f"## {DECISION_HEADING}", ""]
        w.current = "scenario"
    w.out.append(f"- {esc(b.text)} → {esc(b.answer, block_start=False)}")
    w.pending_list = True


def _emit_trap(w: _Writer, b: Block) -> None:
    if w.current != "trap":
        if w.pending_list:
            w.out.append("")
        w.out += [f"## {TRAPS_HEADING}", ""]
        w.current = "trap"
        w.pending_list = False
    parts = b.trap
    title, sep, lead = (parts.title, parts.sep, parts.lead_caps) if parts else ("", "", 0)
    md, plain_title, plain_text = trap_markdown(w.state, b.line, title, sep, b.text, lead)
    w.out.append("- " + md)
    w.expected_traps.append((plain_title, plain_text))
    w.pending_list = True


_EMIT: dict[BlockKind, Callable[[_Writer, Block], None]] = {
    "table": _emit_table,
    "heading": _emit_heading,
    "para": _emit_para,
    "unplaced": _emit_unplaced,
    "scenario": _emit_scenario,
    "trap": _emit_trap,
}


def table_lines(t: Table) -> list[str]:
    """A resolved table as Markdown lines (an `Exam tip` column when any row has a tip)."""
    header, rows = t.out_header, t.out_rows
    has_tips = any(r.tip for r in rows)
    cols = [*header, TIP_HEADER] if has_tips else header
    lines = [
        "| " + " | ".join(esc(c, cell=True, block_start=False) for c in cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in rows:
        cells = [r.label, *r.values] + ([r.tip] if has_tips else [])
        lines.append("| " + " | ".join(esc(c, cell=True, block_start=False) for c in cells) + " |")
    return lines


def trap_markdown(
    state: ImportState, line: int, title: str, sep: str, text: str, lead_caps: int
) -> tuple[str, str, str]:
    """The trap as a list item's Markdown, plus its title and text as the parser should
    read them back (bold markers aside)."""
    spans, proposed = trap_spans(text, title, lead_caps, state.corpus, state.subjects)
    if proposed:
        a, b = spans[0]
        state.report(
            line,
            "I015",
            f"no bold term in this trap; proposed **{text[a:b]}** ({proposed}): check it is "
            "the term to recall before the first build",
        )
    if not spans:
        state.report(
            line,
            "I006",
            "no key term stands out in this trap (no ALL-CAPS emphasis, no subject name);"
            " mark the term to recall with **bold** or the trap yields no cloze card",
        )
    body, plain = [], []
    pos = 0
    for a, b in [*spans, (len(text), len(text))]:
        piece = esc(text[pos:a], block_start=pos == 0 and not title)
        body.append(piece)
        plain.append(piece)
        if b > a:
            term = esc(text[a:b], block_start=False)
            body.append("**" + term + "**")
            plain.append(term)
        pos = b
    md = "".join(body)
    if title:
        t = esc(title, block_start=False)
        md = f"**{t}:** {md}" if sep == ":" else f"**{t}** — {md}"
        return md, t, "".join(plain).strip()
    return md, "", "".join(plain).strip()


# --------------------------------------------------------------------------------------------
# Reading it back


def self_check(state: ImportState, markdown: str, traps: list[tuple[str, str]]) -> None:
    """Parse the written source back: errors are importer bugs (`I011`), except a source too
    large to build (`I014`); the traps must read back as written."""
    doc, diags = parse_text(markdown, state.path)
    for d in diags:
        if d.code == "P003":  # the page, not the importer: too much for one source
            state.report(
                1,
                "I014",
                f"the page makes a source too large to build ({d.message}); "
                "split the page and import each part",
            )
        elif d.is_error:
            state.report(
                1,
                "I011",
                f"the generated source does not check cleanly ({d.code}: {d.message}); "
                "please report this page",
            )
    got = [(t.title, t.text.replace("**", "")) for t in doc.traps]
    want = [(title, re.sub(r"\s+", " ", text)) for title, text in traps]
    if got != want:
        state.report(
            1, "I011", "the generated traps read back differently; please report this page"
        )
