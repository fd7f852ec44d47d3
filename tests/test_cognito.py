"""The Cognito source against the seed page it was converted from, field by field, word for word.

The seed page is read from the committed copy `tests/fixtures/seed/` (CI clones the repository
alone, without `../shared`); when the shared original is present too, the copy must equal it.
The seed is split here with a few plain rules of its own (it is the page as pasted: a pipe table
whose first cells run the attribute and the tip together, one line per paragraph), independent of
the parser and of the importer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from cardgen.cards import build_cards
from cardgen.model import Document
from cardgen.source import parse_file

from .conftest import COGNITO, SEED, SHARED_SEED


@dataclass
class SeedPage:
    title: str
    description: str
    header: list[str]  # "Name tagline" per subject, as pasted
    rows: list[tuple[str, list[str]]]  # ("Attribute tip", values)
    summary: str
    decision_tree: str
    traps: list[str]
    attribution: str
    residue: list[str]


def read_seed() -> SeedPage:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    content = [line for line in lines if line.strip()]
    header_at = next(i for i, line in enumerate(content) if line.startswith("| Feature |"))
    assert content[header_at + 1] == "|---|---|---|"
    header = [c.strip() for c in content[header_at].strip().strip("|").split(" | ")][1:]
    summary_at = content.index("Summary")
    rows = []
    for line in content[header_at + 2 : summary_at]:
        cells = [c.strip() for c in line.rstrip().removesuffix("|").split(" | ")]
        rows.append((cells[0], cells[1:]))
    tree_at = next(i for i, line in enumerate(content) if line.endswith("Decision Tree"))
    attribution_at = next(i for i, line in enumerate(content) if re.match(r"^\S.* · .* · ", line))
    return SeedPage(
        title=content[header_at - 2],
        description=content[header_at - 1],
        header=header,
        rows=rows,
        summary=content[summary_at + 1],
        decision_tree=content[tree_at + 1],
        traps=content[tree_at + 2 : attribution_at],
        attribution=content[attribution_at],
        residue=[content[0], *content[attribution_at + 1 :]],
    )


def plain(markdown: str) -> str:
    """Inline Markdown as the page shows it: bold markers gone."""
    return markdown.replace("**", "")


@pytest.fixture(scope="module")
def seed() -> SeedPage:
    return read_seed()


@pytest.fixture(scope="module")
def doc() -> Document:
    doc, diags = parse_file(COGNITO, COGNITO.name)
    assert doc is not None
    assert [d for d in diags if d.is_error or d.code.startswith("P")] == []
    return doc


def test_committed_seed_copy_equals_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seed is not here (a fresh clone): the committed copy is used")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_seed_is_read_as_expected(seed: SeedPage) -> None:
    """Guards the reader above: the page's own shape."""
    assert len(seed.header) == 2 and len(seed.rows) == 17 and len(seed.traps) == 7
    assert all(len(values) == 2 for _, values in seed.rows)
    assert seed.residue == ["Cargando...", "Services", "Comparisons", "Guides & Patterns"]


def test_counts(doc: Document) -> None:
    assert len(doc.comparisons) == 1
    (comp,) = doc.comparisons
    assert len(comp.subjects) == 2
    assert len(comp.rows) == 17
    assert sum(1 for r in comp.rows if r.tip) == 12
    assert len(doc.traps) == 7
    assert len(doc.scenarios) == 3
    assert [bool(s.subject) for s in doc.scenarios] == [True, True, False]


def test_title_description_and_attribution(doc: Document, seed: SeedPage) -> None:
    assert doc.title == seed.title
    assert doc.description == seed.description
    assert doc.source == seed.attribution
    assert doc.deck.split("::")[-1] == "Cognito User Pools vs Identity Pools"


def test_subjects_and_taglines(doc: Document, seed: SeedPage) -> None:
    (comp,) = doc.comparisons
    assert [f"{s.name} {s.tagline}" for s in comp.subjects] == seed.header
    assert [s.name for s in comp.subjects] == ["Cognito User Pools", "Identity Pools"]
    assert all(s.tagline for s in comp.subjects)


@pytest.mark.parametrize("index", range(17))
def test_row_word_for_word(doc: Document, seed: SeedPage, index: int) -> None:
    row = doc.comparisons[0].rows[index]
    first_cell, values = seed.rows[index]
    # The page runs the attribute and the tip together in its first cell.
    assert first_cell == (f"{row.attribute} {row.tip}" if row.tip else row.attribute)
    assert list(row.values) == values


def test_tips_are_the_seed_tips(doc: Document, seed: SeedPage) -> None:
    """Split the other way round: every first cell that is longer than its attribute."""
    (comp,) = doc.comparisons
    with_tip = [cell for cell, _ in seed.rows if cell not in {r.attribute for r in comp.rows}]
    assert len(with_tip) == 12
    assert [f"{r.attribute} {r.tip}" for r in comp.rows if r.tip] == with_tip


def test_summary_note(doc: Document, seed: SeedPage) -> None:
    assert [(n.title, n.text) for n in doc.notes] == [("Summary", seed.summary)]


def test_scenarios_are_the_decision_tree(doc: Document, seed: SeedPage) -> None:
    assert " ".join(f"{s.prompt} → {s.answer}" for s in doc.scenarios) == seed.decision_tree
    assert [s.subject for s in doc.scenarios] == ["Cognito User Pools", "Identity Pools", ""]
    assert doc.scenarios[2].answer.startswith("BOTH services working together")


@pytest.mark.parametrize("index", range(7))
def test_trap_word_for_word(doc: Document, seed: SeedPage, index: int) -> None:
    trap = doc.traps[index]
    line = seed.traps[index]
    text = plain(trap.text)
    if trap.title:
        assert line in (f"{trap.title} — {text}", f"{trap.title}: {text}")
    else:
        assert line == text
    # Clozes: bold spans on terms the page states, at least one per trap (one card each).
    assert trap.clozes
    for span in trap.clozes:
        assert f"**{span}**" in trap.text
        assert span in line


def test_no_scraping_residue(doc: Document, seed: SeedPage) -> None:
    source = COGNITO.read_text(encoding="utf-8")
    for residue in seed.residue:
        assert residue not in source


def test_cards_are_built_for_every_fact(doc: Document) -> None:
    cards = build_cards(doc)
    kinds = {k: sum(1 for c in cards if c.kind == k) for k in ("forward", "cloze", "scenario")}
    assert kinds == {"forward": 34, "cloze": 7, "scenario": 3}
    assert len({c.key for c in cards}) == len(cards)
