"""Notes -> `.apkg` bytes: the note types, the SQLite collection, the zip. The only module
that imports genanki.

Two note types with hard-coded ids and stable field and template `id`s (Anki matches note types
by id and their schema by those ids; changing either would stop updates, so they never change):

- "cardgen Q/A" (forward, identify, compare, scenario): Context, Prompt, Answer, Extra, Source;
- "cardgen Cloze" (traps): Text, Context, Extra, Source.

Styling is the note types' CSS (`anki.css`); fields carry classes only. Every note's GUID is
`genanki.guid_for("cardgen", identity)` where the identity is the card key (or, after a rename,
the key the lock says it continues). Each note carries its own mod time from the lock; note and
card ids, zip entry dates and media names are derived from the input, so identical input gives
identical bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

from cardgen import render
from cardgen.model import Document, NoteModel
from cardgen.writers.apkg.notes import NoteContent

QA_MODEL_ID = 1_597_326_411
CLOZE_MODEL_ID = 1_597_326_412
QA_FIELDS = ("Context", "Prompt", "Answer", "Extra", "Source")
CLOZE_FIELDS = ("Text", "Context", "Extra", "Source")
_FIELD_IDS = {
    ("qa", "Context"): 7_215_390_118_420_146_101,
    ("qa", "Prompt"): 7_215_390_118_420_146_102,
    ("qa", "Answer"): 7_215_390_118_420_146_103,
    ("qa", "Extra"): 7_215_390_118_420_146_104,
    ("qa", "Source"): 7_215_390_118_420_146_105,
    ("cloze", "Text"): 7_215_390_118_420_146_201,
    ("cloze", "Context"): 7_215_390_118_420_146_202,
    ("cloze", "Extra"): 7_215_390_118_420_146_203,
    ("cloze", "Source"): 7_215_390_118_420_146_204,
}
_QA_TEMPLATE_ID = 7_215_390_118_420_146_301
_CLOZE_TEMPLATE_ID = 7_215_390_118_420_146_302
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Fronts show a small label (Context) and the question; backs begin with `{{FrontSide}}` and
# `<hr id=answer>` (Anki's convention: the Browser's Answer column then strips the question, and
# the reviewer scrolls to the answer), then the answer, the labelled exam tip and, last, where
# the card comes from. The source is on no front: it would open every card and fill the
# Browser's Question column.
_CONTEXT = '{{#Context}}<div class="cg-context">{{Context}}</div>{{/Context}}\n'
_SOURCE = '<div class="cg-source">{{Source}}</div>\n'
_QA_FRONT = (
    '<div class="cg cg-front">\n' + _CONTEXT + '<div class="cg-prompt">{{Prompt}}</div>\n</div>'
)
_QA_BACK = (
    "{{FrontSide}}\n\n<hr id=answer>\n\n"
    '<div class="cg cg-back">\n'
    '<div class="cg-answer">{{Answer}}</div>\n'
    '{{#Extra}}<div class="cg-extra"><div class="cg-label">Exam tip</div>'
    "{{Extra}}</div>{{/Extra}}\n" + _SOURCE + "</div>"
)
_CLOZE_FRONT = (
    '<div class="cg cg-front">\n' + _CONTEXT + '<div class="cg-cloze">{{cloze:Text}}</div>\n</div>'
)
_CLOZE_BACK = (
    '<div class="cg cg-back">\n' + _CONTEXT + '<div class="cg-cloze">{{cloze:Text}}</div>\n'
    '{{#Extra}}<div class="cg-extra cg-more">{{Extra}}</div>{{/Extra}}\n' + _SOURCE + "</div>"
)


def css() -> str:
    return Path(__file__).with_name("anki.css").read_text(encoding="utf-8")


def _model(kind: NoteModel, css_text: str) -> genanki.Model:
    if kind == "cloze":
        return genanki.Model(
            CLOZE_MODEL_ID,
            "cardgen Cloze",
            fields=[{"name": n, "id": _FIELD_IDS[("cloze", n)]} for n in CLOZE_FIELDS],
            templates=[
                {
                    "name": "Cloze",
                    "qfmt": _CLOZE_FRONT,
                    "afmt": _CLOZE_BACK,
                    "id": _CLOZE_TEMPLATE_ID,
                }
            ],
            css=css_text,
            model_type=genanki.Model.CLOZE,
            sort_field_index=0,
        )
    return genanki.Model(
        QA_MODEL_ID,
        "cardgen Q/A",
        fields=[{"name": n, "id": _FIELD_IDS[("qa", n)]} for n in QA_FIELDS],
        templates=[{"name": "Card", "qfmt": _QA_FRONT, "afmt": _QA_BACK, "id": _QA_TEMPLATE_ID}],
        css=css_text,
        sort_field_index=1,
    )


def models_hash() -> str:
    """Hash of both note types as written (templates, fields, CSS): the lock bumps their mod time
    when it changes so that Anki takes new styling on import."""
    data = {kind: _model(kind, css()).to_json(0, 0) for kind in ("qa", "cloze")}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# The package


@dataclass(frozen=True)
class PackNote:
    content: NoteContent
    identity: str  # the key the GUID is built from
    mod: int
    cardless: bool = False  # tombstones: update a note Anki has, never add cards to one it lacks


def guid(identity: str) -> str:
    return str(genanki.guid_for("cardgen", identity))


def deck_id(doc_id: str) -> int:
    """Fixed per deck: derived from the deck's stable id."""
    h = int(hashlib.sha256(f"cardgen-deck:{doc_id}".encode()).hexdigest()[:12], 16)
    return (1 << 30) + h % (1 << 30)


