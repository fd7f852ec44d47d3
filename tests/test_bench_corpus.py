"""The benchmark's synthetic corpus and floors: deterministic, valid format v1, comparable."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pypdf

from bench import corpus, floors
from bench.run import prepare_data, typst_floor_engine
from cardgen.cards import build_cards
from cardgen.markdown import markdown
from cardgen.pipeline import check as check_sources
from cardgen.source import parse_file

from .conftest import snapshot


def test_corpus_is_deterministic_and_prefix_stable(tmp_path: Path) -> None:
    a = corpus.write_corpus(tmp_path / "a", 4)
    corpus.write_corpus(tmp_path / "b", 4)
    assert [p.name for p in a] == [corpus.source_name(i) for i in range(4)]
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    # source i depends on (seed, i) only: a smaller corpus is a prefix of a larger one
    small = corpus.write_corpus(tmp_path / "c", 2)
    assert [p.read_bytes() for p in small] == [p.read_bytes() for p in a[:2]]
    # another seed gives other sources; shrinking a corpus removes the extra files
    assert corpus.source_text(0, seed=1) != corpus.source_text(0)
    corpus.write_corpus(tmp_path / "a", 2)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [p.name for p in small]


def test_corpus_parses_cleanly_with_the_promised_shape(tmp_path: Path) -> None:
    for path in corpus.write_corpus(tmp_path, 3):
        doc, diags = parse_file(path)
        assert diags == [], [d.format() for d in diags]
        assert doc is not None
        assert len(doc.comparisons) == 1
        comp = doc.comparisons[0]
        assert len(comp.subjects) == corpus.SUBJECTS
        assert len(comp.rows) == corpus.ROWS
        assert all(r.tip and all(v.strip() for v in r.values) for r in comp.rows)
        assert len(doc.traps) == corpus.TRAPS
        assert all(t.title and len(t.clozes) >= 2 for t in doc.traps)
        assert len(doc.scenarios) == corpus.SCENARIOS
        names = {s.name for s in comp.subjects}
        assert all(s.subject in names for s in doc.scenarios)
        kinds = {c.kind for c in build_cards(doc)}
        assert kinds == {"forward", "identify", "compare", "cloze", "scenario"}
    # the whole check (parse, cross-source checks, lint) finds no error either
    assert check_sources([tmp_path]).errors == []


def test_edit_changes_one_value_and_does_not_accumulate(tmp_path: Path) -> None:
    (path,) = corpus.write_corpus(tmp_path, 1)
    before = path.read_text(encoding="utf-8").split("\n")
    corpus.edit_source(path, 1)
    corpus.edit_source(path, 2)
    after = path.read_text(encoding="utf-8").split("\n")
    changed = [i for i, (x, y) in enumerate(zip(before, after)) if x != y]
    assert len(before) == len(after) and len(changed) == 1
    assert after[changed[0]].count("(revision") == 1 and "(revision 2)" in after[changed[0]]
    doc, diags = parse_file(path)
    assert diags == [] and doc is not None
    assert doc.comparisons[0].rows[0].values[0].endswith("(revision 2)")


def test_parse_floor_uses_cardgen_parser_configuration() -> None:
    ours, theirs = floors.make_md(), markdown()
    assert ours.options == theirs.options
    assert ours.get_active_rules() == theirs.get_active_rules()


def test_floors_run_on_a_tiny_corpus(tmp_path: Path) -> None:
    src = tmp_path / "src"
    corpus.write_corpus(src, 2)
    notes = prepare_data(src, tmp_path / "data")
    expected = sum(len(build_cards(parse_file(p)[0])) for p in sorted(src.glob("*.md")))
    assert notes == expected > 0
    assert floors.floor_parse(src).startswith("parsed 2 files")
    assert floors.floor_apkg(tmp_path / "data", tmp_path / "apkg") == (
        f"wrote 2 packages, {notes} notes"
    )
    for apkg in (tmp_path / "apkg").iterdir():
        assert "collection.anki2" in zipfile.ZipFile(apkg).namelist()
    # the Typst floor compiles cardgen's own templates with the payloads its writer makes
    assert typst_floor_engine(tmp_path / "data") == "cardgen"
    assert floors.floor_typst(tmp_path / "data", tmp_path / "pdf").startswith("compiled 4 PDFs")
    pdfs = sorted((tmp_path / "pdf").iterdir())
    assert len(pdfs) == 4
    sheet = pypdf.PdfReader(pdfs[1])  # topic-0000.sheet.pdf
    text = "".join(page.extract_text() for page in sheet.pages)
    doc = parse_file(src / corpus.source_name(0))[0]
    assert doc is not None and doc.comparisons[0].rows[-1].attribute in text
