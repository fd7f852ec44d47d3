"""A saved web page (HTML) -> the page text the importer reads, with its structure kept.

The only module that imports lxml and readability-lxml (the `cardgen[html]` extra).
readability picks the page's main content (the article, not the header, sidebar or footer);
lxml reads it: headings, paragraphs, list items, callouts, and tables cell by cell. What comes
out is a page in the form `import_page` reads, so every rule of the text importer applies, with
nothing left to guess in the table:

- the comparison table (3 columns or more, 2 rows or more; a calendar or an infobox is none)
  becomes a tab-separated table with an `Exam tip` column: a subject's header cell is written
  `Name — tagline` when the page breaks it (`Amazon SQS<br><small>Fully managed…</small>`);
  a first cell with a bold label followed by more text is that label and that tip;
- elements whose class or id names page chrome (breadcrumbs, bylines, share bars, tables of
  contents, related posts, comments, ads) are dropped;
- a callout whose class warns (`warning`, `danger`, `caution`, `trap`, `pitfall`) is a trap,
  under an `Exam traps` heading unless the page gives one; an `info` or `note` callout is text.

Each line keeps the line of the HTML element it came from, so diagnostics name the HTML's lines.
"""

from __future__ import annotations

import re
from typing import Any

HTML_EXTRA_MISSING = (
    "reading HTML needs the html extra: pip install 'cardgen[html]' "
    "(it brings lxml and readability-lxml)"
)
_CHROME = re.compile(
    r"breadcrumb|byline|author|share|social|related|newsletter|comment|\btoc\b|"
    r"table-of-contents|sidebar|advert|\bads?\b|cookie|banner|promo|subscribe|meta",
    re.IGNORECASE,
)
_TRAP_CALLOUT = re.compile(r"warning|danger|caution|trap|pitfall|gotcha|alert", re.IGNORECASE)
# a heading over warnings: its paragraphs are traps already (docs/import.md, sections)
_WARNING_HEADING = re.compile(
    r"trap|pitfall|gotcha|watch|careful|mistake|warning|caution|remember|myth", re.IGNORECASE
)
_DECOY_TABLE = re.compile(r"calendar|infobox|sidebar|layout", re.IGNORECASE)
_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "dd")
_WEEKDAYS = {"mo", "tu", "we", "th", "fr", "sa", "su", "mon", "tue", "wed", "thu", "fri", "sat"}


class HtmlSupportMissing(RuntimeError):
    """The `html` extra is not installed."""


def _libs() -> tuple[Any, Any]:
    try:
        import lxml.html
        from readability import Document
    except ImportError as exc:  # pragma: no cover - exercised without the extra only
        raise HtmlSupportMissing(HTML_EXTRA_MISSING) from exc
    return lxml.html, Document


def looks_like_html(data: bytes) -> bool:
    """Whether bytes read as an HTML document (a doctype or an `<html>` near the start)."""
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def _text(el: Any) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _classes(el: Any) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def html_to_page(html: str) -> tuple[str, list[int]]:
    """The page text of an HTML document, and per line the HTML line it came from."""
    lxml_html, document = _libs()
    original = lxml_html.document_fromstring(html)
    where: dict[tuple[str, str], int] = {}
    for el in original.iter(*_BLOCKS, "tr", "div"):
        where.setdefault((el.tag, _text(el)), el.sourceline or 1)
    main = lxml_html.fragment_fromstring(
        document(html).summary(html_partial=True), create_parent="div"
    )
    out = _Out(where)
    h1 = main.find(".//h1")
    if h1 is None:  # the title from <title>, without the site's name
        t = original.find(".//title")
        title = re.split(r"\s+[|–-]\s+", _text(t))[0] if t is not None else ""
        if title:
            out.add(title, 1)
    _walk(main, out)
    return "\n".join(out.lines) + "\n", out.source


class _Out:
    """The page's lines as they are written, with the HTML line of each."""

    def __init__(self, where: dict[tuple[str, str], int]) -> None:
        self.where = where
        self.lines: list[str] = []
        self.source: list[int] = []
        self.trap_heading = False

    def line_of(self, el: Any) -> int:
        return self.where.get((el.tag, _text(el)), self.source[-1] if self.source else 1)

    def row(self, cells: list[str], line: int) -> None:
        """A table row: its cells between tabs (a tab inside a cell is a space)."""
        self.lines.append("\t".join(c.replace("\t", " ") for c in cells))
        self.source.append(line)

    def add(self, text: str, line: int) -> None:
        text = text.replace("\t", " ").strip()
        if text:
            self.lines.append(text)
            self.source.append(line)


