"""Issue 14, point 6: `cardgen preview` and `cardgen show --cards`.

The preview fills cardgen's templates in itself; every card of the Cognito deck must come out as
the real `anki` backend renders it (`card.question()` / `card.answer()`, compared as normalised
HTML). The page is then opened in Debian's headless Chromium: layout facts measured by the page
itself (nothing wider than 390 px in the phone view; the answer heavier and larger than the
question), and screenshots of light/night at desktop and phone width.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cardgen.pipeline import check_source, read_images
from cardgen.writers.apkg import guid
from cardgen.writers.preview import deck_faces, page

from .conftest import COGNITO, FIXTURES, anki_collection, anki_import, build_into, cli

THREE = FIXTURES / "order" / "aws-messaging.md"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install -y chromium)",
)


def normalised(fragment: str) -> str:
    fragment = re.sub(r"<style>.*?</style>", "", fragment, flags=re.S)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", fragment)).strip()


def _faces(source: Path):
    checked = check_source(source)
    assert checked.doc is not None
    images, _ = read_images(checked.doc)
    return checked, deck_faces(checked.doc, list(checked.cards), images)


@pytest.mark.parametrize("source", [COGNITO, THREE], ids=["cognito", "three-subjects"])
def test_preview_matches_the_anki_backend_for_every_card(source: Path, tmp_path: Path) -> None:
    pytest.importorskip("anki.collection")
    checked, (faces, _) = _faces(source)
    assert checked.doc is not None
    build_into(source, tmp_path / "decks")
    with anki_collection(tmp_path / "c.anki2") as col:
        anki_import(col, tmp_path / "decks" / f"{checked.doc.id}.apkg")
        by_card = {}
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            by_card[(card.note().guid, card.ord)] = card
        assert len(by_card) == len(faces)
        for face in faces:
            card = by_card[(guid(face.key), face.ord)]
            assert normalised(face.question) == normalised(card.question()), face.key
            assert normalised(face.answer) == normalised(card.answer()), face.key


def test_show_cards_prints_every_prompt_and_answer() -> None:
    result = cli("show", "--cards", str(COGNITO))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len([ln for ln in lines if re.match(r"\d+\. \[", ln)]) == 101
    assert "1. [forward] Cognito User Pools — Core Purpose?" in lines
    assert "   → Authentication — verifies user identity and issues tokens (JWT)" in lines
    data = json.loads(cli("show", "--cards", "--json", str(COGNITO)).output)
    assert len(data) == 101 and {d["kind"] for d in data} == {
        "forward",
        "identify",
        "compare",
        "cloze",
        "scenario",
    }
    lambda_blanks = [
        d for d in data if d["key"].endswith("lambda-triggers-are-only-on-user-pools-not")
    ]
    assert [d["answer"] for d in lambda_blanks] == [
        "User Pools",
        "Pre Token Generation",
        "User Migration",
    ]
    identify = next(d for d in data if d["kind"] == "identify" and "▢▢▢" in d["prompt"])
    assert "[…]" not in identify["prompt"]


def test_preview_command_writes_one_self_contained_page(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.md").write_text(
        COGNITO.read_text(encoding="utf-8").replace("    - L110:trap/pricing-gotcha\n", ""),
        encoding="utf-8",
    )
    result = cli("preview", "s.md")
    assert result.exit_code == 0, result.output
    out = tmp_path / "decks" / "cognito-user-pools-vs-identity-pools.preview.html"
    text = out.read_text(encoding="utf-8")
    assert "101 cards, 2 with lint warnings" in text
    assert "L110 warning" in text  # beside both cards of PRICING GOTCHA
    assert not re.search(r"""(?:src|href)=["'](?!data:|#)""", text)  # no other file needed
    bad = tmp_path / "bad.md"
    bad.write_text("---\nid: x\n---\n# T\n\n![a](/etc/passwd.png)\n", encoding="utf-8")
    result = cli("preview", "bad.md")
    assert result.exit_code == 1 and "bad.md:6:1: P120 error" in result.output
    assert not (tmp_path / "decks" / "x.preview.html").exists()


def test_preview_serve_gives_the_same_page_on_the_loopback_only(tmp_path: Path) -> None:
    """`preview --serve` answers at the URL it prints (127.0.0.1), with the page `preview` writes;
    other paths are 404; nothing is written."""
    import os
    import sys
    import urllib.error
    import urllib.request

    written = tmp_path / "page.html"
    assert cli("preview", str(COGNITO), "-o", str(written)).exit_code == 0
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cardgen", "preview", str(COGNITO), "--serve"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+/) ", line)
        assert m, line + proc.stderr.read() if proc.poll() is not None else line
        with urllib.request.urlopen(m[1], timeout=30) as resp:
            assert resp.headers["Content-Type"].startswith("text/html")
            assert resp.read() == written.read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(m[1] + "etc/passwd", timeout=30)
        assert missing.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not (tmp_path / "decks").exists()


def _measure(page_file: Path, flags: str) -> list[dict]:
    assert CHROMIUM is not None
    url = page_file.as_uri() + "#" + flags
    out = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=20000",
            "--window-size=1200,900",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    m = re.search(r'<pre id="pv-measure" hidden="">(.*?)</pre>', out, re.S)
    assert m and m[1], "the page wrote no measurements"
    return json.loads(m[1].replace("&quot;", '"').replace("&amp;", "&"))


@needs_chromium
def test_preview_in_chromium_fits_a_phone_and_puts_the_answer_first(tmp_path: Path) -> None:
    checked, (faces, media) = _faces(COGNITO)
    assert checked.doc is not None
    page_file = tmp_path / "preview.html"
    page_file.write_text(page(checked.doc, faces, checked.lint_diagnostics, media), "utf-8")
    for flags in ("phone,measure", "phone,night,measure", "measure", "night,measure"):
        rows = _measure(page_file, flags)
        assert len(rows) == 2 * len(faces)
        if "phone" in flags:
            assert {r["width"] for r in rows} <= {390, 392}
            wide = [r for r in rows if r["scrollWidth"] > 390]
            assert wide == [], wide[:3]
        backs = [r for r in rows if r["face"] == "back" and r["answer"]]
        assert len(backs) == sum(f.model == "qa" for f in faces)
        for r in backs:
            assert r["answer"][0] > r["prompt"][0] and r["answer"][1] > r["prompt"][1], r
        night = {r["background"] for r in rows}
        expected = (
            {"rgb(0, 0, 0)"}
            if flags.startswith("phone,night")
            else ({"rgb(44, 44, 44)"} if "night" in flags else {"rgba(0, 0, 0, 0)"})
        )
        assert night == expected, (flags, night)


@needs_chromium
def test_preview_screenshots_light_and_night_desktop_and_phone(tmp_path: Path) -> None:
    checked, (faces, media) = _faces(COGNITO)
    assert checked.doc is not None
    page_file = tmp_path / "preview.html"
    page_file.write_text(page(checked.doc, faces, checked.lint_diagnostics, media), "utf-8")
    sizes = {}
    for flags, size in (
        ("", "1200,1600"),
        ("night", "1200,1600"),
        ("phone", "600,1600"),
        ("phone,night", "600,1600"),
    ):
        shot = tmp_path / f"preview-{flags.replace(',', '-') or 'light'}.png"
        assert CHROMIUM is not None
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--virtual-time-budget=20000",
                f"--window-size={size}",
                f"--screenshot={shot}",
                page_file.as_uri() + "#" + flags,
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[flags] = len(data)
    assert len(set(sizes.values())) == 4  # four different pictures
