"""End to end with the real `anki` package: build, import into a fresh collection, study, edit the
source, rebuild, re-import, and check what Anki did (issue 4's "Must show" list).

One module-scoped base: the Cognito source copied to a temp folder, built, imported into a
collection in which three cards were answered through the scheduler. Each test works on its own
copy of that folder (source, decks, lock and collection).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import zipfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cardgen.build import BuildResult
from cardgen.writers.apkg import guid

from .conftest import (
    COGNITO,
    ROOT,
    T0,
    anki_collection,
    anki_import,
    build_into,
    fixture_text,
    write_source,
)

pytest.importorskip("anki.collection")
if TYPE_CHECKING:
    from anki.collection import Collection

T1 = T0 + 3_600  # clock of every rebuild
DECK = "cognito-user-pools-vs-identity-pools"
MFA = "mfa-support"  # the row the tests edit, rename and remove
STUDIED = [  # (key suffix) cards answered before any edit
    f"{MFA}/cognito-user-pools/forward",
    f"{MFA}/compare",
    "core-purpose/identity-pools/forward",
]


@dataclass
class Workspace:
    root: Path
    source: Path
    decks: Path
    collection: Path

    @property
    def apkg(self) -> Path:
        return self.decks / f"{DECK}.apkg"

    def build(self, clock: int = T1, **options: object) -> BuildResult:
        return build_into(self.source.parent, self.decks, clock=clock, **options)

    def open(self) -> AbstractContextManager[Collection]:
        return anki_collection(self.collection)


def guids(col: Collection, entries) -> set[str]:
    return {col.get_note(e.id.nid).guid for e in entries}


def row_guids(row: str) -> set[str]:
    """GUIDs of every note a row of the base build makes (from the keys, not the collection)."""
    keys = [
        f"{DECK}/{row}/cognito-user-pools/forward",
        f"{DECK}/{row}/cognito-user-pools/identify",
        f"{DECK}/{row}/identity-pools/forward",
        f"{DECK}/{row}/identity-pools/identify",
        f"{DECK}/{row}/compare",
    ]
    return {guid(k) for k in keys}


def card_of(col: Collection, key: str):
    nids = col.find_notes("")
    for nid in nids:
        note = col.get_note(nid)
        if note.guid == guid(key):
            return note.cards()[0]
    raise AssertionError(f"no note for {key}")


def history(col: Collection, card_id: int) -> tuple:
    card = col.get_card(card_id)
    revlog = col.db.scalar("select count() from revlog where cid = ?", card_id)
    return (card.type, card.queue, card.ivl, card.due, card.reps, revlog)


def edit_row(source: Path, attribute: str, edit) -> None:
    """Apply `edit(cells) -> cells | None` to the table row whose attribute cell is `attribute`."""
    lines = source.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        cells = line.split("|")
        if len(cells) > 3 and cells[1].strip() == attribute:
            new = edit(cells)
            if new is None:
                del lines[i]
            else:
                lines[i] = "|".join(new)
            source.write_text("\n".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"row {attribute!r} not found")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("anki-base")
    (root / "sources").mkdir()
    source = root / "sources" / COGNITO.name
    shutil.copy(COGNITO, source)
    ws = Workspace(root, source, root / "decks", root / "collection.anki2")
    ws.build(clock=T0)
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == col.note_count()
        for suffix in STUDIED:
            card = card_of(col, f"{DECK}/{suffix}")
            card.start_timer()
            col.sched.answerCard(card, 4)  # "Easy": the card becomes a review card
    return ws


@pytest.fixture
def ws(base: Workspace, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(base.root, root)
    return Workspace(
        root, root / "sources" / COGNITO.name, root / "decks", root / "collection.anki2"
    )


def readme_counts() -> tuple[int, int]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"The Cognito deck\b.{0,120}?(\d+)\s+notes\b.{0,40}?(\d+)\s+cards", text, re.S)
    assert m, "README states the Cognito deck's note and card counts"
    return int(m.group(1)), int(m.group(2))


def test_fresh_import_matches_readme_and_renders(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    result = build_into(COGNITO, decks, clock=None, check=True)
    assert not result.errors
    apkg_bytes = result.outputs[decks / f"{DECK}.apkg"]
    (tmp_path / "deck.apkg").write_bytes(apkg_bytes)
    with anki_collection(tmp_path / "fresh.anki2") as col:
        log = anki_import(col, tmp_path / "deck.apkg")
        notes, cards = readme_counts()
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (notes, 0, 0)
        assert (col.note_count(), col.card_count()) == (notes, cards)
        message, ok = col.fix_integrity()
        assert ok, message
        assert col.fix_integrity()[0] == message  # a second check finds nothing new
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            q, a = card.question(), card.answer()
            body_q = q.split("</style>")[-1]
            body_a = a.split("</style>")[-1]
            assert re.sub(r"<[^>]+>", "", body_q).strip(), f"empty question on card {cid}"
            assert re.sub(r"<[^>]+>", "", body_a).strip(), f"empty answer on card {cid}"
            assert "{{" not in body_q and "{{" not in body_a
        names = col.decks.all_names_and_ids()
        assert any(d.name == "AWS::DVA-C02::Cognito User Pools vs Identity Pools" for d in names)
        tags = col.tags.all()
        assert all(" " not in t for t in tags)
        assert {
            "cardgen",
            f"cardgen::deck::{DECK}",
            "forward",
            "identify",
            "compare",
            "cloze",
            "scenario",
        } <= {t.lower() for t in tags}


def test_rebuild_without_edits_is_identical_and_reimports_nothing(ws: Workspace) -> None:
    before = ws.apkg.read_bytes()
    lock_before = (ws.decks / "cardgen.lock").read_bytes()
    result = ws.build(clock=T1)  # another clock: unchanged notes keep their mod times
    assert ws.apkg.read_bytes() == before
    assert (ws.decks / "cardgen.lock").read_bytes() == lock_before
    assert result.written == []
    report = result.decks[0]
    assert (report.new, report.changed, report.removed) == (0, 0, 0)
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
        assert len(log.duplicate) == col.note_count()


def test_edit_one_value_updates_exactly_that_fact(ws: Workspace) -> None:
    with ws.open() as col:
        studied = card_of(col, f"{DECK}/{MFA}/cognito-user-pools/forward")
        before = history(col, studied.id)
        total = col.note_count()
    assert before[-1] >= 1 and before[2] > 0  # answered: a revlog entry and an interval

    def edit(cells):
        cells[2] = " YES — TOTP authenticator apps and SMS; optional or required per pool "
        return cells

    edit_row(ws.source, "MFA Support", edit)
    result = ws.build()
    report = result.decks[0]
    assert (report.new, report.removed) == (0, 0)
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == 0 and len(log.conflicting) == 0
        updated = guids(col, log.updated)
        fact = {guid(f"{DECK}/{MFA}/compare"), guid(f"{DECK}/{MFA}/cognito-user-pools/forward")}
        assert fact <= updated <= row_guids(MFA)
        assert len(updated) == report.changed
        assert col.note_count() == total
        assert history(col, studied.id) == before
        note = col.get_card(studied.id).note()
        assert "TOTP authenticator apps" in note["Answer"]


def test_rename_attribute_keeps_notes_and_history(ws: Workspace) -> None:
    with ws.open() as col:
        studied = [card_of(col, f"{DECK}/{s}") for s in STUDIED[:2]]
        before = [history(col, c.id) for c in studied]
        total = col.note_count()

    def rename(cells):
        cells[1] = " Multi-factor Authentication "
        return cells

    edit_row(ws.source, "MFA Support", rename)
    result = ws.build()
    report = result.decks[0]
    assert report.new == 0 and report.removed == 0
    assert (f"{DECK}/{MFA}/compare", f"{DECK}/multi-factor-authentication/compare") in (
        report.renamed
    )
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == 0 and len(log.conflicting) == 0
        assert guids(col, log.updated) == {g for g in row_guids(MFA) if g in _existing(col)}
        assert col.note_count() == total
        assert [history(col, c.id) for c in studied] == before
        note = col.get_card(studied[0].id).note()
        assert "Multi-factor Authentication" in note["Prompt"]


def _existing(col: Collection) -> set[str]:
    return {col.get_note(n).guid for n in col.find_notes("")}


def test_rename_subject_keeps_notes_and_history(ws: Workspace) -> None:
    with ws.open() as col:
        studied = card_of(col, f"{DECK}/core-purpose/identity-pools/forward")
        before = history(col, studied.id)
        total = col.note_count()
    text = ws.source.read_text(encoding="utf-8")
    header = "| Identity Pools — Temporary AWS credentials for any identity |"
    assert header in text
    ws.source.write_text(
        text.replace(
            header, "| Cognito Identity Pools — Temporary AWS credentials for any identity |"
        ),
        encoding="utf-8",
    )
    report = ws.build().decks[0]
    assert report.new == 0 and report.removed == 0 and report.renamed
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == 0 and len(log.conflicting) == 0
        assert col.note_count() == total
        assert history(col, studied.id) == before
        assert "Cognito Identity Pools" in col.get_card(studied.id).note()["Prompt"]


def test_reword_untitled_trap_keeps_its_note_and_history(ws: Workspace) -> None:
    # An untitled trap's key is made of its first 8 words: rewording one of them changes the
    # key and the text, and the build must still see the same trap.
    old_key = f"{DECK}/trap/lambda-triggers-are-only-on-user-pools-not"
    with ws.open() as col:
        card = card_of(col, old_key)
        card.start_timer()
        col.sched.answerCard(card, 3)
        before = history(col, card.id)
        total = col.note_count()
    text = ws.source.read_text(encoding="utf-8")
    assert "- LAMBDA TRIGGERS are ONLY on **User Pools**" in text
    ws.source.write_text(
        text.replace("- LAMBDA TRIGGERS are ONLY on", "- LAMBDA TRIGGERS exist ONLY on"),
        encoding="utf-8",
    )
    report = ws.build().decks[0]
    assert (report.new, report.removed, report.changed) == (0, 0, 1)
    assert report.renamed == [
        (old_key, f"{DECK}/trap/lambda-triggers-exist-only-on-user-pools-not")
    ]
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == 0 and guids(col, log.updated) == {guid(old_key)}
        assert col.note_count() == total
        assert history(col, card.id) == before
        assert "exist ONLY on" in col.get_card(card.id).note()["Text"]


def test_remove_row_then_readme_step_removes_exactly_that_row(ws: Workspace) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    search = "tag:cardgen::removed"
    assert search in readme  # the README's one step
    with ws.open() as col:
        total = col.note_count()
        present = _existing(col)
    edit_row(ws.source, "MFA Support", lambda cells: None)
    report = ws.build().decks[0]
    expected = row_guids(MFA) & present
    assert report.removed == len(expected) and report.new == 0
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.new) == 0
        assert guids(col, log.updated) == expected  # tombstones: tagged, newer mod time
        found = col.find_notes(search)
        assert {col.get_note(n).guid for n in found} == expected
        col.remove_notes(found)  # "select all, Notes > Delete"
        assert col.note_count() == total - len(expected)
        assert not (_existing(col) & expected)
        assert col.fix_integrity()[1]
        # Importing the same package again can only bring back card-less markers: nothing to
        # study, found and removed by the same step; --forget-removed stops shipping them.
        cards = col.card_count()
        log = anki_import(col, ws.apkg)
        assert len(log.updated) == 0 and guids(col, log.new) <= expected
        assert col.card_count() == cards
        col.remove_notes(col.find_notes(search))
        assert col.note_count() == total - len(expected)
    result = ws.build(clock=T1 + 60, forget_removed=True)
    assert result.decks[0].forgotten == len(expected)
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert (len(log.new), len(log.updated)) == (0, 0)


def test_changed_styling_updates_the_note_type(ws: Workspace, monkeypatch) -> None:
    from cardgen.writers import apkg

    original = apkg.css()
    monkeypatch.setattr(
        apkg.pack, "css", lambda: original + "\n.cg-test-marker { color: inherit; }\n"
    )
    result = ws.build()
    assert result.decks[0].changed == 0  # styling is the note type's, not the notes'
    with ws.open() as col:
        log = anki_import(col, ws.apkg)
        assert len(log.conflicting) == 0 and len(log.new) == 0
        model = col.models.by_name("cardgen Q/A")
        assert ".cg-test-marker" in model["css"]
        assert ".cg-test-marker" in col.models.by_name("cardgen Cloze")["css"]


def test_hostile_values_render_as_text(tmp_path: Path) -> None:
    src = tmp_path / "sources"
    write_source(src, "hostile.md", fixture_text("anki/hostile-values.md"))
    decks = tmp_path / "decks"
    build_into(src, decks)
    with anki_collection(tmp_path / "hostile.anki2") as col:
        anki_import(col, decks / "hostile.apkg")
        assert col.fix_integrity()[1]
        shown = []
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            for side in (card.question(), card.answer()):
                body = side.split("</style>")[-1]
                assert "<script" not in body and "<b>" not in body
                assert "{{" not in body
                shown.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
        text = "\n".join(shown)
        assert "<script>alert(1)</script> runs in Alpha" in text
        assert "Beta escapes & encodes output" in text
        assert "{{c1::Alpha}} and {{Front}} in a value" in text
        assert "[sound:x.mp3] and a::b" in text
        assert "{{c2::fake}} & <b>bold</b>" in text
        # The trap has one bold span: one cloze card, however many fake clozes it shows.
        clozes = col.find_cards("tag:cloze")
        assert len(clozes) == 1


def test_images_are_imported_as_media_under_content_names(tmp_path: Path) -> None:
    src = tmp_path / "sources"
    (src / "img").mkdir(parents=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
    (src / "img" / "flow.png").write_bytes(png)
    (src / "pics.md").write_text(
        "---\nid: pics\nsource: a test\n---\n\n# Pictures\n\n| Feature | Alpha | Beta |\n"
        "|---|---|---|\n| Flow | ![flow](img/flow.png) then a long answer | plain words here |\n",
        encoding="utf-8",
    )
    decks = tmp_path / "decks"
    build_into(src, decks)
    with anki_collection(tmp_path / "pics.anki2") as col:
        anki_import(col, decks / "pics.apkg")
        names = set(
            re.findall(
                r'src="(cardgen-[0-9a-f]+\.png)"',
                "".join(col.get_note(n).joined_fields() for n in col.find_notes("")),
            )
        )
        assert len(names) == 1
        name = names.pop()
        assert col.media.have(name)
        assert (Path(col.media.dir()) / name).read_bytes() == png
    (src / "img" / "flow.png").write_bytes(png + b"changed")
    build_into(src, decks, clock=T1)
    with zipfile.ZipFile(decks / "pics.apkg") as zf:
        (new_name,) = json.loads(zf.read("media")).values()
    assert new_name != name and new_name.endswith(".png")


TWINS = """---
id: twins
source: test
---