def _walk(el: Any, out: _Out) -> None:
    for child in el:
        if not isinstance(child.tag, str) or _CHROME.search(_classes(child)):
            continue
        tag = child.tag
        if tag in ("script", "style", "nav", "aside", "footer", "header", "form", "figure"):
            continue
        if tag == "table":
            _table(child, out)
        elif re.fullmatch(r"h[1-6]", tag):
            out.add(_text(child), out.line_of(child))
            out.trap_heading = bool(_WARNING_HEADING.search(_text(child)))
        elif _TRAP_CALLOUT.search(_classes(child)):
            _callout(child, out)
        elif tag in ("ul", "ol", "div", "section", "article", "main", "dl") and len(child):
            _walk(child, out)
        else:
            out.add(_text(child), out.line_of(child))


def _callout(el: Any, out: _Out) -> None:
    """A warning callout: a trap (under an `Exam traps` heading unless the page gave one)."""
    if not out.trap_heading:
        out.add("Exam traps", out.line_of(el))
        out.trap_heading = True
    paras = [p for p in el.iter("p", "li")] or [el]
    for p in paras:
        out.add(_text(p), out.line_of(p))


def _rows(table: Any) -> list[list[Any]]:
    return [[c for c in tr if c.tag in ("td", "th")] for tr in table.iter("tr")]


def is_comparison(table: Any) -> bool:
    """A comparison table: 3 columns or more, 2 rows or more under the header; not a layout
    table, a calendar (day names, numbers) or an infobox (2 columns)."""
    if _DECOY_TABLE.search(_classes(table)):
        return False
    rows = [r for r in _rows(table) if len(r) > 1]  # a full-width row is a note
    if len(rows) < 3 or min(len(r) for r in rows) < 3:
        return False
    words = [_text(c).lower() for r in rows for c in r]
    days = sum(1 for w in words if w in _WEEKDAYS)
    numbers = sum(1 for w in words if w.isdigit())
    return days < 3 and numbers < len(words) * 0.6


def _table(table: Any, out: _Out) -> None:
    rows = _rows(table)
    if not is_comparison(table):  # a decoy (infobox, calendar, layout): no content of ours
        return
    header, body = rows[0], rows[1:]
    cells = [_text(header[0]) or "Feature", *(_subject(c) for c in header[1:])]
    split = [_first_cell(r[0]) for r in body]
    tips = any(tip for _, tip in split)
    out.row([*cells, "Exam tip"] if tips else cells, out.line_of(header[0].getparent()))
    for r, (label, tip) in zip(body, split):
        if len(r) == 1:  # a full-width row (`Tip: …`): the text importer gives it to the row above
            out.add(_text(r[0]), out.line_of(r[0].getparent()))
            continue
        values = [_text(c) for c in r[1:]]
        values += [""] * (len(cells) - 1 - len(values))
        out.row([label, *values, tip] if tips else [label, *values], out.line_of(r[0].getparent()))


def _subject(th: Any) -> str:
    """A header cell: `Name — tagline` when the page breaks the cell (`<br>`, `<small>`)."""
    parts = [th.text or ""]
    for child in th:
        if child.tag == "br":
            parts.append("")
        elif child.tag in ("small", "span", "div", "p", "em") and parts[-1].strip():
            parts += [child.text_content(), ""]
        else:
            parts[-1] += child.text_content()
        parts[-1] += child.tail or ""
    parts = [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]
    return f"{parts[0]} — {' '.join(parts[1:])}" if len(parts) >= 2 else _text(th)


def _first_cell(td: Any) -> tuple[str, str]:
    """A first cell: (label, tip): a bold label with more text after it is that label and
    that tip; any other cell is all label."""
    bold = next((b for b in td.iter("strong", "b")), None)
    whole = _text(td)
    if bold is None:
        return whole, ""
    label = _text(bold)
    if not label or not whole.startswith(label):
        return whole, ""
    tip = whole[len(label) :].strip(" :—–-")
    return label.rstrip(":").strip(), tip
