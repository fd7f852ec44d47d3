"""The floors: what the libraries alone cost for the same work, each run as its own process.

    python bench/floors.py parse SOURCES_DIR
    python bench/floors.py apkg DATA_DIR OUT_DIR
    python bench/floors.py typst DATA_DIR OUT_DIR

`parse` reads every `*.md` of SOURCES_DIR and parses it with markdown-it-py configured exactly
as `cardgen.markdown` configures it (`MD_CONFIG`; a test keeps the two equal). `apkg` and `typst`
read the per-source JSON that `bench/run.py` prepared in advance (`prepare_data`): `apkg` writes
one genanki package per source with the same notes; `typst` compiles each source's study sheet and
card pages from the payloads cardgen's PDF writer would pass to Typst, with cardgen's templates
(or `bench/floor.typ` when cardgen's writer could not prepare them; the manifest says which).
Nothing of cardgen is imported here, so each floor is the library's own cost plus one
interpreter start.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "floor.typ"
TIMESTAMP = 1_767_225_600  # 2026-01-01, fixed so outputs are reproducible

# The options cardgen.markdown._make_md() passes (kept equal by tests/test_bench_corpus.py).
MD_PRESET = "commonmark"
MD_OPTIONS = {"html": False, "alerts": True, "maxNesting": 20}

BASIC_MODEL_ID = 1_607_392_319
CLOZE_MODEL_ID = 1_607_392_320
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def make_md():  # noqa: ANN201 - markdown_it is imported lazily
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt(MD_PRESET, dict(MD_OPTIONS))
    md.enable("table")
    md.use(front_matter_plugin)
    return md


def floor_parse(src: Path) -> str:
    md = make_md()
    files = sorted(src.glob("*.md"))
    tokens = 0
    for f in files:
        text = f.read_bytes().decode("utf-8")
        tokens += len(md.parse(text))
    return f"parsed {len(files)} files, {tokens} block tokens"


def floor_apkg(data_dir: Path, out: Path) -> str:
    import genanki

    basic = genanki.Model(
        BASIC_MODEL_ID,
        "bench basic",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Card",
                "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}<br>{{Extra}}",
            }
        ],
        css=".card { font-family: sans-serif; }",
    )
    cloze = genanki.Model(
        CLOZE_MODEL_ID,
        "bench cloze",
        fields=[{"name": "Text"}, {"name": "Extra"}],
        templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}{{Extra}}"}],
        model_type=genanki.Model.CLOZE,
    )
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(data_dir.glob("*.json"))
    notes = 0
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        deck = genanki.Deck((1 << 40) + zlib.crc32(data["id"].encode()), data["deck"])
        for card in data["cards"]:
            guid = genanki.guid_for("bench", card["key"])
            if card["kind"] == "cloze":
                note = genanki.Note(cloze, [card["front"], card["extra"]], guid=guid)
            else:
                note = genanki.Note(basic, [card["front"], card["back"], card["extra"]], guid=guid)
            deck.add_note(note)
            notes += 1
        genanki.Package(deck).write_to_file(str(out / f"{data['id']}.apkg"), timestamp=TIMESTAMP)
    return f"wrote {len(files)} packages, {notes} notes"


def floor_typst(data_dir: Path, out: Path) -> str:
    """Compile every prepared payload in DATA_DIR/typst/ with the templates its manifest names:
    cardgen's own (`cardgen/writers/pdf/*.typ`, payloads from cardgen.writers.pdf) or, when those
    could not be prepared, `bench/floor.typ`."""
    import typst

    tdir = data_dir / "typst"
    manifest = json.loads((tdir / "manifest.json").read_text(encoding="utf-8"))
    fonts = typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=True,
        font_paths=list(manifest["font_paths"]),
    )
    compilers = {
        kind: typst.Compiler(
            input=template, root=manifest["root"], font_paths=fonts, ignore_system_fonts=True
        )
        for kind, template in manifest["templates"].items()
    }
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for f in sorted(tdir.glob("*.json")):
        if f.name == "manifest.json":
            continue
        stem, kind = f.stem.rsplit(".", 1)
        compilers[kind].compile(
            output=str(out / f"{stem}.{kind}.pdf"),
            format="pdf",
            sys_inputs={"data": f.read_text(encoding="utf-8"), "kind": kind},
            timestamp=TIMESTAMP,
        )
        count += 1
    return f"compiled {count} PDFs with {manifest['engine']} templates"


def cloze_text(markdown_text: str) -> str:
    """`**a** and **b**` -> `{{c1::a}} and {{c2::b}}` (how the floor's cloze notes look)."""
    counter = iter(range(1, 1000))
    return _BOLD.sub(lambda m: f"{{{{c{next(counter)}::{m.group(1)}}}}}", markdown_text)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("parse", "apkg", "typst"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "parse":
        msg = floor_parse(Path(argv[1]))
    elif argv[0] == "apkg":
        msg = floor_apkg(Path(argv[1]), Path(argv[2]))
    else:
        msg = floor_typst(Path(argv[1]), Path(argv[2]))
    print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