class _Note(genanki.Note):
    """A genanki note with its own mod time and ids (genanki gives every note one timestamp)."""

    note_id: int = 0
    card_ids: tuple[int, ...] = ()
    mod: int = 0
    cardless: bool = False

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        cursor.execute(
            "INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);",
            (
                self.note_id,
                self.guid,
                self.model.model_id,
                self.mod,
                -1,
                self._format_tags(),
                self._format_fields(),
                self.sort_field,
                0,
                0,
                "",
            ),
        )
        if self.cardless:
            return
        for card, card_id in zip(self.cards, self.card_ids):
            card.write_to_db(cursor, self.mod, deck_id, self.note_id, iter([card_id]), self.due)


def package(
    doc: Document,
    notes: Sequence[PackNote],
    media: Mapping[str, bytes],
    model_mod: int,
    scratch: Path | None = None,
) -> bytes:
    """The `.apkg` bytes for one deck. `media`: packed file name -> bytes. `scratch`: the folder
    for the SQLite file while it is built (default: the system's temp folder); it is named like
    cardgen's temp files (`.<name>.<random>.cardgen-tmp`), which a build removes if a kill left
    one behind."""
    css_text = css()
    models = {"qa": _model("qa", css_text), "cloze": _model("cloze", css_text)}
    description = render.block(doc.description) if doc.description else ""
    deck = genanki.Deck(deck_id(doc.id), doc.deck, description=description)
    # Ids: increasing in (mod time, deck order), from the mod time in ms; unique in the package.
    order = sorted(range(len(notes)), key=lambda i: (notes[i].mod, i))
    note_ids: dict[int, int] = {}
    card_ids: dict[int, tuple[int, ...]] = {}
    last_note = last_card = 0
    for i in order:
        base = notes[i].mod * 1000
        last_note = max(base, last_note + 1)
        note_ids[i] = last_note
        ids = []
        n_cards = notes[i].content.cards if notes[i].content.model == "cloze" else 1
        for _ in range(0 if notes[i].cardless else n_cards):
            last_card = max(base, last_card + 1)
            ids.append(last_card)
        card_ids[i] = tuple(ids)
    for i, pn in enumerate(notes):
        c = pn.content
        note = _Note(
            model=models[c.model],
            fields=list(c.fields),
            tags=list(c.tags),
            guid=guid(pn.identity),
            due=i,
        )
        note.note_id = note_ids[i]
        note.mod = pn.mod
        note.cardless = pn.cardless
        generated = note.cards
        ids = list(card_ids[i])
        while len(ids) < len(generated):
            ids.append(ids[-1] + 1 if ids else note_ids[i])
        note.card_ids = tuple(ids[: len(generated)])
        deck.add_note(note)
    for m in models.values():
        deck.add_model(m)
    pkg = genanki.Package(deck)
    db = _sqlite_bytes(pkg, model_mod, scratch, doc.id)
    return _zip(db, media)


def _sqlite_bytes(
    pkg: genanki.Package, timestamp: int, scratch: Path | None = None, name_hint: str = "deck"
) -> bytes:
    fd, name = tempfile.mkstemp(prefix=f".{name_hint}.anki2.", suffix=".cardgen-tmp", dir=scratch)
    os.close(fd)
    try:
        conn = sqlite3.connect(name)
        try:
            # A scratch file read back at once: no sync to disk, no journal file (the bytes
            # are the same; the syncs cost up to a tenth of a second each on a busy disk).
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA journal_mode=MEMORY")
            cursor = conn.cursor()
            pkg.write_to_db(cursor, timestamp, iter(()))
            conn.commit()
        finally:
            conn.close()
        return Path(name).read_bytes()
    finally:
        Path(name).unlink(missing_ok=True)


def _zip(db: bytes, media: Mapping[str, bytes]) -> bytes:
    names = sorted(media)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        entries: list[tuple[str, bytes]] = [("collection.anki2", db)]
        index = {str(i): name for i, name in enumerate(names)}
        entries.append(("media", json.dumps(index, sort_keys=True).encode("utf-8")))
        entries.extend((str(i), media[name]) for i, name in enumerate(names))
        for arcname, data in entries:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def templates(kind: NoteModel) -> tuple[str, str]:
    """A note type's front and back templates (the preview fills them in as Anki does)."""
    return (_CLOZE_FRONT, _CLOZE_BACK) if kind == "cloze" else (_QA_FRONT, _QA_BACK)
