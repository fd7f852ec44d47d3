from __future__ import annotations

import io
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
COGNITO = SOURCES / "cognito-user-pools-vs-identity-pools.md"
# The seed page: a committed copy (CI clones the repo alone); SHARED_SEED is the original beside
# the checkout, present on developer machines only.
SEED = ROOT / "tests" / "fixtures" / "seed" / "cognito-user-pools-vs-identity-pools.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / SEED.name

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


@pytest.fixture
def cognito_path() -> Path:
    return COGNITO


def apkg_notes(data: bytes) -> dict[str, tuple[int, str, str]]:
    """guid -> (mod, tags, fields) of the notes in .apkg bytes, read with zipfile + sqlite3."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        db = zf.read("collection.anki2")
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(db)
        rows = con.execute("select guid, mod, tags, flds from notes").fetchall()
    finally:
        con.close()
    return {g: (m, t, f) for g, m, t, f in rows}
