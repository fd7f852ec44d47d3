"""`cardgen init` and the settings file `cardgen.toml` (issue 17, point 3): a study folder of
one's own, also from the built wheel installed into a fresh venv outside this repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from pypdf import PdfReader

from .conftest import ROOT, T0, cli

EPOCH = {"SOURCE_DATE_EPOCH": str(T0)}


def test_init_makes_a_study_folder_that_builds(here: Path) -> None:
    r = cli("init", "study")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[:4] == [
        "made study/cardgen.toml",
        "made study/sources/",
        "made study/decks/",
        "made study/sources/http-vs-https.md",
    ]
    assert "cd study && cardgen build" in r.output
    os.chdir(here / "study")
    assert cli("check", "--strict").output == "All checks passed.\n"
    r = cli("build", env=EPOCH)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (here / "study" / "decks").iterdir()) == [
        "cardgen.lock",
        "http-vs-https.apkg",
        "http-vs-https.cards.pdf",
        "http-vs-https.sheet.pdf",
    ]
    example = (here / "study" / "sources" / "http-vs-https.md").read_text(encoding="utf-8")
    (here / "study" / "sources" / "http-vs-https.md").write_text(example + "\n<!-- mine -->\n")
    r = cli("init")  # again: nothing overwritten
    assert r.exit_code == 0 and "made" not in r.output, r.output
    assert "kept cardgen.toml (already there)" in r.output
    assert (here / "study" / "sources" / "http-vs-https.md").read_text().endswith("mine -->\n")


def test_init_leaves_existing_sources_alone(here: Path) -> None:
    (here / "sources").mkdir()
    (here / "sources" / "mine.md").write_text("# Mine\n", encoding="utf-8")
    r = cli("init")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (here / "sources").iterdir()) == ["mine.md"]
    (here / "file").write_text("x")
    r = cli("init", "file")
    assert r.exit_code == 2 and "is a file" in r.output


def _pages(pdf: Path) -> tuple[float, float]:
    box = PdfReader(pdf).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_settings_apply_and_the_command_line_wins(here: Path) -> None:
    assert cli("init").exit_code == 0
    config = here / "cardgen.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('output = "decks"', 'output = "out"').replace('"a4"', '"letter"')
    config.write_text(text.replace('card-size = "a7"', 'card-size = "a6"'), encoding="utf-8")
    (here / "notes").mkdir()
    os.chdir(here / "notes")  # a folder below: the settings are found, paths relative to them
    r = cli("build", env=EPOCH)
    assert r.exit_code == 0, r.output
    assert "../out/http-vs-https.apkg" in r.output
    assert _pages(here / "out" / "http-vs-https.sheet.pdf") == (612, 792)  # Letter
    cards_a6 = len(PdfReader(here / "out" / "http-vs-https.cards.pdf").pages)
    os.chdir(here)
    r = cli("build", "-o", "cli-out", "--paper", "a4", "--card-size", "a8", env=EPOCH)
    assert r.exit_code == 0, r.output
    assert _pages(here / "cli-out" / "http-vs-https.sheet.pdf") == (595, 842)  # A4
    assert len(PdfReader(here / "cli-out" / "http-vs-https.cards.pdf").pages) < cards_a6
    assert not (here / "decks" / "cardgen.lock").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'paper = "a3"\n',
            "cardgen.toml:1:1: B030 error: paper must be one of a4, letter, not 'a3'",
        ),
        ('\n\npapr = "a4"\n', "cardgen.toml:3:1: B030 error: unknown setting 'papr'; known: "),
        ("paper = \n", "cardgen.toml:1:9: B030 error: not valid TOML: "),
        ("output = 3\n", "cardgen.toml:1:1: B030 error: output must be a non-empty string"),
    ],
)
def test_bad_settings_are_located_errors(here: Path, text: str, expected: str) -> None:
    (here / "cardgen.toml").write_text(text, encoding="utf-8")
    (here / "sources").mkdir()
    r = cli("build")
    assert r.exit_code == 1 and r.output.startswith(expected), r.output
    assert "Traceback" not in r.output and not (here / "decks").exists()


def test_settings_in_pyproject(here: Path) -> None:
    (here / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cardgen]\nsources = "notes"\n'
    )
    assert cli("init").exit_code == 0  # its cardgen.toml then wins over pyproject's table
    (here / "cardgen.toml").unlink()
    (here / "sources").rename(here / "notes")
    r = cli("build", env=EPOCH)
    assert r.exit_code == 0 and "decks/http-vs-https.apkg" in r.output, r.output


@pytest.mark.slow
def test_init_from_the_built_wheel_outside_the_repository(tmp_path: Path) -> None:
    """The wheel as it would come from PyPI, in a fresh venv whose only other packages are
    this venv's dependencies (seen through a path entry, not installed: `--no-deps`)."""
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", str(ROOT), "-w", str(dist), "--no-deps", "-q"], check=True)
    (wheel,) = dist.glob("cardgen-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # this venv's packages as a plain path entry: their .pth files (the editable install of
    # this checkout) are not run, so `import cardgen` can only find the wheel's copy
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [*pip, "--python", str(py), "install", "--no-deps", "-q", str(wheel)], check=True
    )
    study = tmp_path / "elsewhere"
    study.mkdir()
    env = {**os.environ, **EPOCH}
    env.pop("PYTHONPATH", None)
    cardgen = str(env_dir / "bin" / "cardgen")

    def run(*args: str) -> str:
        done = subprocess.run([cardgen, *args], cwd=study, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = subprocess.run(
        [py, "-c", "import cardgen; print(cardgen.__file__)"],
        cwd=study,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(env_dir)), where
    assert "made sources/http-vs-https.md" in run("init")
    assert run("check", "--strict") == "All checks passed.\n"
    out = run("build")
    assert "decks/http-vs-https.apkg: 15 notes" in out, out
    assert (study / "decks" / "http-vs-https.sheet.pdf").stat().st_size > 0
    assert "up to date" in run("build", "--check")
