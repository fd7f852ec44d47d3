"""Issue 14, point 1: the order in which Anki shows a deck's new cards gives no answer away.

Measured in a real collection through the scheduler's own queue, with Anki's default deck options
but a new-card limit large enough for the whole deck: in the first 100 new cards, no card's fact
(its table row, trap or scenario: the cards that show its prompt and its answer together) was on
any of the 10 cards before it. Two decks: the Cognito source (2 subjects, 17 rows) and a
three-subject fixture of 12 rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.cards import STUDY_GAP, build_cards, study_order
from cardgen.pipeline import parse_source
from cardgen.writers.apkg import guid

from .conftest import COGNITO, FIXTURES, anki_collection, anki_import, build_into

pytest.importorskip("anki.collection")

THREE = FIXTURES / "order" / "aws-messaging.md"
FIRST = 100


def fact(key: str) -> str:
    """The fact a card key belongs to: its row for row cards, else the note itself."""
    kind = key.rsplit("/", 1)[-1]
    if kind in ("forward", "identify"):
        return key.rsplit("/", 2)[0]
    if kind == "compare":
        return key.rsplit("/", 1)[0]
    return key


def queue(source: Path, tmp_path: Path) -> list[tuple[str, int]]:
    """(card key, template ord) of every new card, in the order the scheduler shows them."""
    checked = parse_source(source)
    assert checked.doc is not None
    doc = checked.doc
    keys = {guid(c.key): c.key for c in build_cards(doc)}
    decks = tmp_path / "decks"
    build_into(source, decks)
    with anki_collection(tmp_path / "collection.anki2") as col:
        log = anki_import(col, decks / f"{doc.id}.apkg")
        assert len(log.new) == len(keys)
        did = col.decks.id_for_name(doc.deck)
        assert did is not None
        conf = col.decks.config_dict_for_deck_id(did)
        assert conf["newSortOrder"] == 0 and conf["new"]["bury"] is False  # Anki's defaults
        conf["new"]["perDay"] = 9999
        col.decks.update_config(conf)
        col.decks.select(did)
        queued = col.sched.get_queued_cards(fetch_limit=1000).cards
        out = []
        for qc in queued:
            card = col.get_card(qc.card.id)
            out.append((keys[card.note().guid], card.ord))
        assert len(out) == col.card_count()
    return out


def too_close(order: list[tuple[str, int]], first: int = FIRST) -> list[tuple[int, str]]:
    """Places among the first `first` whose fact was on one of the `STUDY_GAP` cards before."""
    facts = [fact(k) for k, _ in order]
    return [
        (i, facts[i])
        for i in range(min(first, len(facts)))
        if facts[i] in facts[max(0, i - STUDY_GAP) : i]
    ]


@pytest.mark.parametrize("source", [COGNITO, THREE], ids=["cognito", "three-subjects"])
def test_new_cards_of_one_fact_are_far_apart_in_the_real_queue(source: Path, tmp_path) -> None:
    order = queue(source, tmp_path)
    assert len({fact(k) for k, _ in order}) >= 10
    assert too_close(order) == []


def test_source_order_would_fail_the_measure(tmp_path: Path) -> None:
    """The measure can fail: cards in source order (what builds made before) break it at once."""
    checked = parse_source(COGNITO)
    assert checked.doc is not None
    cards = build_cards(checked.doc)
    source_order = [(c.key, 0) for c in cards]
    assert len(too_close(source_order)) > 50


def test_small_decks_spread_their_facts_as_far_as_they_can() -> None:
    checked = parse_source(COGNITO)
    assert checked.doc is not None
    cards = build_cards(checked.doc)[:15]  # three rows: 5 cards each
    order = study_order(cards, [1] * len(cards))
    rows = [fact(cards[i].key) for i in order]
    assert sorted(order) == list(range(15))
    assert all(rows[i] != rows[i - 1] and rows[i] != rows[i - 2] for i in range(2, 15))
