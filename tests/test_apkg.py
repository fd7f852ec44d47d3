"""writers/apkg: the package as bytes (read back with zipfile + sqlite3; Anki itself is exercised
in test_anki_roundtrip)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from cardgen.cards import build_cards
from cardgen.source import parse_file, parse_text
from cardgen.writers import apkg

from .conftest import COGNITO, T0, apkg_db


@pytest.fixture(scope="module")
def cognito():
    doc, diags = parse_file(COGNITO)
    assert doc is not None and not [d for d in diags if d.is_error]
    return doc, build_cards(doc)


def pack(doc, cards, mods=None, media=None, model_mod=T0, tombstones=()):
    contents = [apkg.note_content(c, doc) for c in cards]
    notes = [
        apkg.PackNote(content, content.key, (mods or {}).get(content.key, T0))
        for content in contents
    ]
    for key, model, n, mod in tombstones:
        notes.append(apkg.PackNote(apkg.tombstone_content(key, model, n, doc), key, mod))
    return apkg.package(doc, notes, media or {}, model_mod)


def test_identical_input_gives_identical_bytes(cognito) -> None:
    doc, cards = cognito
    assert pack(doc, cards) == pack(doc, cards)


def test_zip_entries_have_fixed_dates(cognito) -> None:
    doc, cards = cognito
    with zipfile.ZipFile(io.BytesIO(pack(doc, cards))) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["collection.anki2", "media"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert json.loads(zf.read("media")) == {}


def test_notes_carry_their_own_mod_times_and_stable_guids(cognito) -> None:
    doc, cards = cognito
    key = cards[0].key
    db = apkg_db(pack(doc, cards, mods={key: 1_800_000_123}))
    rows = dict(db.execute("select guid, mod from notes"))
    assert rows[apkg.guid(key)] == 1_800_000_123
    assert rows[apkg.guid(cards[1].key)] == T0
    assert set(rows) == {apkg.guid(c.key) for c in cards}
    assert apkg.guid(key) == __import__("genanki").guid_for("cardgen", key)
    ids = [r[0] for r in db.execute("select id from notes")]
    assert len(set(ids)) == len(ids)
    card_mods = dict(db.execute("select n.guid, c.mod from cards c join notes n on c.nid = n.id"))
    assert card_mods[apkg.guid(key)] == 1_800_000_123


def test_note_types_have_fixed_ids_and_field_ids(cognito) -> None:
    doc, cards = cognito
    db = apkg_db(pack(doc, cards))
    models = json.loads(db.execute("select models from col").fetchone()[0])
    assert set(models) == {str(apkg.QA_MODEL_ID), str(apkg.CLOZE_MODEL_ID)}
    qa = models[str(apkg.QA_MODEL_ID)]
    cloze = models[str(apkg.CLOZE_MODEL_ID)]
    assert [f["name"] for f in qa["flds"]] == list(apkg.QA_FIELDS)
    assert [f["name"] for f in cloze["flds"]] == list(apkg.CLOZE_FIELDS)
    assert all(isinstance(f["id"], int) for f in qa["flds"] + cloze["flds"])
    assert all(isinstance(t["id"], int) for t in qa["tmpls"] + cloze["tmpls"])
    assert cloze["type"] == 1 and qa["type"] == 0
    assert qa["mod"] == T0
    for model in (qa, cloze):
        css = model["css"]
        assert ".nightMode" in css and ".night_mode" in css
        assert "@media (max-width" in css
    decks = json.loads(db.execute("select decks from col").fetchone()[0])
    names = {d["name"]: int(i) for i, d in decks.items()}
    assert names[doc.deck] == apkg.deck_id(doc.id)


def test_fields_use_classes_not_inline_colours_and_show_the_source(cognito) -> None:
    doc, cards = cognito
    for card in cards:
        content = apkg.note_content(card, doc)
        joined = "".join(content.fields)
        assert "style=" not in joined and "color" not in joined
        source = content.fields[-1]
        assert "cg-title" in source and "Authentication vs Authorization" in source
        assert doc.source and "CertAI Tutor" in source


def test_tags_never_contain_spaces() -> None:
    doc, _ = parse_text(
        "---\ntags: [exam prep, 'two  words']\n---\n# T\n\n| F | Big Thing | Other |\n"
        "|---|---|---|\n| Cost | cheap per month | dear per year |\n",
        "t.md",
    )
    for card in build_cards(doc):
        tags = apkg.note_content(card, doc).tags
        assert tags and all(" " not in t and t for t in tags)
        assert "cardgen" in tags and card.kind in tags
    assert apkg.anki_tag(" a b\tc ") == "a-b-c"


def test_compare_answer_is_a_table_and_cloze_counts_deletions(cognito) -> None:
    doc, cards = cognito
    compare = next(c for c in cards if c.kind == "compare")
    content = apkg.note_content(compare, doc)
    assert content.model == "qa" and content.fields[2].startswith('<table class="cg-compare">')
    trap = next(c for c in cards if c.kind == "cloze")
    content = apkg.note_content(trap, doc)
    assert content.model == "cloze"
    assert content.cards == content.fields[0].count("{{c") >= 1
    assert "{{c" not in content.fields[2]  # Extra: the trap's sentences without a blank


def test_identify_card_asks_its_question_first_and_fills_the_names_in_on_the_back(cognito) -> None:
    doc, cards = cognito
    identify = [c for c in cards if c.kind == "identify"]
    core = apkg.note_content(identify[0], doc)
    context, prompt, answer, extra, _ = core.fields
    assert prompt.startswith(
        '<div class="cg-headline">Core Purpose: which of Cognito User Pools or Identity Pools?'
    )
    assert '<div class="cg-clue">' in prompt and answer == "Cognito User Pools"
    masked = next(c for c in identify if "▢▢▢" in c.prompt)
    context, prompt, answer, extra, _ = apkg.note_content(masked, doc).fields
    assert '<span class="cg-mask" title="a name">▢▢▢</span>' in prompt
    assert "[…]" not in prompt and "[...]" not in prompt
    assert answer.startswith(masked.subject + '<div class="cg-filled">')
    assert '<b class="cg-fill">' in answer and "▢" not in answer


def test_scenario_cards_say_what_to_answer(cognito) -> None:
    doc, cards = cognito
    scenario = next(c for c in cards if c.kind == "scenario")
    context = apkg.note_content(scenario, doc).fields[0]
    assert context == "Scenario · Which of Cognito User Pools, Identity Pools or both?"


def test_media_are_packed_under_content_hashed_names(cognito) -> None:
    doc, cards = cognito
    names = apkg.media_names({"img/a.png": b"one", "b.JPG": b"two"})
    assert names["img/a.png"].startswith("cardgen-") and names["img/a.png"].endswith(".png")
    assert names["b.JPG"].endswith(".jpg")
    assert apkg.media_names({"x.png": b"other"})["x.png"] != names["img/a.png"]
    data = pack(doc, cards, media={names["img/a.png"]: b"one"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert json.loads(zf.read("media")) == {"0": names["img/a.png"]}
        assert zf.read("0") == b"one"


def test_tombstones_are_tagged_and_keep_their_card_count(cognito) -> None:
    doc, cards = cognito
    data = pack(
        doc, cards[:3], tombstones=[("gone/qa", "qa", 1, 1_800_000_000), ("gone/c", "cloze", 3, 5)]
    )
    db = apkg_db(data)
    rows = {g: (t, f) for g, t, f in db.execute("select guid, tags, flds from notes")}
    tags, fields = rows[apkg.guid("gone/c")]
    assert apkg.REMOVED_TAG in tags.split()
    assert all(f"{{{{c{i}::" in fields for i in (1, 2, 3))
    n_cards = db.execute(
        "select count() from cards c join notes n on c.nid = n.id where n.guid = ?",
        (apkg.guid("gone/c"),),
    ).fetchone()[0]
    assert n_cards == 3
    assert apkg.REMOVED_TAG in rows[apkg.guid("gone/qa")][0].split()


def test_models_hash_follows_css(monkeypatch) -> None:
    before = apkg.models_hash()
    assert before == apkg.models_hash()
    original = apkg.css()
    monkeypatch.setattr(apkg.pack, "css", lambda: original + "\n/* changed */\n")
    assert apkg.models_hash() != before


def test_cloze_text_is_the_title_and_the_sentences_with_a_blank(cognito) -> None:
    doc, cards = cognito
    traps = {c.extra: apkg.note_content(c, doc).fields for c in cards if c.kind == "cloze"}
    text, context, extra, _ = traps["The #1 exam trap"]
    # the blank's sentence says "that token": the sentence before it comes along
    assert text.startswith(
        '<div class="cg-trap-title">The #1 exam trap</div>A User Pool JWT token cannot directly'
    )
    assert "You MUST exchange that token" in text
    assert "Candidates see" not in text and extra.startswith("Candidates see")
    assert context == "Exam trap"
    plain = [re.sub(r"<[^>]+>|\{\{c\d+::|\}\}", "", f[0]) for f in traps.values()]
    assert max(len(p) for p in plain) < 400  # the longest was 562 characters before issue 14
    all_extras = [apkg.note_content(c, doc).fields[2] for c in cards if c.kind == "cloze"]
    assert sum(map(bool, all_extras)) == 5  # Extra was empty on all 7
