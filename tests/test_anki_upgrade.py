"""Issue 14, point 7: a deck built before the new card layout is in people's collections, with
review history. Importing today's package over it, in the real `anki` package, updates every
note in place: no new note, no second note type, history untouched.

The old deck is the Cognito `.apkg` committed before issue 14 (frozen as a fixture); the new one
is built from `sources/` with the committed lock, as `cardgen build` makes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import COGNITO, FIXTURES, ROOT, anki_collection, anki_import, build_into

pytest.importorskip("anki.collection")

OLD = FIXTURES / "anki" / "cognito-before-issue-14.apkg"
DECK = "cognito-user-pools-vs-identity-pools"


def _history(col) -> tuple[dict[int, tuple[int, ...]], list[tuple[object, ...]]]:
    """Every card's scheduling state, and every review log row."""
    cards = {
        cid: tuple(
            col.db.first(
                "select type, queue, ivl, due, factor, reps, lapses, did from cards where id = ?",
                cid,
            )
        )
        for cid in col.find_cards("")
    }
    revlog = col.db.all("select id, cid, ease, ivl, lastIvl, factor, type from revlog order by id")
    return cards, revlog


def _study(col, n: int) -> None:
    """Answer `n` new cards of the deck through the scheduler, as a learner would: Good, then
    Easy."""
    col.decks.select(col.decks.id_for_name("AWS::DVA-C02::Cognito User Pools vs Identity Pools"))
    for i in range(n):
        card = col.sched.getCard()
        assert card is not None
        card.start_timer()
        col.sched.answerCard(card, 3 if i % 2 else 4)


def _new_package(tmp_path: Path) -> Path:
    (tmp_path / "sources").mkdir()
    shutil.copy(COGNITO, tmp_path / "sources" / COGNITO.name)
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(ROOT / "decks" / "cardgen.lock", decks / "cardgen.lock")
    build_into(tmp_path / "sources", decks, clock=None)
    return decks / f"{DECK}.apkg"


def test_new_layout_updates_an_old_deck_in_place_and_keeps_history(tmp_path: Path) -> None:
    new = _new_package(tmp_path)
    assert new.read_bytes() != OLD.read_bytes()
    with anki_collection(tmp_path / "collection.anki2") as col:
        first = anki_import(col, OLD)
        notes, cards = col.note_count(), col.card_count()
        assert len(first.new) == notes
        _study(col, 12)
        # Anki's own bookkeeping of reviews answered within one second can leave a card's last
        # review time unset (Check Database then "adds" it): settle that first, so that the
        # check after the import is about the import alone.
        col.fix_integrity()
        before = _history(col)
        assert len(before[1]) == 12
        models_before = sorted(m.name for m in col.models.all_names_and_ids())
        old_fields = {n: col.get_note(n).fields for n in col.find_notes("")}

        log = anki_import(col, new)
        assert (len(log.new), len(log.conflicting), len(log.duplicate)) == (0, 0, 0)
        assert len(log.updated) == notes
        assert (col.note_count(), col.card_count()) == (notes, cards)
        assert _history(col) == before
        assert sorted(m.name for m in col.models.all_names_and_ids()) == models_before
        assert not [m.name for m in col.models.all_names_and_ids() if "-" in m.name]
        col.models._clear_cache()  # pylib caches note types it read while cards were studied
        qa = col.models.by_name("cardgen Q/A")
        assert qa is not None
        assert qa["tmpls"][0]["afmt"].startswith("{{FrontSide}}")
        assert "Exam tip" in qa["tmpls"][0]["afmt"]
        changed = sum(col.get_note(n).fields != f for n, f in old_fields.items())
        assert changed == notes  # the source line's " · " alone changes every note
        message, ok = col.fix_integrity()
        assert ok, message
