from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
COGNITO = SOURCES / "cognito-user-pools-vs-identity-pools.md"
# The seed page: a committed copy (CI clones the repo alone); SHARED_SEED is the original beside
# the checkout, present on developer machines only.
SEED = ROOT / "tests" / "fixtures" / "seed" / "cognito-user-pools-vs-identity-pools.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / SEED.name


@pytest.fixture
def cognito_path() -> Path:
    return COGNITO
