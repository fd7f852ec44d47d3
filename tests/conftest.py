"""What the test files share: paths, fixture files, the property-test settings, one way each to run
the command line, build into a folder, write a source, read a package back and import it into Anki.
"""

from __future__ import annotations

import io
import os
import sqlite3
import tempfile
import textwrap
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from cardgen import lock as lockmod
from cardgen.build import BuildOptions, BuildResult, Progress, build
from cardgen.cli import cli as cardgen_cli

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.import_export_pb2 import ImportResponse

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
COGNITO = SOURCES / "cognito-user-pools-vs-identity-pools.md"
FIXTURES = ROOT / "tests" / "fixtures"
# The seed page: a committed copy (CI clones the repo alone); SHARED_SEED is the original beside
# the checkout, present on developer machines only.
SEED = FIXTURES / "seed" / "cognito-user-pools-vs-identity-pools.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / SEED.name

T0 = 1_700_000_000  # the clock of a first build (in the past: Anki resets future mod times)

# Property tests: in CI the same examples every run (a red CI run must be reproducible);
# CARDGEN_FUZZ_EXAMPLES=20000 runs that many random ones instead, remembering failures.
FUZZ_EXAMPLES = int(os.environ.get("CARDGEN_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=FUZZ_EXAMPLES or examples,
        derandomize=FUZZ_EXAMPLES is None,
        deadline=None,
        database=None if FUZZ_EXAMPLES is None else settings.default.database,
        suppress_health_check=list(HealthCheck),
    )


# --------------------------------------------------------------------------------------------
# The session: a build cache of its own


@pytest.fixture(autouse=True, scope="session")
def _private_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Builds (in this process and in the `cardgen` processes tests start) keep their cache in
    the session's temp folder, never in the user's ~/.cache, so no run sees another's entries."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def cognito_path() -> Path:
    return COGNITO


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a scratch folder, so diagnostics name files relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------------------------
# Sources and fixture files


def fixture_text(name: str) -> str:
    """The text of `tests/fixtures/<name>` (e.g. "build/demo.md")."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def write_source(folder: Path, name: str, text: str) -> Path:
    """Write `text` (dedented, leading newlines dropped) to `folder/name`, making folders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """name -> bytes of everything in `folder` (None for what is not a file), sorted by name."""
    return {p.name: p.read_bytes() if p.is_file() else None for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------------------------
# Running cardgen: the command line and a build in this process


def cli(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """`cardgen ARGS` through click's CliRunner; an exception other than an exit fails the test."""
    return CliRunner().invoke(cardgen_cli, list(args), env=env, catch_exceptions=False)


def build_into(
    src: Path | Sequence[Path],
    out: Path,
    *,
    clock: int | None = T0,
    formats: tuple[str, ...] = ("apkg",),
    clean: bool = True,
    progress: Progress | None = None,
    **options: Any,
) -> BuildResult:
    """Build `src` (a file, a folder or several) into `out` in this process: .apkg only at the
    clock T0 unless told (clock=None: SOURCE_DATE_EPOCH or now). Other keywords are
    BuildOptions. With clean=True (the default) the build must find no error."""
    paths = [src] if isinstance(src, Path) else list(src)
    opts = BuildOptions(output=out, formats=formats, clock=clock, **options)
    result = build(paths, opts, progress=progress)
    if clean:
        assert not result.errors, [d.format() for d in result.diagnostics]
    return result


def read_lock(folder: Path) -> lockmod.Lock:
    """The lock file of an output folder, parsed."""
    return lockmod.parse((folder / lockmod.LOCK_NAME).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Packages read back: zipfile + sqlite3, or a real Anki collection


def apkg_db(package: bytes | Path) -> sqlite3.Connection:
    """The collection inside an .apkg (bytes or a file), as an in-memory sqlite3 database."""
    data = package.read_bytes() if isinstance(package, Path) else package
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        db = zf.read("collection.anki2")
    con = sqlite3.connect(":memory:")
    with tempfile.TemporaryDirectory() as tmp:  # Connection.deserialize needs Python 3.11
        path = Path(tmp) / "collection.anki2"
        path.write_bytes(db)
        disk = sqlite3.connect(path)
        try:
            disk.backup(con)
        finally:
            disk.close()
    return con


def apkg_notes(package: bytes | Path) -> dict[str, tuple[int, str, str]]:
    """guid -> (mod, tags, fields) of the notes in an .apkg (bytes or a file)."""
    con = apkg_db(package)
    try:
        rows = con.execute("select guid, mod, tags, flds from notes").fetchall()
    finally:
        con.close()
    return {g: (m, t, f) for g, m, t, f in rows}


@contextmanager
def anki_collection(path: Path) -> Iterator[Collection]:
    """A real Anki collection at `path` (made when missing), closed afterwards."""
    from anki.collection import Collection

    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


def anki_import(col: Collection, apkg: Path) -> ImportResponse.Log:
    """Import a package as File › Import does by default: notes and note types updated "if
    newer", no scheduling. Anki's import log (new, updated, duplicate, conflicting...)."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as Update

    opts = ImportAnkiPackageOptions(
        with_scheduling=False,
        update_notes=Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
        update_notetypes=Update.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
    )
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=opts)
    return col.import_anki_package(request).log
