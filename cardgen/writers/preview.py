"""Every card of a deck as Anki shows it, in one self-contained HTML page (`cardgen preview`), and
as text (`cardgen show --cards`).

The cards are cardgen's own notes (`writers/apkg/notes.py`) put through cardgen's own note types
(`writers/apkg/pack.py`: templates and CSS), filled in here the way Anki's template engine fills
them: `{{Field}}`, `{{#Field}}…{{/Field}}` (shown when the field is not empty), `{{FrontSide}}`
and `{{cloze:Field}}`, one card per deletion. tests/test_preview.py checks the result against the
real `anki` backend's `card.question()` / `card.answer()` for every card of the Cognito deck.
Math shows as its TeX source (Anki's MathJax is not bundled); images are embedded as data URIs.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cardgen.cards import study_order
from cardgen.diagnostics import Diagnostic
from cardgen.model import Card, CardKind, Document, NoteModel
from cardgen.writers.apkg.notes import NoteContent, media_names, note_contents
from cardgen.writers.apkg.pack import CLOZE_FIELDS, QA_FIELDS, css, templates

_EMPTY = re.compile(r"^(?:\s|</?(?:br|div) ?/?>)*$", re.IGNORECASE)
_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.S)
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


@dataclass(frozen=True)
class Face:
    """One card as the reviewer shows it: front and back HTML (no `<style>`), where it is from."""

    key: str
    kind: CardKind
    model: NoteModel
    ord: int  # the card's template or cloze number, from 0
    question: str
    answer: str
    card: Card
    recalled: str  # the HTML of what the card asks for: the Answer field, or the hidden text


def deck_faces(
    doc: Document, cards: Sequence[Card], images: Mapping[str, bytes]
) -> tuple[list[Face], dict[str, bytes]]:
    """A deck's cards as its package holds them, in the package's (study) order, and its media
    by packed name."""
    names = media_names(images)
    contents = note_contents(cards, doc, names)
    order = study_order(cards, [c.cards for c in contents])
    packed = {names[ref]: data for ref, data in images.items()}
    return faces([cards[i] for i in order], [contents[i] for i in order]), packed


def faces(cards: Sequence[Card], contents: Sequence[NoteContent]) -> list[Face]:
    """Every card of the notes, in note order; a cloze note gives one card per deletion."""
    out: list[Face] = []
    for card, content in zip(cards, contents):
        names = CLOZE_FIELDS if content.model == "cloze" else QA_FIELDS
        fields = dict(zip(names, content.fields))
        qfmt, afmt = templates(content.model)
        for ord_ in range(content.cards if content.model == "cloze" else 1):
            q = fill(qfmt, fields, ord_ + 1, question=True)
            a = fill(afmt, {**fields, "FrontSide": q}, ord_ + 1, question=False)
            if content.model == "cloze":
                hidden = [m[2] for m in _CLOZE.finditer(fields["Text"]) if int(m[1]) == ord_ + 1]
                recalled = " … ".join(hidden)
            else:
                recalled = fields["Answer"]
            out.append(Face(content.key, card.kind, content.model, ord_, q, a, card, recalled))
    return out


def fill(template: str, fields: Mapping[str, str], cloze: int, question: bool) -> str:
    """A card template filled in as Anki does it (the subset cardgen's templates use)."""

    def section(m: re.Match[str]) -> str:
        empty = bool(_EMPTY.match(fields.get(m[2].strip(), "")))
        show = not empty if m[1] == "#" else empty
        return m[3] if show else ""

    text = template
    while True:
        new = _SECTION.sub(section, text)
        if new == text:
            break
        text = new

    def field(m: re.Match[str]) -> str:
        name = m[1].strip()
        if name.startswith("cloze:"):
            return _cloze(fields.get(name[6:], ""), cloze, question)
        return fields.get(name, "")

    return re.sub(r"\{\{([^#^/][^}]*)\}\}", field, text)


def _cloze(text: str, n: int, question: bool) -> str:
    def one(m: re.Match[str]) -> str:
        k, body, hint = int(m[1]), m[2], m[3]
        if k != n:
            return f'<span class="cloze-inactive" data-ordinal="{k}">{body}</span>'
        if not question:
            return f'<span class="cloze" data-ordinal="{k}">{body}</span>'
        return (
            f'<span class="cloze" data-cloze="{_attribute(body)}" data-ordinal="{k}">'
            f"[{html.escape(hint, quote=False) if hint else '...'}]</span>"
        )

    return _CLOZE.sub(one, text)


def _attribute(text: str) -> str:
    """An attribute value as Anki encodes it: every ASCII character but letters and digits as
    a hexadecimal character reference."""
    return "".join(ch if ch.isalnum() or ord(ch) > 127 else f"&#x{ord(ch):02X};" for ch in text)


# --------------------------------------------------------------------------------------------
# Text (`cardgen show --cards`)


def plain(fragment: str) -> str:
    """What a reader sees of an HTML fragment, on one line."""
    text = re.sub(r"</t[hd]>(?=\s*<t[hd])", " | ", fragment)
    text = re.sub(r"</tr>", " / ", text)
    text = re.sub(r"<(?:br|hr)[^>]*>|</(?:div|p|li)>", " ", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", text).strip(" /")


def answer_part(face: Face) -> str:
    """The back without the front it repeats: what follows `<hr id=answer>` (Q/A cards), or
    the whole back (cloze cards, whose back is the text with the blank filled in)."""
    parts = re.split(r"<hr id=\"?answer\"?>", face.answer, maxsplit=1)
    return parts[1] if len(parts) == 2 else face.answer


def card_texts(all_faces: Sequence[Face]) -> list[dict[str, object]]:
    """Every card's prompt and answer as text (the JSON of `show --cards --json`)."""
    return [
        {
            "key": f.key,
            "kind": f.kind,
            "card": f.ord + 1,
            "line": f.card.loc.line,
            "prompt": plain(f.question),
            "answer": plain(f.recalled),
        }
        for f in all_faces
    ]


# --------------------------------------------------------------------------------------------
# The page

_REVIEWER = (
    "body{margin:20px;overflow-wrap:break-word}"
    "body.nightMode{background-color:#2c2c2c;color:#fcfcfc}"
    "body.mobile{margin:0;padding:0}body.mobile #qa{margin:.5em}"
    "body.mobile.nightMode{background-color:#000;color:#fff}"
)
_PAGE_CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f4;color:#1f2328}
body.pv-night{background:#1b1b1b;color:#e8e8e8}
header{position:sticky;top:0;z-index:2;background:inherit;padding:.6em 1em;
  border-bottom:1px solid #8884;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
header h1{font-size:1.05em;margin:0;flex:1 1 20em}
header button{font:inherit;padding:.3em .8em;border-radius:4px;border:1px solid #8888;
  background:transparent;color:inherit;cursor:pointer}
header button[aria-pressed=true]{background:#0a58ca;color:#fff;border-color:#0a58ca}
main{padding:1em;display:grid;gap:1.2em}
section.pv-card{border:1px solid #8884;border-radius:6px;padding:.6em .8em}
section.pv-card h2{font-size:.85em;font-weight:600;margin:0 0 .5em;opacity:.8}
.pv-faces{display:flex;gap:1em;flex-wrap:wrap;align-items:flex-start}
figure{margin:0;flex:1 1 26em;min-width:0}
figcaption{font-size:.75em;opacity:.75;margin-bottom:.2em}
iframe{border:1px solid #8886;width:100%;height:12em;display:block;background:#fff}
body.pv-phone figure{flex:0 0 auto}
body.pv-phone iframe{width:390px}
ul.pv-lint{margin:.6em 0 0;padding:.4em .8em;list-style:none;font-size:.8em;
  border-left:3px solid #b35900;background:#b3590014}
ul.pv-lint li{margin:.15em 0;font-family:ui-monospace,monospace;white-space:pre-wrap}
"""
_SCRIPT = """
const css = JSON.parse(document.getElementById('pv-css').textContent);
const frames = [...document.querySelectorAll('iframe')];
const flags = new Set(location.hash.slice(1).split(',').filter(Boolean));
function apply(f) {
  const d = f.contentDocument; if (!d || !d.body) return;
  if (!d.getElementById('cg-css')) {
    const s = d.createElement('style'); s.id = 'cg-css'; s.textContent = css;
    d.head.appendChild(s);
  }
  const night = flags.has('night'), phone = flags.has('phone');
  for (const c of ['nightMode', 'night_mode']) d.body.classList.toggle(c, night);
  d.body.classList.toggle('mobile', phone);
  f.style.height = '10px';
  f.style.height = (d.documentElement.scrollHeight + 2) + 'px';
}
function update() {
  document.body.classList.toggle('pv-night', flags.has('night'));
  document.body.classList.toggle('pv-phone', flags.has('phone'));
  for (const b of document.querySelectorAll('button[data-flag]')) {
    b.setAttribute('aria-pressed', String(flags.has(b.dataset.flag)));
  }
  frames.forEach(apply);
  if (flags.has('measure')) measure();
}
function measure() {
  const out = frames.map(f => {
    const d = f.contentDocument, style = e => e && getComputedStyle(e);
    const a = style(d.querySelector('.cg-answer')), p = style(d.querySelector('.cg-prompt'));
    return {face: f.dataset.face, card: f.closest('section').id,
      width: f.clientWidth, scrollWidth: d.documentElement.scrollWidth,
      answer: a ? [parseFloat(a.fontWeight), parseFloat(a.fontSize)] : null,
      prompt: p ? [parseFloat(p.fontWeight), parseFloat(p.fontSize)] : null,
      background: getComputedStyle(d.body).backgroundColor};
  });
  document.getElementById('pv-measure').textContent = JSON.stringify(out);
}
for (const b of document.querySelectorAll('button[data-flag]')) {
  b.addEventListener('click', () => {
    const k = b.dataset.flag; flags.has(k) ? flags.delete(k) : flags.add(k);
    history.replaceState(null, '', '#' + [...flags].join(','));
    update();
  });
}
// The window's load event comes after every frame's (srcdoc frames may load before this runs).
frames.forEach(f => f.addEventListener('load', () => apply(f)));
window.addEventListener('load', update);
window.addEventListener('resize', () => frames.forEach(apply));
"""


def page(
    doc: Document,
    all_faces: Sequence[Face],
    diagnostics: Sequence[Diagnostic],
    media: Mapping[str, bytes] | None = None,
) -> str:
    """The preview page: every card's front and back in frames that load the note types' CSS,
    a light/night switch and a 390 px phone view (also as `#night`, `#phone` in the address),
    and each card's lint warnings beside it."""
    by_line: dict[int, list[Diagnostic]] = {}
    for d in diagnostics:
        by_line.setdefault(d.loc.line, []).append(d)
    sections = [
        _section(i, f, by_line.get(f.card.loc.line, []), media) for i, f in enumerate(all_faces, 1)
    ]
    warned = sum(1 for f in all_faces if f.card.loc.line in by_line)
    title = html.escape(f"Preview: {doc.title}")
    css_json = json.dumps(css()).replace("</", "<\\/")
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_PAGE_CSS}</style></head>\n<body>\n"
        f"<header><h1>{title} — {len(all_faces)} cards, {warned} with lint warnings</h1>"
        "<button data-flag=night aria-pressed=false>Night</button>"
        "<button data-flag=phone aria-pressed=false>Phone (390 px)</button></header>\n"
        f"<main>\n{''.join(sections)}</main>\n<pre id=pv-measure hidden></pre>\n"
        f'<script type="application/json" id=pv-css>{css_json}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body></html>\n"
    )


def _section(
    n: int, face: Face, diags: Sequence[Diagnostic], media: Mapping[str, bytes] | None
) -> str:
    label = f"{n}. {face.kind}" + (f" · blank {face.ord + 1}" if face.model == "cloze" else "")
    frames = "".join(
        f"<figure><figcaption>{side}</figcaption><iframe data-face={side.lower()} title="
        f'"{side} of card {n}" srcdoc="{html.escape(_frame(body, face), quote=True)}">'
        "</iframe></figure>"
        for side, body in (("Front", face.question), ("Back", face.answer))
    )
    lint = ""
    if diags:
        items = "".join(f"<li>{html.escape(d.format())}</li>" for d in diags)
        lint = f"<ul class=pv-lint>{items}</ul>"
    where = html.escape(f"{face.key} · line {face.card.loc.line}")
    body = _embed(frames, media) if media else frames
    return (
        f"<section class=pv-card id=card-{n}><h2>{html.escape(label)} <small>{where}</small>"
        f"</h2><div class=pv-faces>{body}</div>{lint}</section>\n"
    )


def _frame(body: str, face: Face) -> str:
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<style>{_REVIEWER}</style></head>"
        f'<body class="card card{face.ord + 1}"><div id=qa>{body}</div></body></html>'
    )


def _embed(text: str, media: Mapping[str, bytes]) -> str:
    """Packed media names -> data URIs (the page needs no other file)."""
    for name, data in media.items():
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind = {"svg": "image/svg+xml", "jpg": "image/jpeg"}.get(ext, f"image/{ext or 'png'}")
        uri = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
        text = text.replace(html.escape(f'src="{name}"', quote=True), html.escape(f'src="{uri}"'))
    return text