# Twins

| Feature | Alpha | Beta |
|---|---|---|
| Storage | Buckets of objects | Volumes of blocks |

## Exam traps

{traps}
"""


def test_traps_with_the_same_opening_keep_their_own_history(tmp_path: Path) -> None:
    # Untitled traps whose first 8 words are the same: reordering or removing one must never
    # hand a note (and its review history) to the other.
    head = "- Alpha and Beta both share the same opening words here"
    first, second = f"{head}: the **first fact** holds.", f"{head}: the **second fact** holds."
    src = tmp_path / "sources"
    src.mkdir()
    source = src / "twins.md"
    decks = tmp_path / "decks"

    def build_with(traps: list[str], clock: int) -> None:
        source.write_text(TWINS.format(traps="\n".join(traps)), encoding="utf-8")
        build_into(src, decks, clock=clock)

    def fact_of(col: Collection, card_id: int) -> str:
        text = col.get_card(card_id).note()["Text"]
        return "first" if "first" in text else "second"

    build_with([first, second], T0)
    with anki_collection(tmp_path / "c.anki2") as col:
        anki_import(col, decks / "twins.apkg")
        studied = {}
        for cid in col.find_cards("tag:cloze"):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 4 if fact_of(col, cid) == "first" else 2)
            studied[cid] = (fact_of(col, cid), history(col, cid))
        assert sorted(f for f, _ in studied.values()) == ["first", "second"]
    build_with([second, first], T1)  # reordered
    with anki_collection(tmp_path / "c.anki2") as col:
        log = anki_import(col, decks / "twins.apkg")
        assert len(log.new) == 0
        assert {cid: (fact_of(col, cid), history(col, cid)) for cid in studied} == studied
    build_with([second], T1 + 60)  # the first removed
    with anki_collection(tmp_path / "c.anki2") as col:
        anki_import(col, decks / "twins.apkg")
        removed = {col.get_note(n).guid for n in col.find_notes("tag:cardgen::removed")}
        for cid, (fact, hist) in studied.items():
            note = col.get_card(cid).note()
            if fact == "second":
                assert "second fact" in note["Text"] and history(col, cid) == hist
                assert note.guid not in removed
            else:
                assert note.guid in removed  # the marker: its own note, nobody else's
